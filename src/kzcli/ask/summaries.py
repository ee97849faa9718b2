"""Research views of the facts: sources compared side by side, trust gates and gaps.

Pure: records in, records out. The CLI fetches records with queries.py and
renders what these functions return with research_views.py.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from kzcli import compare
from kzcli.dates import precision

Record = dict[str, Any]
# What each source's figure in a comparison carries (the cells of the by-source matrix).
CLAIM_FIELDS = (
    "figure",
    "derived",
    "derived_from",
    "metric",
    "scope",
    "value",
    "qualifier",
    "unit",
    "shown",
    "as_of",
    "as_of_qualifier",
    "attributed_to",
    "caveat",
    "inferred",
)


def cited_sources(record: Record) -> list[str]:
    """The distinct sources a record cites, in citation order."""
    return list(dict.fromkeys(c["source"] for c in record["citations"]))


def by_source(
    figures: list[Record],
    scopes: dict[str, Record],
    keys: dict[str, str] | None,
    stored: Mapping[str, Record],
) -> list[Record]:
    """One row per question (metric, scope, place), each source's claims side by side.

    A row's `cells` maps a source id to its claims, a sum derived from the source's
    parts included (marked `derived`). Its verdict is its question's, as the compiler
    stored it (`stored`, by comparison id) over all the question's claims, however few
    of them the view shows: one question has one verdict, and no call judges a pair
    again. `within` lists a part's stored comparisons with its wholes, nearest first, `subset` says how many
    of the question's compared claims the row shows when it shows fewer, `compared_sources`
    are the sources of every claim those verdicts were judged over (shown or not: the
    explanations name them), and `part_of` names the row of the whole; parts follow their whole.
    """
    slots = compare.slot_claims(figures, scopes, keys)
    broader = {key: compare.broader_claims(claims[0], slots, scopes) for key, claims in slots.items()}
    # A less specific claim is a side of the narrower question it meets (price change of fuel in
    # general beside LPG's), so it is shown in that row, not again as a question of its own.
    folded = {slot_key for key in slots if key in stored for slot_key in _slots_of(broader[key])}
    matrix = []
    for key, claims in slots.items():
        if key in folded and key not in stored:
            continue
        cells: dict[str, list[Record]] = defaultdict(list)
        shown = claims + (broader[key] if key in stored else [])
        for claim in shown:
            cells[claim["source"]].append(
                {name: claim[name] for name in ("source", *CLAIM_FIELDS, "citations")}
            )
        whole = compare.whole_slot(claims[0], scopes)
        own = stored.get(key)
        wholes = [
            found for cid in compare.within_ids(key, claims[0]["scope"], scopes) if (found := stored.get(cid))
        ]
        judged = [c for found in [own, *wholes] if found for c in found["claims"]]
        matrix.append(
            {
                "row": key,
                "subject": compare.slot_subject(claims, scopes),
                "metric": claims[0]["metric"],
                "scope": claims[0]["scope"],
                "place": claims[0]["place"],
                "part_of": whole if whole in slots else None,
                "cells": dict(cells),
                "verdict": own["verdict"] if own else None,
                "explanation": own["explanation"] if own else None,
                "within": [_verdict_of(found) for found in wholes],
                "subset": _subset(shown, own),
                "compared_sources": sorted({c["source"] for c in judged}),
                "disputed": any(c and c["verdict"] in compare.IN_DISPUTE for c in [own, *wholes]),
            }
        )
    return _parts_after_wholes(matrix)


def _slots_of(claims: list[Record]) -> set[str]:
    return {compare.slot_key(claim) for claim in claims}


def _claim_key(claim: Record) -> tuple[Any, ...]:
    """What tells one compared claim from another: its figure, or the parts it is derived from."""
    return (claim["figure"], tuple(claim["derived_from"]), claim["source"])


def _subset(claims: list[Record], stored: Record | None) -> Record | None:
    """How many of the question's compared claims a row shows, when it shows fewer than all."""
    if stored is None:
        return None
    compared = {_claim_key(c) for c in stored["claims"]}
    shown = sum(_claim_key(c) in compared for c in claims)
    return {"shown": shown, "of": len(compared)} if shown < len(compared) else None


def _verdict_of(comparison: Record) -> Record:
    """A stored comparison as a row names it: its id, verdict and why."""
    return {k: comparison[k] for k in ("id", "verdict", "explanation")}


def _parts_after_wholes(matrix: list[Record]) -> list[Record]:
    by_row = {r["row"]: r for r in matrix}

    def lineage(row: Record) -> list[str]:
        chain = [row["row"]]
        while by_row[chain[0]]["part_of"] and by_row[chain[0]]["part_of"] not in chain:
            chain.insert(0, by_row[chain[0]]["part_of"])
        return chain

    return sorted(matrix, key=lineage)


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


_STATES_A_FACT = re.compile(r"\d|\b[A-Z][a-z]+\b")


