"""What a record reads between the lines must say so: the rules kz checks against the texts.

A record marks such a value in `inferred: {field: reason}`; the key `link` marks a record
that joins two texts' facts (one text names the subject, another only describes it). Two
rules can be checked mechanically, so `kz validate --sources-dir` checks them:

- a date read from context: a figure's `as_of`, an event's `date` or one of its `date_claims`, that
  none of its cited paragraphs writes out (the day with its month, the month, or the year) is marked
  inferred (`as_of`, `date` or `date_claims`);
- a link between texts: an actor or place citing two or more sources, one of whose cited
  paragraphs names it by none of its names or aliases, is marked `link`.

No pydantic here: the views import the mark's name too, and a warm lookup never loads the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

INFERRED_LINK = "link"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINAL = r"(?:st|nd|rd|th)?"


def _date_pattern(date: str) -> re.Pattern[str]:
    """How a text may write `date` (YYYY, YYYY-MM or YYYY-MM-DD): "5 January", "January 5th", "2022"."""
    parts = date.split("-")
    if len(parts) == 1:
        return re.compile(rf"\b{parts[0]}\b")
    month = _MONTHS[int(parts[1]) - 1]
    named = rf"(?:{month}|{month[:3]}\.?)"
    if len(parts) == 2:
        return re.compile(rf"\b{named}", re.IGNORECASE)
    day = str(int(parts[2]))
    return re.compile(
        rf"\b{day}{_ORDINAL}\s+(?:of\s+)?{named}\b|\b{named}\s+{day}{_ORDINAL}\b|\b{parts[0]}-{parts[1]}-{parts[2]}\b",
        re.IGNORECASE,
    )


def date_written(date: str, paragraphs: list[str]) -> bool:
    """Whether any of `paragraphs` writes `date` out, rather than leaving it to be read from context."""
    pattern = _date_pattern(date)
    if date.endswith("-01-01"):  # "New Year's Day 2022" writes the day out in words
        pattern = re.compile(rf"{pattern.pattern}|New Year.s Day", re.IGNORECASE)
    return any(pattern.search(text) for text in paragraphs)


def names_of(record: Mapping[str, Any]) -> list[str]:
    """Every way a text may name an actor or place: its name, aliases and, for a person, the surname."""
    names = [record["name"], *record.get("aliases", [])]
    if record.get("kind") == "person":
        names.append(record["name"].split()[-1])
    return [n for n in names if n]


def names_it(record: Mapping[str, Any], paragraph: str) -> bool:
    """Whether `paragraph` names the record by any of its names (case and spacing aside)."""
    text = " ".join(paragraph.split()).casefold()
    return any(" ".join(name.split()).casefold() in text for name in names_of(record))


Texts = Mapping[str, list[str]]
Finding = tuple[tuple[int | str, ...], str]


def _cited(texts: Texts, cite: Mapping[str, Any]) -> str | None:
    blocks = texts.get(cite["source"])
    if blocks is None or cite["paragraph"] > len(blocks):
        return None  # the excerpt check reports a missing text or paragraph
    return str(blocks[cite["paragraph"] - 1])


def unmarked(kind: str, record: Mapping[str, Any], texts: Texts) -> Iterator[Finding]:
    """Each value of `record` read between the lines but not marked inferred, as (where, message)."""
    inferred = record.get("inferred") or {}
    if kind == "figures" and record.get("as_of") and "as_of" not in inferred:
        yield from _dated("as_of", record["as_of"], record["citations"], texts)
    if kind == "events" and record.get("date") and "date" not in inferred:
        yield from _dated("date", record["date"], record["citations"], texts)
    if kind == "events" and "date_claims" not in inferred:
        for i, claim in enumerate(record.get("date_claims") or []):
            for _, message in _dated("date_claims", claim["date"], [claim], texts):
                yield ("date_claims", i, "date"), message.replace("date_claims:", f"date_claims.{i}.date:", 1)
    if kind in ("actors", "places") and INFERRED_LINK not in inferred:
        yield from _linked(record, texts)


def _dated(field: str, date: str, citations: list[Mapping[str, Any]], texts: Texts) -> Iterator[Finding]:
    paragraphs = [p for p in (_cited(texts, c) for c in citations) if p is not None]
    if len(paragraphs) == len(citations) and not date_written(date, paragraphs):
        yield (
            (field,),
            (
                f"{field}: no cited paragraph writes {date}; a date read from context is marked "
                f"(inferred: {{{field}: why}})"
            ),
        )


def _about_it(record: Mapping[str, Any]) -> list[tuple[tuple[int | str, ...], Mapping[str, Any]]]:
    """The citations of what a record says about its subject: its own and its roles' (not statements)."""
    cites: list[tuple[tuple[int | str, ...], Mapping[str, Any]]] = [
        (("citations", i), c) for i, c in enumerate(record.get("citations") or [])
    ]
    for i, role in enumerate(record.get("roles") or []):
        cites += [(("roles", i, "citations", j), c) for j, c in enumerate(role["citations"])]
    return cites


def _linked(record: Mapping[str, Any], texts: Texts) -> Iterator[Finding]:
    citations = _about_it(record)
    if len({c["source"] for _, c in citations}) < 2:
        return
    for loc, cite in citations:
        paragraph = _cited(texts, cite)
        if paragraph is not None and not names_it(record, paragraph):
            where = ".".join(map(str, loc))
            yield (
                loc,
                (
                    f"{where}: {cite['source']} paragraph {cite['paragraph']} does not name "
                    f"{record['name']}; a record joining two texts marks the link (inferred: {{link: why}})"
                ),
            )
            return
