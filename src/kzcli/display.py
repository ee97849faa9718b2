"""Human wording of values: qualifiers, numbers and units, exactly as reported."""

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


def comparison(figure: dict[str, Any]) -> str:
    """Which figures are compared with each other: a shared `group`, else metric, scope and place."""
    if figure.get("group"):
        return str(figure["group"])
    place = figure.get("place")
    return f"{figure['metric']}-{figure['scope']}".replace("_", "-") + (f"-{place}" if place else "")


def comparison_subject(members: list[dict[str, Any]]) -> str:
    """How a set of compared figures is named: 'deaths (total)' or 'death toll: casualties (total), ...'."""
    first = members[0]
    if first.get("group"):
        counted = ", ".join(dict.fromkeys(f"{f['metric']} ({f['scope']})" for f in members))
        return f"{str(first['group']).replace('-', ' ')}: {counted}"
    return f"{first['metric']} ({first['scope']})" + (f" in {first['place']}" if first.get("place") else "")


def event_date(doc: dict[str, Any]) -> str:
    """'2022-01-05', '2022-01-04 night – 2022-01-05', or every claimed date when disputed."""
    claims = doc.get("date_claims") or []
    if doc.get("disputed"):
        dates = sorted({str(c["date"]) for c in claims if isinstance(c, dict)})
        return " or ".join(dates) + " (disputed)"
    shown = str(doc["date"])
    if doc.get("time"):
        shown += f" {doc['time']}"
    if doc.get("end_date"):
        shown += f" – {doc['end_date']}"
    return shown
