"""Terminal charts drawn as plain lines of text: figures as bars, the timeline as a day strip.

No rich here: a chart is a list of strings, in Unicode at a terminal and in
ASCII when piped, so it reads the same in a log file, a pager or LC_ALL=C.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from kzcli.ask.summaries import CLAIM_FIELDS, Record
from kzcli.compare import date_in_dispute
from kzcli.show.summary_views import claim_cell
from kzcli.show.views import Table, View, cell_text, source_keys
from kzcli.textnorm import wrap_words

# Qualifiers whose true value lies above or below the number drawn.
_ABOVE = {"over", "more_than", "at_least"}
_BELOW = {"nearly", "almost", "up_to"}
MIN_BAR = 10


@dataclass(frozen=True)
class Style:
    """The glyphs a chart is drawn with."""

    full: str
    disputed: str
    above: str
    below: str
    about: str
    key_event: str
    dash: str
    ellipsis: str

    def marker(self, qualifier: str) -> str:
        if qualifier in _ABOVE:
            return self.above
        if qualifier in _BELOW:
            return self.below
        return self.about if qualifier == "about" else ""


UNICODE = Style(
    full="█", disputed="░", above="▶", below="◀", about="~", key_event="◆", dash="—", ellipsis="…"
)
ASCII = Style(
    full="#", disputed=":", above=">", below="<", about="~", key_event="*", dash="-", ellipsis="..."
)
# Fixed English names: strftime's would follow the C library's locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _bar(value: float, top: float, width: int, glyph: str) -> str:
    if top <= 0 or value <= 0:
        return ""
    return glyph * max(1, round(width * value / top))


def figure_lines(
    rows: list[Record], sources: list[Record], originators: dict[str, str], style: Style, width: int
) -> list[str]:
    """Per compared set (a by_source row), one bar per source's figure; a qualifier marks the bar's end."""
    keys = source_keys(sources)
    lines: list[str] = []
    for row in rows:
        bars = [
            (keys.get(source, source), claim) for source, claims in row["cells"].items() for claim in claims
        ]
        label_width = max(len(key) for key, _ in bars)
        texts = [claim_cell(claim, originators) for _, claim in bars]
        lead = 2 + label_width + 2
        room = width - lead - max(len(t) for t in texts) - 2
        # Too narrow for bar and words on one line: the words go on the lines below the bar.
        inline = room >= MIN_BAR
        room = room if inline else max(MIN_BAR, width - lead - 1)
        top = max(float(claim["value"]) for _, claim in bars)
        flag = f" {style.dash} {_flag(row)}" if row["disputed"] else ""
        lines += wrap_words(f"{row['subject']}{flag}", width)
        for (key, claim), text in zip(bars, texts, strict=True):
            bar = _bar(float(claim["value"]), top, room, style.full) + style.marker(claim["qualifier"])
            if inline:
                lines.append(f"  {key:<{label_width}}  {bar} {text}")
            else:
                lines.append(f"  {key:<{label_width}}  {bar}")
                lines += wrap_words(text, width, " " * lead)
        lines.append("")
    lines += _legend(
        [
            f"{style.above} at least this (over, more than, at least)",
            f"{style.below} at most this (nearly, almost, up to)",
            f"{style.about} about this",
        ],
        width,
    )
    return lines


def _flag(row: Record) -> str:
    """A disputed row's stored verdict, and its part's within its whole when that is what is in dispute."""
    said = [row["verdict"]] if row["verdict"] else []
    said += [f"{w['verdict']} within its whole" for w in row["within"] if w["verdict"] != "agrees"]
    return "; ".join(said)


def _legend(items: list[str], width: int) -> list[str]:
    """Legend items three spaces apart, as many to a line as fit."""
    lines = [""]
    for item in items:
        joined = f"{lines[-1]}   {item}" if lines[-1] else item
        if len(joined) <= width or not lines[-1]:
            lines[-1] = joined
        else:
            lines.append(item)
    return lines


def figures_view(
    rows: list[Record], sources: list[Record], originators: dict[str, str], style: Style, width: int
) -> View:
    """The figure bars of a by-source matrix as text, with the bars' data for JSON and TSV."""
    keys = source_keys(sources)
    bars = [
        {
            "row": row["row"],
            "subject": row["subject"],
            "source": source,
            "key": keys.get(source, source),
            **claim,
            "verdict": row["verdict"],
            "within": row["within"],
            "disputed": row["disputed"],
        }
        for row in rows
        for source, claims in row["cells"].items()
        for claim in claims
    ]
    columns = ["row", "subject", "source", *CLAIM_FIELDS, "verdict", "disputed"]
    flat = Table(columns, [[cell_text(bar[c]) for c in columns] for bar in bars])
    return View(bars, [flat], flat, text=figure_lines(rows, sources, originators, style, width))


