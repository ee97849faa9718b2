"""Text normalisation shared by name lookup, excerpt checks and terminal output."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")


_DOUBLED = re.compile(r"([^\W\d_])\1+")  # doubled letters only: "77" must stay "77"
_GLIDE_Y = re.compile(r"(?<=[aeiou])y(?=[aeiou])")


# Russian and Kazakh Cyrillic to the Latin letters the English-language texts use.
# A fixed table rather than a library: it only has to land on the same key as the
# Latin spelling after the folds below (a general romaniser gives Kazakh қ as "q",
# which would then miss "Tokayev"), and it is small enough to review.
_CYRILLIC = str.maketrans(
    {
        **dict(zip("абвгдезиклмнопрстуфыэ", "abvgdeziklmnoprstufye", strict=True)),
        "ё": "e", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ь": "", "ю": "yu", "я": "ya",
        **dict(zip("әғқөұүһі", "agkouuhi", strict=True)),
        "ң": "n",  # the texts write Жаңаөзен as Zhanaozen
    }
)  # fmt: skip
_ZH = re.compile(r"zh")
# Transliteration variants the texts and readers write for one sound: French "ou" for u
# (Aktaou, Aktau) and "ch" for sh (Kokchetaou, Kokshetau; Chymkent, Shymkent), "kh" or h
# (Mukhtar), "ye" or e (Yerlan), "-iy" or "-y" at a word's end. Folded the same way on both
# sides, so no alias has to be written down for them.
_VARIANTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"kh"), "h"),
    (re.compile(r"ch"), "sh"),
    (re.compile(r"ou"), "u"),
    (re.compile(r"ye"), "e"),
    (re.compile(r"iy\b"), "y"),
]


def clean_text(text: str) -> str:
    """Typed or stored text in one canonical form, before any lookup, match or transliteration.

    NFKC composes what NFD splits (Cyrillic й must not become и plus a breve before the
    table above sees it) and folds compatibility forms (full-width letters, ligatures);
    invisible format characters (ZWJ, ZWNJ, ZWSP, word joiner, bidi marks, embeddings,
    overrides and isolates, soft hyphen, BOM: Unicode category Cf) are removed.
    """
    composed = unicodedata.normalize("NFKC", text)
    if composed.isascii():
        return composed
    return "".join(ch for ch in composed if unicodedata.category(ch) != "Cf")


def name_key(text: str) -> str:
    """Fold case, accents, punctuation, script and transliteration variants of a name.

    'Kassym-Jomart' and 'Қасым-Жомарт' -> 'kasym jomart'; 'Tokayev', 'Tokaev',
    'Токаев' and 'Тоқаев' -> 'tokaev'. The text is cleaned (clean_text) and Cyrillic
    romanised first; then the folds (zh as j; kh as h, ch as sh, ou as u, ye as e, a final
    -iy as -y; a 'y' glide between vowels; doubled letters) cover where Latin spellings of
    Kazakh and Russian names most often differ: 'Aktau' finds Aktaou, 'Kokshetau' Kokchetaou.
    """
    romanised = unicodedata.normalize("NFKC", clean_text(text).casefold()).translate(_CYRILLIC)
    decomposed = unicodedata.normalize("NFKD", romanised)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    variant = _ZH.sub("j", stripped)
    for pattern, replacement in _VARIANTS:
        variant = pattern.sub(replacement, variant)
    folded = _GLIDE_Y.sub("", _DOUBLED.sub(r"\1", variant))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def excerpt_key(text: str) -> str:
    """Read a source text as the verbatim check does (sources README).

    Web-markup leftovers are dropped (link syntax, bold markers, backslash
    escapes) and whitespace collapses to single spaces.
    """
    text = _LINK.sub(r"\1", text).replace("**", "").replace("\\", "")
    return _SPACE.sub(" ", text).strip()


def split_paragraphs(text: str) -> list[str]:
    """Blocks of non-blank lines separated by blank lines, in file order."""
    paragraphs: list[str] = []
    block: list[str] = []
    for line in text.splitlines():
        if line.strip():
            block.append(line)
        elif block:
            paragraphs.append("\n".join(block))
            block = []
    if block:
        paragraphs.append("\n".join(block))
    return paragraphs


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def inert(text: str, keep: str = "") -> str:
    """Show control, format and line-separator characters as visible escapes.

    Terminal output must never carry ESC, OSC, C1 bytes or bidi overrides raw;
    `keep` names characters the caller handles itself (e.g. tab and newline).
    """
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) if ch not in keep and _is_unsafe(ch) else ch for ch in text)


# Completion output is read back by the shell (zsh's _arguments evaluates it): keep only characters
# that no shell's quoting gives a meaning to.
_SHELL_SAFE_PUNCTUATION = frozenset(" .,-_/()%+")


def shell_safe(text: str, limit: int = 80) -> str:
    """`text` for a completion value or label: letters, digits and plain punctuation, one line, short."""
    kept = "".join(ch if ch.isalnum() or ch in _SHELL_SAFE_PUNCTUATION else " " for ch in text)
    return " ".join(kept.split())[:limit]


def is_shell_safe(text: str) -> bool:
    """May `text` be offered as a completion value as it is? A value cannot be cleaned (the shell
    would insert the cleaned one, naming nothing), so one that shell_safe would change is not offered.
    """
    return shell_safe(text, len(text)) == text


def wrap_words(text: str, width: int, indent: str = "", hang: str | None = None, tail: str = "") -> list[str]:
    """`text` wrapped at spaces into lines of at most `width` (a longer word gets a line of its own).

    The first line starts with `indent`, later ones with `hang` (default: spaces as wide as
    `indent`). `tail` (citation keys, say) is appended as one piece that never splits.
    """
    hang = " " * len(indent) if hang is None else hang
    lines: list[str] = []
    line = indent
    for word in [*text.split(), *([tail] if tail else [])]:
        if len(line) + len(word) > width and line.strip():
            lines.append(line.rstrip())
            line = hang
        line += word + " "
    lines.append(line.rstrip())
    return lines
