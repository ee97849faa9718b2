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
# What each source's figure in a comparison carries (the cells of the by-source matrix).
CLAIM_FIELDS = ("figure", "metric", "scope", "value", "qualifier", "unit", "shown", "as_of", "attributed_to")


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


HEADLINE_METRICS = ("deaths", "casualties", "injured", "arrests", "troops")


def _support(record: Record) -> int:
    return len(cited_sources(record))


def brief(kb: dict[str, list[Record]], first: str, last: str, sizes: dict[str, int]) -> Record:
    """A newcomer's summary: the most-cited events, key dates, key actors and headline figures.

    `first`/`last` bound the core period; `sizes` caps each section. Events
    outside the period still count as background for the actors.
    """
    core = [e for e in kb["events"] if first <= e["date"] <= last] or kb["events"]
    order = {e["id"]: i for i, e in enumerate(kb["events"])}
    most_cited = sorted(core, key=lambda e: (-_support(e), order[e["id"]]))
    happened = sorted(most_cited[: sizes["happened"]], key=lambda e: order[e["id"]])
    day_events = [e for e in most_cited if len(e["date"]) == 10 or e["disputed"]]
    dates = sorted(day_events[: sizes["dates"]], key=lambda e: order[e["id"]])
    involvement: dict[str, int] = defaultdict(int)
    for event in core:
        for actor in event["actors"]:
            involvement[actor] += 1
    actors = sorted(
        (a for a in kb["actors"] if involvement[a["id"]]), key=lambda a: (-involvement[a["id"]], a["name"])
    )[: sizes["actors"]]
    headline = [f for f in kb["figures"] if f["metric"] in HEADLINE_METRICS]
    # Only figures about the period: a dated figure outside it (an earlier strike) is background.
    headline = [f for f in headline if not f["as_of"] or first[:7] <= f["as_of"] <= last]
    rows = [r for r in by_source(headline) if len(r["cells"]) > 1 or r["metric"] in ("deaths", "arrests")]
    return {
        "period": {"from": first, "to": last},
        "what_happened": [
            {
                "event": e["id"],
                "date": e["date"],
                "disputed": e["disputed"],
                "summary": e["summary"],
                "sources": cited_sources(e),
            }
            for e in happened
        ],
        "key_dates": [
            {
                "event": e["id"],
                "date": e["date"],
                "disputed": e["disputed"],
                "claims": sorted({c["date"] for c in e.get("date_claims", [])}),
                "title": e["title"],
                "sources": cited_sources(e),
            }
            for e in dates
        ],
        "key_actors": [
            {
                "actor": a["id"],
                "name": a["name"],
                "events": involvement[a["id"]],
                "role": a["roles"][0] if a.get("roles") else None,
                "sources": cited_sources(a),
            }
            for a in actors
        ],
        "figures": rows[: sizes["figures"]],
    }