def coverage(kb: dict[str, list[Record]], texts: dict[str, list[str]]) -> list[Record]:
    """Paragraphs that state a date, a number or a name, that no record cites and no reason excuses.

    `texts` maps a source id to its paragraphs. A paragraph "states a fact" when it holds a
    digit or a capitalised word after its first; headings of a few words are left to the reader.
    """
    cited: set[tuple[str, int]] = set()
    for kind in ("events", "actors", "places", "figures", "comparisons"):
        for record in kb.get(kind, []):
            cited.update((c["source"], c["paragraph"]) for c in _every_citation(record))
    found = []
    for source in kb["sources"]:
        excused = {u["paragraph"] for u in source.get("uncited", [])}
        excused |= {e["paragraph"] for e in source.get("elements", [])}
        for number, paragraph in enumerate(texts.get(source["id"], []), start=1):
            if (source["id"], number) in cited or number in excused:
                continue
            words = paragraph.split()
            if len(words) > 6 and _STATES_A_FACT.search(" ".join(words[1:])):
                detail = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
                found.append(
                    {
                        "type": "paragraph",
                        "id": f"{source['id']}#{number}",
                        "gap": "paragraph not cited",
                        "detail": detail,
                    }
                )
    return found


def _every_citation(record: Record) -> list[Record]:
    cites = list(record.get("citations") or []) + list(record.get("date_claims") or [])
    cites += list(record.get("claims") or [])
    for part in ("roles", "statements"):
        for item in record.get(part) or []:
            cites += item["citations"]
    return cites


# In the order a newcomer asks: killed, arrested, deployed, hurt.
HEADLINE_METRICS = ("deaths", "arrests", "troops", "casualties", "injured")


def _support(record: Record) -> int:
    return len(cited_sources(record))


def key_dates(events: list[Record], count: int) -> list[Record]:
    """One event a day across the whole unrest (its most-cited), thinned evenly to `count` days.

    The first day and the last two always stay, so the dates run from the trigger to the end.
    """
    order = {e["id"]: i for i, e in enumerate(events)}
    best: dict[str, Record] = {}
    for event in events:
        if len(event["date"]) != len("YYYY-MM-DD") and not event["date_claims"]:
            continue
        day = event["date"]
        if day not in best or (-_support(event), order[event["id"]]) < (
            -_support(best[day]),
            order[best[day]["id"]],
        ):
            best[day] = event
    days = sorted(best)
    if len(days) > count > 2:
        # The trigger and the last two days (the withdrawal, the reform speech) stay; the middle thins.
        middle, keep = days[1:-2], count - 3
        step = len(middle) / keep if keep else 0
        days = [days[0], *(middle[int(i * step)] for i in range(keep)), *days[-2:]]
    return [best[day] for day in days]


def headline_rows(
    kb: dict[str, list[Record]], scopes: dict[str, Record], stored: Mapping[str, Record]
) -> list[Record]:
    """The by-source rows of the unrest's headline figures (see by_source), for the brief."""
    headline = [f for f in kb["figures"] if f["metric"] in HEADLINE_METRICS and f["era"] == "unrest"]
    return by_source(headline, scopes, {s["id"]: s.get("key") or s["id"] for s in kb["sources"]}, stored)


def brief(kb: dict[str, list[Record]], sizes: dict[str, int], rows: list[Record]) -> Record:
    """A newcomer's summary of the unrest: the most-cited events, key dates, key actors, headline figures.

    Only records of the unrest count (era); `sizes` caps each section. `rows` are the
    headline figures' rows (headline_rows), made once however often the sizes are tried:
    their verdicts are their questions' stored ones.
    """
    core = [e for e in kb["events"] if e["era"] == "unrest"]
    order = {e["id"]: i for i, e in enumerate(kb["events"])}
    most_cited = sorted(core, key=lambda e: (-_support(e), order[e["id"]]))
    happened = sorted(most_cited[: sizes["happened"]], key=lambda e: order[e["id"]])
    involvement: dict[str, int] = defaultdict(int)
    for event in core:
        for actor in event["actors"]:
            involvement[actor] += 1
    actors = sorted(
        (a for a in kb["actors"] if involvement[a["id"]]), key=lambda a: (-involvement[a["id"]], a["name"])
    )[: sizes["actors"]]
    # Killed, arrested, deployed, hurt, in that order; a part is shown only when its sources contradict.
    wholes = sorted(
        (r for r in rows if not r["part_of"]),
        key=lambda r: (HEADLINE_METRICS.index(r["metric"]), -len(r["cells"])),
    )
    spans = sorted(e["date"] for e in core if len(e["date"]) == len("YYYY-MM-DD"))
    return {
        "period": {"from": spans[0] if spans else None, "to": spans[-1] if spans else None},
        "what_happened": [_brief_event(e) | {"summary": e["summary"]} for e in happened],
        "key_dates": [_brief_event(e) | {"title": e["title"]} for e in key_dates(core, sizes["dates"])],
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
        "figures": [
            r
            for whole in wholes[: sizes["figures"]]
            for r in rows
            if r is whole or (r["part_of"] == whole["row"] and _contradicted(r))
        ],
    }


def _contradicted(row: Record) -> bool:
    """Whether a row's question, or its part's fit within its whole, is a contradiction."""
    return "contradiction" in (row["verdict"], *(w["verdict"] for w in row["within"]))


def _brief_event(event: Record) -> Record:
    return {
        "event": event["id"],
        "date": event["date"],
        "date_claims": event["date_claims"],
        "disputed": event["disputed"],
        "disputes": event["disputes"],
        "sources": cited_sources(event),
    }
