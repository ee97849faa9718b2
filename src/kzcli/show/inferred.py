"""The inferred mark: a value read between the lines is shown as such wherever it is shown.

A record's `inferred` maps a field (or `link`, for a record that joins two texts' facts by
inference) to the reason. Tables put "(inferred)" after the value, machine formats carry the
`inferred` column, and profiles and citations give the reasons.
"""

from __future__ import annotations

from typing import Any

from kzcli.kb.inference import INFERRED_LINK

Record = dict[str, Any]

MARK = "(inferred)"


# Among a record's fields, `link` marks those that say what the record is: an event's title, an actor's name.
LINK = INFERRED_LINK


def is_inferred(record: Record, *fields: str) -> bool:
    """Whether any of `fields` (`link` among them, for the record as a link between texts) is inferred."""
    inferred = record.get("inferred") or {}
    return any(name in inferred for name in fields)


def marked(record: Record, text: str, *fields: str) -> str:
    """`text` with the mark after it when one of `fields` is inferred."""
    return f"{text} {MARK}" if text and is_inferred(record, *fields) else text


def names(record: Record) -> str:
    """The inferred fields, for a TSV or CSV cell: "as_of; link"."""
    return "; ".join(record.get("inferred") or {})


def reasons(record: Record) -> list[tuple[str, str]]:
    """Each inferred field in words, with why: ("link", "TWA's KNB director is taken to be Masimov")."""
    return [(_worded(name), why) for name, why in (record.get("inferred") or {}).items()]


def _worded(name: str) -> str:
    return "link between texts" if name == INFERRED_LINK else name


def reason_lines(record: Record) -> list[str]:
    """One line per inference, for a citation: "Inferred as_of: read from "by mid-January"."."""
    return [f"Inferred {name}: {why}" for name, why in reasons(record)]
