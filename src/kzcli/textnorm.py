"""Text normalisation shared by name lookup, excerpt checks and terminal output."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")


_DOUBLED = re.compile(r"([^\W\d_])\1+")  # doubled letters only: "77" must stay "77"
_GLIDE_Y = re.compile(r"(?<=[aeiou])y(?=[aeiou])")


def name_key(text: str) -> str:
    """Fold case, accents, punctuation and transliteration variants of a name.

    'Kassym-Jomart' -> 'kasym jomart'; 'Tokayev' and 'Tokaev' -> 'tokaev'. The
    folds (a 'y' glide between vowels, doubled letters) are where Latin
    spellings of Kazakh and Russian names most often differ.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = _GLIDE_Y.sub("", _DOUBLED.sub(r"\1", stripped.casefold()))
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
