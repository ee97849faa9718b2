"""Research views of the facts: sources compared side by side, trust gates and gaps.

Pure: records in, records out. The CLI fetches records with queries.py and
renders what these functions return with research_views.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kzcli.dates import precision
from kzcli.display import comparison, comparison_subject, figure_value

Record = dict[str, Any]


def cited_sources(record: Record) -> list[str]:
    """The distinct sources a record cites, in citation order."""
    return list(dict.fromkeys(c["source"] for c in record["citations"]))


def by_source(figures: list[Record]) -> list[Record]:
    """One row per compared set of figures, with each source's figures side by side.

    A row's `cells` maps a source id to the figures it reports for that row. The
    spread runs from the lowest to the highest value; `contested` is true when two
    or more sources give different values.
    """
    rows: dict[str, list[Record]] = defaultdict(list)
    for figure in figures:
        rows[comparison(figure)].append(figure)
    matrix = []
    for key, members in rows.items():
        cells: dict[str, list[Record]] = defaultdict(list)
        for figure in members:
            for source in cited_sources(figure):
                cells[source].append(
                    {
                        "figure": figure["id"],
                        "metric": figure["metric"],
                        "scope": figure["scope"],
                        "value": figure["value"],
                        "qualifier": figure["qualifier"],
                        "unit": figure["unit"],
                        "shown": figure_value(figure["value"], figure["qualifier"], figure["unit"]),
                        "as_of": figure["as_of"],
                        "attributed_to": figure.get("attributed_to"),
                    }
                )
        low = min(members, key=lambda f: f["value"])
        high = max(members, key=lambda f: f["value"])
        values = {(f["value"], f["qualifier"], f["unit"]) for f in members}
        matrix.append(
            {
                "row": key,
                "subject": comparison_subject(members),
                "metric": members[0]["metric"],
                "scope": members[0]["scope"],
                "place": members[0]["place"],
                "cells": dict(cells),
                "low": figure_value(low["value"], low["qualifier"], low["unit"]),
                "high": figure_value(high["value"], high["qualifier"], high["unit"]),
                "contested": len(cells) > 1 and len(values) > 1,
            }
        )
    return matrix


def attributed_to(figures: list[Record], actor_id: str) -> list[Record]:
    """The figures whose originator is `actor_id`."""
    return [f for f in figures if f.get("attributed_to") == actor_id]


def with_min_sources(records: list[Record], count: int) -> list[Record]:
    """The records that at least `count` distinct sources support."""
    return [r for r in records if len(cited_sources(r)) >= count]


def disputed_figures(figures: list[Record]) -> list[Record]:
    """The figures that another source contradicts within the same comparison."""
    contested = {row["row"] for row in by_source(figures) if row["contested"]}
    return [f for f in figures if comparison(f) in contested]


def gaps(kb: dict[str, list[Record]]) -> list[Record]:
    """What a contributor could strengthen: single-source facts, loose dates, unstated metadata.

    `kb` holds the exported records: sources, events, actors, places, figures.
    """
    found: list[Record] = []

    def gap(kind: str, record_id: str, problem: str, detail: str) -> None:
        found.append({"type": kind, "id": record_id, "gap": problem, "detail": detail})

    for source in kb["sources"]:
        for field in ("title", "publisher", "published"):
            if source[field] is None:
                gap("source", source["id"], "metadata not stated", f"{field}: the text does not state it")
        for field, reason in source["inferred"].items():
            gap("source", source["id"], "metadata inferred", f"{field}: {reason}")
    for event in kb["events"]:
        if event["disputed"]:
            continue  # a dispute is recorded on purpose, not a gap
        if precision(event["date"]) < 2:
            gap("event", event["id"], "date not to the day", f"dated only {event['date']}")
    for figure in kb["figures"]:
        if figure["as_of"] is None:
            gap("figure", figure["id"], "no as-of date", "the figure's date is not stated")
    facts = [("event", e) for e in kb["events"]] + [("figure", f) for f in kb["figures"]]
    facts += [(kind[:-1], r) for kind in ("actors", "places") for r in kb[kind]]
    facts += [("statement", s) for a in kb["actors"] for s in a["statements"]]
    for kind, record in facts:
        sources = cited_sources(record)
        if len(sources) == 1:
            gap(kind, record["id"], "single source", f"only {sources[0]} supports it")
    return found
