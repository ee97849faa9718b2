"""Human wording of values: qualifiers, numbers, units and dates, exactly as reported.

Used by the compiler and the views alike, so it imports nothing of kz but the standard library.
"""

from __future__ import annotations

from typing import Any

QUALIFIER_WORDS = {
    "exact": "",
    "about": "about",
    "over": "over",
    "more_than": "more than",
    "at_least": "at least",
    "nearly": "nearly",
    "almost": "almost",
    "up_to": "up to",
}
_SILENT_UNITS = {"people", "count"}


def number(value: float) -> str:
    """1234567 -> '1,234,567'; 35.5 -> '35.5'; never scientific notation."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def figure_value(value: float, qualifier: str, unit: str) -> str:
    """'over 160', 'nearly 10,000', 'US$785,000,000', '70%', '2,724,902 km2'."""
    shown = number(value)
    if unit == "percent":
        shown += "%"
    elif unit == "usd":
        shown = "US$" + shown
    elif unit not in _SILENT_UNITS:
        shown += " " + unit.replace("_", " ")
    words = QUALIFIER_WORDS.get(qualifier, qualifier)
    return f"{words} {shown}" if words else shown


def dated(date: str | None, qualifier: str | None = None) -> str:
    """'2022-01-11', 'by 2022-01-11', 'around 2022-01-04'; empty when there is no date."""
    if not date:
        return ""
    return f"{qualifier} {date}" if qualifier else date


def event_date(doc: dict[str, Any], keys: dict[str, str] | None = None, *, stacked: bool = False) -> str:
    """'2022-01-05', 'by 2022-01-11', '2022-01-04 night – 2022-01-05', or each source's date.

    An event with date claims shows every claim with its source key, never one chosen date.
    `stacked` (a table's cell) puts each claim, and a span's end, on a line of its own, so that no
    date is split from its hedge.
    """
    between = "\n" if stacked else " · "
    claims = doc.get("date_claims") or []
    if claims:
        by_date: dict[str, list[str]] = {}
        for claim in sorted(claims, key=lambda c: str(c["date"])):
            shown = dated(claim["date"], claim.get("qualifier"))
            by_date.setdefault(shown, []).append((keys or {}).get(claim["source"], claim["source"]))
        return between.join(f"{date} ({', '.join(dict.fromkeys(srcs))})" for date, srcs in by_date.items())
    shown = dated(str(doc["date"]), doc.get("date_qualifier"))
    if doc.get("time"):
        shown += f" {doc['time']}"
    if doc.get("end_date"):
        shown += (" –\n" if stacked else " – ") + doc["end_date"]
    return shown
