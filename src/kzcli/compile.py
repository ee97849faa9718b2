"""Turn a validated knowledge base into the rows of the SQLite index.

Imported only when a cache is cold: it pulls in yaml and pydantic through
validate.py. Everything derived (timeline order, disputes, search text, name
keys) is computed here once, so lookups only read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from kzcli.dates import date_range, precision
from kzcli.display import comparison, comparison_subject, figure_value
from kzcli.kbfiles import KBFiles, ProgressFn, no_progress
from kzcli.textnorm import name_key
from kzcli.validate import KnowledgeBase, validate

_TIME_ORDER = {None: 0, "morning": 1, "afternoon": 2, "evening": 3, "night": 4}

Rows = dict[str, list[tuple[Any, ...]]]


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _clean_citations(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k != "note" or v is not None} for c in citations]


def _event_doc(event: dict[str, Any]) -> dict[str, Any]:
    doc = dict(event)
    claims = doc.pop("date_claims") or []
    doc["citations"] = _clean_citations(doc["citations"])
    if claims:
        doc["date_claims"] = _clean_citations(claims)
        doc["date"] = min(c["date"] for c in claims)
        doc["disputed"] = len({c["date"] for c in claims}) > 1
        seen = {(c["source"], c["paragraph"], c["excerpt"]) for c in doc["citations"]}
        for claim in doc["date_claims"]:
            if (claim["source"], claim["paragraph"], claim["excerpt"]) not in seen:
                doc["citations"].append({k: v for k, v in claim.items() if k != "date"})
    else:
        doc["disputed"] = False
    return doc


def _event_span(doc: dict[str, Any]) -> tuple[str, str]:
    dates = [c["date"] for c in doc.get("date_claims", [])] or [doc["date"]]
    if doc.get("end_date"):
        dates.append(doc["end_date"])
    return min(date_range(d)[0] for d in dates), max(date_range(d)[1] for d in dates)


def _figure_disputes(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for figure in figures:
        groups[comparison(figure)].append(figure)
    disputes = []
    for key, members in sorted(groups.items()):
        sources = {c["source"] for f in members for c in f["citations"]}
        values = {(f["value"], f["qualifier"], f["unit"]) for f in members}
        if len(sources) < 2 or len(values) < 2:
            continue
        first = members[0]
        subject = comparison_subject(members)
        claims = [
            {
                "figure": f["id"],
                "metric": f["metric"],
                "scope": f["scope"],
                "value": f["value"],
                "qualifier": f["qualifier"],
                "unit": f["unit"],
                "shown": figure_value(f["value"], f["qualifier"], f["unit"]),
                "as_of": f["as_of"],
                **cite,
            }
            for f in members
            for cite in f["citations"]
        ]
        disputes.append(
            {
                "id": key,
                "kind": "figure",
                "subject": subject,
                "grouped": bool(first["group"]),
                "metric": first["metric"],
                "scope": first["scope"],
                "place": first["place"],
                "claims": claims,
            }
        )
    return disputes


def _names(kind: str, record: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    spellings = [record["id"], record["name"], *record.get("aliases", [])]
    keys = {name_key(s): s for s in spellings if name_key(s)}
    return [(kind, record["id"], spelling, key) for key, spelling in keys.items()]


def rows_from(kb: KnowledgeBase) -> Rows:
    """Every table's rows, ready for executemany."""
    rec = kb.records
    rows: Rows = defaultdict(list)
    source_order = {s["id"]: i for i, s in enumerate(rec["sources"])}
    names_of: dict[str, str] = {}

    for i, source in enumerate(rec["sources"]):
        doc = dict(source, folder=kb.source_folders.get(source["id"]))
        rows["sources"].append((source["id"], i, _dump(doc)))
        spellings = {name_key(s): s for s in (source["id"], source["key"], source["file"]) if s}
        rows["names"].extend(("source", source["id"], s, key) for key, s in spellings.items())
        people = " ".join(p["name"] for p in source["people"])
        rows["search"].append(
            (
                "source",
                source["id"],
                source["title"] or source["id"],
                " ".join(filter(None, (source["title"], source["publisher"], people))),
            )
        )

    extra_spellings: dict[str, list[str]] = defaultdict(list)
    for alias_set in rec.get("aliases", []):
        extra_spellings[alias_set["id"]] += alias_set["aliases"]
    for kind, table in (("actor", "actors"), ("place", "places")):
        for i, record in enumerate(rec[table]):
            if record["id"] in extra_spellings:
                merged = list(dict.fromkeys([*record["aliases"], *extra_spellings[record["id"]]]))
                rec[table][i] = record = dict(record, aliases=merged)
            names_of[record["id"]] = record["name"]
            extra = record.get("type") or record.get("kind")
            doc = dict(record, citations=_clean_citations(record["citations"]))
            for part in ("roles", "statements"):
                if part in doc:
                    doc[part] = [dict(p, citations=_clean_citations(p["citations"])) for p in doc[part]]
            rows[table].append((record["id"], record["name"], extra, _dump(doc)))
            rows["names"].extend(_names(kind, record))
            text = " ".join(
                filter(
                    None,
                    (
                        record["name"],
                        *record["aliases"],
                        record.get("description"),
                        record.get("region"),
                        record.get("note"),
                    ),
                )
            )
            rows["search"].append((kind, record["id"], record["name"], text))

    events = [_event_doc(e) for e in rec["events"]]
    spans = {doc["id"]: _event_span(doc) for doc in events}

    def order(doc: dict[str, Any]) -> tuple[str, int, int, str]:
        return (spans[doc["id"]][0], precision(doc["date"]), _TIME_ORDER[doc["time"]], doc["id"])

    for i, doc in enumerate(sorted(events, key=order)):
        start, end = spans[doc["id"]]
        rows["events"].append((doc["id"], i, start, end, int(doc["disputed"]), _dump(doc)))
        for kind in ("places", "actors", "tags"):
            rows["event_links"].extend((doc["id"], kind[:-1], target) for target in doc[kind])
        for cite in doc["citations"]:
            rows["event_links"].append((doc["id"], "source", cite["source"]))
        rows["search"].append(
            ("event", doc["id"], doc["title"], " ".join((doc["title"], doc["summary"], *doc["tags"])))
        )

    figures = sorted(
        rec["figures"],
        key=lambda f: (
            f["metric"],
            f["scope"],
            f["as_of"] or "",
            min(source_order[c["source"]] for c in f["citations"]),
            f["id"],
        ),
    )
    for i, figure in enumerate(figures):
        doc = dict(figure, citations=_clean_citations(figure["citations"]))
        rows["figures"].append((figure["id"], i, figure["metric"], figure["scope"], _dump(doc)))
        shown = figure_value(figure["value"], figure["qualifier"], figure["unit"])
        text = " ".join(
            filter(
                None,
                (
                    figure["metric"].replace("_", " "),
                    figure["scope"].replace("-", " "),
                    shown,
                    names_of.get(figure["place"] or ""),
                    figure["note"],
                ),
            )
        )
        rows["search"].append(("figure", figure["id"], f"{figure['metric']}: {shown}", text))

    for actor in rec["actors"]:
        for role in actor["roles"]:
            rows["citations"].extend(
                ("role", actor["id"], role["title"], c["source"], c["paragraph"], c["excerpt"])
                for c in role["citations"]
            )
        for statement in actor["statements"]:
            doc = dict(statement, actor=actor["id"], citations=_clean_citations(statement["citations"]))
            rows["statements"].append((statement["id"], actor["id"], _dump(doc)))
            rows["search"].append(("statement", statement["id"], actor["name"], statement["summary"]))
            rows["citations"].extend(
                (
                    "statement",
                    statement["id"],
                    statement["summary"],
                    c["source"],
                    c["paragraph"],
                    c["excerpt"],
                )
                for c in statement["citations"]
            )
    labelled = [
        ("event", events, "title"),
        ("actor", rec["actors"], "name"),
        ("place", rec["places"], "name"),
    ]
    for kind, records, label in labelled:
        for record in records:
            rows["citations"].extend(
                (kind, record["id"], record[label], c["source"], c["paragraph"], c["excerpt"])
                for c in record["citations"]
            )
    for figure in figures:
        shown = figure_value(figure["value"], figure["qualifier"], figure["unit"])
        label = f"{figure['metric']} ({figure['scope']}): {shown}"
        rows["citations"].extend(
            ("figure", figure["id"], label, c["source"], c["paragraph"], c["excerpt"])
            for c in figure["citations"]
        )
    for _kind, record_id, _label, source, paragraph, excerpt in rows["citations"]:
        rows["search"].append(("excerpt", record_id, f"{source} ¶{paragraph}", excerpt))

    date_disputes = [
        {
            "id": f"date-{d['id']}",
            "kind": "date",
            "subject": d["title"],
            "event": d["id"],
            "claims": d["date_claims"],
        }
        for d in events
        if d["disputed"]
    ]
    disputes = date_disputes + _figure_disputes(figures)
    rows["disputes"] = [(d["id"], i, d["kind"], _dump(d)) for i, d in enumerate(disputes)]
    rows["dispute_members"] = [(d["event"], d["id"]) for d in date_disputes]
    rows["dispute_members"] += [
        (figure_id, d["id"])
        for d in disputes
        if d["kind"] == "figure"
        for figure_id in {c["figure"] for c in d["claims"]}
    ]

    statements = sum(len(a["statements"]) for a in rec["actors"])
    counts = {kind: len(rec[kind]) for kind in rec if kind != "aliases"}
    counts |= {"statements": statements, "disputes": len(disputes)}
    counts["facts"] = sum(counts[k] for k in ("events", "actors", "places", "figures", "statements"))
    rows["meta"] = [("counts", json.dumps(counts))]
    return dict(rows)


def compile_kb(kb: KBFiles, progress: ProgressFn = no_progress) -> Rows:
    """Validate `kb` (raising InvalidKB) and return its index rows."""
    checked = validate(kb, progress=progress)
    progress("building the index", 0, 1)
    return rows_from(checked)
