"""What a paragraph holds that no record cites: its dates, numbers and named people, one gap each.

A paragraph can be cited and still hold a fact nobody recorded ("By January 5th … Almaty was
engulfed"). Each date, number and capitalised name in a paragraph that appears in none of the
excerpts citing that paragraph becomes a gap row, so a missing fact shows as a line. A question
in a speaker map is left out: it is no evidence of a fact.
"""

from __future__ import annotations

import re
from typing import Any

from kzcli.kb.speakers import voice_map

Record = dict[str, Any]

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_ORD = r"(?:st|nd|rd|th)"
# "5 January 2022", "January 5th, 2022", "mid-January", "the 5th", "2019": a date as a text writes it.
_DATE = re.compile(
    rf"\b(?:(?:early|mid|late)-)?(?:\d{{1,2}}{_ORD}?\s+(?:of\s+)?)?{_MONTH}(?:\s+\d{{1,2}}{_ORD}?\b)?"
    rf"(?:,?\s+\d{{4}}\b)?|\bthe\s+\d{{1,2}}{_ORD}\b|\b(?:1[89]|20)\d{{2}}s?\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[,.\s]\d{3})*(?:\.\d+)?(?:\s?%)?")
# A run of capitalised words; a lone capitalised word opening a sentence is only the sentence's start.
_NAME = re.compile(r"(?<![\w’'])[A-Z][\w’'-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w’'-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;•]\s+|[“\"(]\s*)$")
# Words that open a run of capitals without being part of a name ("In Brussels", "While Ukraine").
_LEADING_WORDS = (
    "I A An The In On At By For From With As After Before Since During But And Or While Last This That "
    "These Those Its His Her Their Our Some Many Most Other Both Each Every If When Although"
)
_LEADING = frozenset(_LEADING_WORDS.split())
# A lone adjective of place or people ("Russian", "European", "Western") names no one.
_ADJECTIVE = re.compile(r"\w+(?:ian|ean|ern|ese|ish)")
_POSSESSIVE = re.compile(r"[’']s$")


def found_in(paragraph: str) -> list[tuple[str, str]]:
    """The (kind, text) of each date, number and name in `paragraph`, in order, each once."""
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for match in _DATE.finditer(paragraph):
        found.append(("date", match.group().strip()))
        taken.append(match.span())
    for match in _NUMBER.finditer(paragraph):
        if not any(a <= match.start() < b for a, b in taken):
            found.append(("number", match.group().strip()))
    for match in _NAME.finditer(paragraph):
        if any(a <= match.start() < b for a, b in taken):
            continue
        name = _name(match.group(), bool(_SENTENCE_START.search(paragraph[: match.start()])))
        if name:
            found.append(("name", name))
    return list(dict.fromkeys(found))


def _name(run: str, opens_sentence: bool) -> str | None:
    """A run of capitalised words as a name, or None when it names nothing (a sentence's first word)."""
    words = run.split()
    while words and words[0] in _LEADING:
        words, opens_sentence = words[1:], False
    if opens_sentence and len(words) > 2 and words[1] in ("the", "of", "de"):
        words, opens_sentence = words[2:], False  # "Later the Port Authority": the sentence's first word
    if not words or (opens_sentence and len(words) == 1) or re.fullmatch(_MONTH, words[0]):
        return None
    if len(words) == 1 and _ADJECTIVE.fullmatch(words[0]):
        return None
    return _POSSESSIVE.sub("", " ".join(words))


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _cited_excerpts(kb: dict[str, list[Record]]) -> dict[tuple[str, int], list[str]]:
    """Every excerpt citing each (source, paragraph), its headings and credits among them."""
    excerpts: dict[tuple[str, int], list[str]] = {}

    def add(cite: Record) -> None:
        excerpts.setdefault((cite["source"], cite["paragraph"]), []).append(_key(cite["excerpt"]))

    for kind in ("events", "actors", "places", "figures", "comparisons", "slips"):
        for record in kb.get(kind, []):
            for part in (record, *record.get("roles", []), *record.get("statements", [])):
                for field in ("citations", "date_claims", "claims"):
                    for cite in part.get(field) or []:
                        if cite.get("excerpt") and cite.get("paragraph"):
                            add(cite)
    for source in kb["sources"]:
        for element in source.get("elements", []):
            add({"source": source["id"], "paragraph": element["paragraph"], "excerpt": element["text"]})
    return excerpts


def uncited_facts(kb: dict[str, list[Record]], texts: dict[str, list[str]]) -> list[Record]:
    """One gap row for each date, number and name a paragraph holds that no excerpt of it quotes.

    `texts` maps a source id to its paragraphs; `kb` holds the exported records.
    """
    excerpts = _cited_excerpts(kb)
    rows = []
    for source in kb["sources"]:
        voices = voice_map(source)
        for number, paragraph in enumerate(texts.get(source["id"], []), start=1):
            voice = voices.get(number)
            if voice is not None and voice.voice == "question":
                continue
            quoted = excerpts.get((source["id"], number), [])
            for kind, text in found_in(paragraph):
                if voice is not None and text == voice.person:
                    continue  # the answer's own label: "Cyrille Bret : …"
                if not any(_key(text) in excerpt for excerpt in quoted):
                    where = f"{source['id']}#{number}"
                    rows.append(
                        {"type": "paragraph", "id": where, "gap": f"{kind} not cited", "detail": text}
                    )
    return rows