def _days(first: str, last: str) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def day_counts(events: list[Record], first: str, last: str) -> list[Record]:
    """Per day from `first` to `last`: firmly dated events, disputed claims, and the key event.

    An event whose date is disputed counts on every day a source gives, as a
    disputed claim; the key event of a day is its firmly dated event with the
    most sources (ties: the earlier in timeline order).
    """
    firm: dict[str, list[Record]] = defaultdict(list)
    disputed: dict[str, list[Record]] = defaultdict(list)
    for event in events:
        if date_in_dispute(event["disputes"]) or event.get("date_qualifier"):
            # Never one chosen day: every day a source gives, bounds and "around" included.
            for day in sorted({c["date"] for c in event["date_claims"]} or {event["date"]}):
                disputed[day].append(event)
        else:
            firm[event["date"]].append(event)
    result = []
    for day in _days(first, last):
        ranked = sorted(firm[day], key=lambda e: -len({c["source"] for c in e["citations"]}))
        key_event = ranked[0] if ranked else None
        result.append(
            {
                "date": day,
                "events": len(firm[day]),
                "in_dispute": len(disputed[day]),
                "key_event": key_event["id"] if key_event else None,
                "key_title": key_event["title"] if key_event else None,
                "key_sources": sorted({c["source"] for c in key_event["citations"]}) if key_event else [],
                "event_ids": [e["id"] for e in firm[day]],
                "disputed_ids": [e["id"] for e in disputed[day]],
                "disputed_titles": [e["title"] for e in disputed[day]],
            }
        )
    return result


def timeline_lines(
    days: list[Record], sources: list[Record], unplaced: int, style: Style, width: int
) -> list[str]:
    """A day strip: a bar of each day's events, its count, and its key event's title and sources."""
    keys = source_keys(sources)
    top = max((d["events"] + d["in_dispute"] for d in days), default=0)
    bar_width = min(20, max(MIN_BAR, width // 5))
    lines = []
    for day in days:
        when = dt.date.fromisoformat(day["date"])
        bar = _bar(day["events"], top, bar_width, style.full) + style.disputed * day["in_dispute"]
        count = str(day["events"]) + (f" +{day['in_dispute']}?" if day["in_dispute"] else "")
        label = f"{_WEEKDAYS[when.weekday()]} {when.day:02d} {_MONTHS[when.month - 1]}"
        line = f"{label}  {bar:<{bar_width + 3}} {count:>5}"
        if not day["key_title"] and day["disputed_ids"]:
            tail = " (date uncertain)"
            line += f"  ? {_cut(day['disputed_titles'][0], width - len(line) - 4 - len(tail), style)}{tail}"
        elif day["key_title"]:
            cited = ", ".join(keys.get(s, s) for s in day["key_sources"])
            rest = width - len(line) - len(cited) - len("  * ") - len(" []")
            line += f"  {style.key_event} {_cut(day['key_title'], rest, style)} [{cited}]"
        lines.append(line.rstrip())
    lines.append("")
    lines += _legend(
        [
            f"{style.full} events dated to the day",
            f"{style.disputed} +n? dates in dispute, or given only as a bound",
            f"{style.key_event} the day's most-cited event",
        ],
        width,
    )
    if unplaced:
        many = unplaced != 1
        note = (
            f"{unplaced} event{'s' if many else ''} in this range {'are' if many else 'is'} dated only"
            " to the month or year and not drawn."
        )
        lines += wrap_words(note, width)
    return lines


def _cut(title: str, room: int, style: Style) -> str:
    """A title cut to `room` characters, with an ellipsis where it was cut."""
    if len(title) <= room:
        return title
    return title[: max(room - len(style.ellipsis), 1)] + style.ellipsis


def timeline_view(
    events: list[Record], sources: list[Record], first: str, last: str, style: Style, width: int
) -> View:
    """The day strip as text, with one record per day for JSON and TSV."""
    dated = [e for e in events if date_in_dispute(e["disputes"]) or len(e["date"]) == len("YYYY-MM-DD")]
    days = day_counts(dated, first, last)
    columns = ["date", "events", "in_dispute", "key_event", "key_title", "key_sources"]
    flat = Table(
        columns, [[cell_text(d[c]) if c != "key_sources" else "; ".join(d[c]) for c in columns] for d in days]
    )
    lines = timeline_lines(days, sources, len(events) - len(dated), style, width)
    return View(days, [flat], flat, text=lines)
