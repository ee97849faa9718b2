"""Partial ISO dates (YYYY, YYYY-MM, YYYY-MM-DD) as ranges of days."""

from __future__ import annotations

import calendar
import re

from kzcli.errors import BadUsage

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_range(value: str) -> tuple[str, str]:
    """First and last day a partial date covers: '2022-01' -> ('2022-01-01', '2022-01-31')."""
    match = _PARTIAL.match(value)
    if not match:
        raise ValueError(value)
    year, month, day = match.groups()
    if day:
        return value, value
    if month:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-01", f"{year}-{month}-{last:02d}"
    return f"{year}-01-01", f"{year}-12-31"


def precision(value: str) -> int:
    """0 for a year, 1 for a month, 2 for a day: coarser dates sort first."""
    return value.count("-")


def parse_user_date(option: str, value: str) -> tuple[str, str]:
    """A --from/--to value as a day range, or a usage error naming the option."""
    try:
        start, end = date_range(value.strip())
        calendar.weekday(*map(int, start.split("-")))
        calendar.weekday(*map(int, end.split("-")))
    except ValueError:
        raise BadUsage(f"{option}: {value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD") from None
    return start, end
