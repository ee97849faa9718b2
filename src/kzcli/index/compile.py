"""Turn a validated knowledge base into the rows of the SQLite index.

Imported only when a cache is cold: it pulls in yaml and pydantic through
validate.py. Everything derived (timeline order, disputes, search text, name
keys) is computed here once, so lookups only read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kzcli.compare import date_comparison, date_span, figure_comparisons, in_dispute, recorded, slip
from kzcli.compare import marks as mark_map
from kzcli.dates import date_range, precision
from kzcli.kb.files import KBFile, KBFiles, ProgressFn, bundled_data_dir, no_progress
from kzcli.kb.pieces import PIECEWISE, file_key, pieces_of
from kzcli.kb.validate import KnowledgeBase, validate
from kzcli.textnorm import name_key
from kzcli.wording import figure_value

_TIME_ORDER = {None: 0, "morning": 1, "afternoon": 2, "evening": 3, "night": 4}

Rows = dict[str, list[tuple[Any, ...]]]
Marks = dict[str, list[dict[str, Any]]]


# One encoder for every document: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dump(doc: dict[str, Any]) -> str:
    return _ENCODER.encode(doc)


def _clean_citations(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Citations in their one public shape: a missing note is null, never absent."""
    return [dict(c, note=c.get("note"), speaker=c.get("speaker")) for c in citations]


# Every claim of every comparison has these fields, null (or false, or []) where its kind has none.
CLAIM_DEFAULTS: dict[str, Any] = {
    "source": None,
    "paragraph": None,
    "excerpt": None,
    "note": None,
    "speaker": None,
    "shown": None,
    "value": None,
    "unit": None,
    "qualifier": None,
    "date": None,
    "end_date": None,
    "refers_to": None,
    "figure": None,
    "derived": False,
    "derived_from": [],
    "derivation": None,
    "parts": [],
    "inferred": None,
    "metric": None,
    "scope": None,
    "place": None,
    "as_of": None,
    "as_of_qualifier": None,
    "attributed_to": None,
    "caveat": None,
}


def _event_doc(event: dict[str, Any], marked: list[dict[str, Any]]) -> dict[str, Any]:
    """An event as JSON: every claim's citation among its citations, its date the earliest claim's."""
    doc = dict(event, citations=_clean_citations(event["citations"]))
    claims = doc["date_claims"] = _clean_citations(event["date_claims"] or [])
    if claims:
        doc["date"] = min(c["date"] for c in claims)
        seen = {(c["source"], c["paragraph"], c["excerpt"]) for c in doc["citations"]}
        doc["citations"] += [
            {k: c.get(k) for k in ("source", "paragraph", "excerpt", "note", "speaker")}
            for c in claims
            if (c["source"], c["paragraph"], c["excerpt"]) not in seen
        ]
    doc["era"] = era_of(event)
    return doc | _mark_fields(marked)


def era_of(record: dict[str, Any]) -> str:
    """The record's era; one left unmarked is shown with the unrest (the bundled KB marks every one)."""
    return str(record.get("era") or "unrest")


def _mark_fields(marked: list[dict[str, Any]]) -> dict[str, Any]:
    """The dispute mark every fact carries: its comparisons (worst first) and whether it is in dispute."""
    return {"disputes": marked, "disputed": in_dispute(marked)}


def _event_span(doc: dict[str, Any]) -> tuple[str, str]:
    spans = [date_span(c["date"], c.get("qualifier"), c.get("end_date")) for c in doc.get("date_claims", [])]
    if not spans:
        spans = [date_range(doc["date"])]
        if doc.get("end_date"):
            spans.append(date_range(doc["end_date"]))
    # A bound ("by 11 January") places the event at the bound itself for ordering and ranges.
    firsts = [first if first != "0001-01-01" else last for first, last in spans]
    lasts = [last if last != "9999-12-31" else first for first, last in spans]
    return min(firsts), max(lasts)


def _names(kind: str, record: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    spellings = [record["id"], record["name"], *record.get("aliases", [])]
    keys = {name_key(s): s for s in spellings if name_key(s)}
    return [(kind, record["id"], spelling, key) for key, spelling in keys.items()]


def _citation_rows(
    kind: str, record_id: str, label: str, citations: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    return [(kind, record_id, label, c["source"], c["paragraph"], c["excerpt"]) for c in citations]


def _note_rows(records: dict[str, list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """Search rows for the notes on citations: how a date follows, a slip noticed, a spelling."""
    found = []
    for kind in ("events", "figures", "actors", "places"):
        for record in records.get(kind, []):
            parts = [record, *record.get("roles", []), *record.get("statements", [])]
            for part in parts:
                for cite in [*part.get("citations", []), *(part.get("date_claims") or [])]:
                    if cite.get("note"):
                        where = f"{cite['source']} ¶{cite['paragraph']}"
                        found.append(("note", part.get("id", record["id"]), where, cite["note"]))
    return found


def _folder_shown(folder: str | None) -> str:
    """Where a source came from: "bundled" for kz's own KB (its path says where kz lives), else the layer."""
    if folder is None or Path(folder).resolve() == bundled_data_dir().resolve():
        return "bundled"
    return folder


def source_rows(sources: list[dict[str, Any]], folders: dict[str, str], rows: Rows) -> None:
    """Sources in their file order, each with the layer it came from, its names and its search text."""
    for i, source in enumerate(sources):
        doc = dict(source, folder=_folder_shown(folders.get(source["id"])))
        rows["sources"].append((source["id"], i, _dump(doc)))
        headings = [e["text"] for e in source["elements"] if e["kind"] in ("title", "heading")]
        names = (source["id"], source["key"], source["file"], source["title"], *headings)
        spellings = {name_key(s): s for s in names if s}
        rows["names"].extend(("source", source["id"], s, key) for key, s in spellings.items())
        people = " ".join(f"{p['name']} {p.get('note') or ''}" for p in source["people"])
        printed = " ".join(e["text"] for e in source["elements"])
        inferred = " ".join(source["inferred"].values())
        texts = (source["title"], source["publisher"], people, printed, source["note"], inferred)
        body = " ".join(filter(None, texts))
        rows["search"].append(("source", source["id"], source["title"] or source["id"], body))


def _with_aliases(records: list[dict[str, Any]], extra: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Actors or places with the spellings aliases.yaml adds; the records read stay as they were."""
    return [
        dict(r, aliases=list(dict.fromkeys([*r["aliases"], *extra[r["id"]]]))) if r["id"] in extra else r
        for r in records
    ]


def _named_rows(kind: str, records: list[dict[str, Any]], marks: Marks, rows: Rows) -> None:
    """Actors or places: rows, name keys, search text and citations."""
    table = kind + "s"
    for record in records:
        extra = record["kind"]
        doc = dict(record, citations=_clean_citations(record["citations"])) | _mark_fields(
            marks.get(record["id"], [])
        )
        if "roles" in doc:
            doc["roles"] = [dict(p, citations=_clean_citations(p["citations"])) for p in doc["roles"]]
        if "statements" in doc:
            doc["statements"] = [_statement_doc(s, record, marks) for s in doc["statements"]]
        rows[table].append((record["id"], record["name"], extra, _dump(doc)))
        rows["names"].extend(_names(kind, record))
        fields = ("description", "region", "note")
        text = " ".join(filter(None, (record["name"], *record["aliases"], *(record.get(f) for f in fields))))
        rows["search"].append((kind, record["id"], record["name"], text))
        rows["citations"] += _citation_rows(kind, record["id"], record["name"], record["citations"])
        for role in record.get("roles", []):
            rows["citations"] += _citation_rows("role", record["id"], role["title"], role["citations"])


def order_key(*parts: str) -> str:
    """A sort key stored as text: joined by NUL, which sorts below every character, it orders as the tuple.

    Keys rather than positions, so that one record added or removed leaves every other row as it was.
    """
    return "\0".join(parts)


def event_order(doc: dict[str, Any], start: str) -> str:
    """Timeline order: first day, then the finer date first, then time of day, then id."""
    return order_key(start, str(precision(doc["date"])), str(_TIME_ORDER[doc["time"]]), doc["id"])


def _event_rows(events: list[dict[str, Any]], marks: Marks, rows: Rows) -> dict[str, str]:
    """The events' rows; returns each event's timeline order key."""
    keys = {}
    for event in events:
        doc = _event_doc(event, marks.get(event["id"], []))
        start, end = _event_span(doc)
        keys[doc["id"]] = ord_key = event_order(doc, start)
        rows["events"].append((doc["id"], ord_key, start, end, int(doc["disputed"]), _dump(doc)))
        for kind in ("places", "actors", "tags"):
            rows["event_links"].extend((doc["id"], kind[:-1], target) for target in doc[kind])
        rows["event_links"] += [(doc["id"], "source", c["source"]) for c in doc["citations"]]
        body = " ".join((doc["title"], doc["summary"], *doc["tags"]))
        rows["search"].append(("event", doc["id"], doc["title"], body))
        rows["citations"] += _citation_rows("event", doc["id"], doc["title"], doc["citations"])
    return keys


def figure_order(figure: dict[str, Any], source_order: dict[str, int]) -> str:
    """Figures' order: metric, scope, date of counting, the first source cited, then id."""
    first_source = min(source_order[c["source"]] for c in figure["citations"])
    return order_key(
        figure["metric"], figure["scope"], figure["as_of"] or "", f"{first_source:06d}", figure["id"]
    )


def _figure_rows(
    figures: list[dict[str, Any]],
    source_order: dict[str, int],
    marks: Marks,
    names_of: dict[str, str],
    rows: Rows,
) -> None:
    """Figures' rows, ordered by metric, scope, date of counting, first source cited, then id."""
    for figure in figures:
        ord_key = figure_order(figure, source_order)
        shown = figure_value(figure["value"], figure["qualifier"], figure["unit"])
        doc = dict(figure, shown=shown, citations=_clean_citations(figure["citations"]), era=era_of(figure))
        doc |= _mark_fields(marks.get(figure["id"], []))
        rows["figures"].append((figure["id"], ord_key, figure["metric"], figure["scope"], _dump(doc)))
        words = (figure["metric"].replace("_", " "), figure["scope"].replace("-", " "), shown)
        text = " ".join(filter(None, (*words, names_of.get(figure["place"] or ""), figure["note"])))
        rows["search"].append(("figure", figure["id"], f"{figure['metric']}: {shown}", text))
        label = f"{figure['metric']} ({figure['scope']}): {shown}"
        rows["citations"] += _citation_rows("figure", figure["id"], label, figure["citations"])


def _statement_doc(statement: dict[str, Any], actor: dict[str, Any], marks: Marks) -> dict[str, Any]:
    """A statement in its one public shape, in a profile and in kz statements alike."""
    doc = dict(statement, citations=_clean_citations(statement["citations"]))
    doc |= {"actor": actor["id"], "actor_name": actor["name"]}
    return doc | _mark_fields(marks.get(statement["id"], []))


def _statement_rows(actors: list[dict[str, Any]], marks: Marks, rows: Rows) -> None:
    """Statements in the order of `kz actors` (by name, then id), each actor's in its own order."""
    for actor in actors:
        for i, statement in enumerate(actor["statements"]):
            doc = _statement_doc(statement, actor, marks)
            ord_key = order_key(actor["name"].casefold(), actor["id"], f"{i:06d}")
            rows["statements"].append((statement["id"], actor["id"], ord_key, _dump(doc)))
            rows["search"].append(("statement", statement["id"], actor["name"], statement["summary"]))
            rows["citations"] += _citation_rows(
                "statement", statement["id"], statement["summary"], statement["citations"]
            )


# Comparisons are listed dates first (in timeline order), then figures, claims in words, and slips.
DATES, FIGURES, WORDS, SLIPS = "0", "1", "2", "3"


def comparison_order(group: str, within: str) -> str:
    """A comparison's place in `kz disputes`: its group, then its place in that group."""
    return order_key(group, within)


def comparison_rows(ordered: list[tuple[str, dict[str, Any]]], rows: Rows) -> None:
    """Rows for comparisons, each given with its order key."""
    for ord_key, comparison in ordered:
        doc = dict(comparison, claims=[_public_claim(c) for c in comparison["claims"]])
        rows["disputes"].append(
            (comparison["id"], ord_key, comparison["kind"], comparison["verdict"], _dump(doc))
        )
        rows["dispute_members"] += [(rid, comparison["id"]) for rid in comparison["records"]]
        text = " ".join((comparison["subject"], comparison["explanation"]))
        rows["search"].append(("dispute", comparison["id"], comparison["subject"], text))


def _public_claim(claim: dict[str, Any]) -> dict[str, Any]:
    """A claim as stored, in the one claim shape: no source key (that is display), no citation list."""
    return {k: claim.get(k, default) for k, default in CLAIM_DEFAULTS.items()}


@dataclass
class Context:
    """What a record's rows depend on beyond the record itself."""

    source_order: dict[str, int]
    source_keys: dict[str, str]
    scopes: dict[str, dict[str, Any]]
    extra_aliases: dict[str, list[str]]
    place_names: dict[str, str]
    marks: Marks = field(default_factory=dict)


def extra_aliases(alias_sets: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The spellings aliases.yaml adds, per actor or place id."""
    extra: dict[str, list[str]] = defaultdict(list)
    for alias_set in alias_sets:
        extra[alias_set["id"]] += alias_set["aliases"]
    return dict(extra)


def record_rows(records: dict[str, list[dict[str, Any]]], ctx: Context, rows: Rows) -> None:
    """The rows of these actors, places, events and figures (and the actors' statements)."""
    extra = ctx.extra_aliases
    actors = _with_aliases(records.get("actors", []), extra)
    places = _with_aliases(records.get("places", []), extra)
    _named_rows("actor", actors, ctx.marks, rows)
    _named_rows("place", places, ctx.marks, rows)
    _event_rows(records.get("events", []), ctx.marks, rows)
    _figure_rows(records.get("figures", []), ctx.source_order, ctx.marks, ctx.place_names, rows)
    _statement_rows(actors, ctx.marks, rows)
    rows["search"] += _note_rows(records)


def excerpt_rows(rows: Rows) -> None:
    """A search row for every citation's excerpt among `rows`."""
    for _kind, record_id, _label, source, paragraph, excerpt in rows.get("citations", []):
        rows["search"].append(("excerpt", record_id, f"{source} ¶{paragraph}", excerpt))


def dated_comparisons(events: list[dict[str, Any]], keys: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The date comparison of each event that has claims, keyed in timeline order."""
    found = []
    for event in events:
        comparison = date_comparison(event, keys)
        if comparison is not None:
            doc = _event_doc(event, [])
            found.append((comparison_order(DATES, event_order(doc, _event_span(doc)[0])), comparison))
    return found


def figure_comparisons_ordered(
    figures: list[dict[str, Any]], ctx: Context
) -> list[tuple[str, dict[str, Any]]]:
    """Every comparison of figures, keyed in the order compare.py gives them.

    The figures are taken in their own order, not as the files list them, so that
    claims that tie are listed alike however the knowledge base was edited.
    """
    in_order = sorted(figures, key=lambda figure: figure_order(figure, ctx.source_order))
    found = figure_comparisons(in_order, ctx.scopes, ctx.source_keys)
    return [(comparison_order(FIGURES, f"{i:08d}"), c) for i, c in enumerate(found)]


def context_of(rec: dict[str, list[dict[str, Any]]]) -> Context:
    """The context of a whole knowledge base, without the marks (they need the comparisons)."""
    return Context(
        source_order={s["id"]: i for i, s in enumerate(rec["sources"])},
        source_keys={s["id"]: s.get("key") or s["id"] for s in rec["sources"]},
        scopes={s["id"]: s for s in rec.get("scopes", [])},
        extra_aliases=extra_aliases(rec.get("aliases", [])),
        place_names={r["id"]: r["name"] for r in rec["places"]},
    )


def small_comparisons(rec: dict[str, list[dict[str, Any]]], ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    """The comparisons of figures, the claims in words and the slips, with their order keys."""
    ordered = figure_comparisons_ordered(rec["figures"], ctx)
    ordered += [(comparison_order(WORDS, f"{i:08d}"), recorded(c)) for i, c in enumerate(rec["comparisons"])]
    ordered += [(comparison_order(SLIPS, f"{i:08d}"), slip(s)) for i, s in enumerate(rec["slips"])]
    return ordered


def scope_rows(scopes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(s["id"], _dump(s)) for s in scopes]


def rows_from(kb: KnowledgeBase, files: KBFiles) -> Rows:
    """Every table's rows, ready for executemany. The records read are left as they are."""
    rec = kb.records
    rows: Rows = defaultdict(list)
    ctx = context_of(rec)
    ordered = dated_comparisons(rec["events"], ctx.source_keys) + small_comparisons(rec, ctx)
    ctx.marks = mark_map([c for _, c in ordered])
    source_rows(rec["sources"], kb.source_folders, rows)
    record_rows(rec, ctx, rows)
    comparison_rows(ordered, rows)
    rows["scopes"] = scope_rows(rec["scopes"])
    excerpt_rows(rows)
    _manifest_rows(kb, files, rows)
    return dict(rows)


def _manifest_rows(kb: KnowledgeBase, files: KBFiles, rows: Rows) -> None:
    """Each file's hash, and each piece's hash with the records it holds: what an update compares."""
    ids_in: dict[int, list[str]] = defaultdict(list)
    for kind in PIECEWISE:
        for record, file in zip(kb.records[kind], kb.record_files.get(kind, []), strict=True):
            ids_in[id(file)].append(record["id"])
    for file in files.files:
        key = file_key(files, file)
        rows["kb_files"].append((key, file.kind, file.digest))
        if file.kind in PIECEWISE:
            rows["pieces"] += piece_rows(key, file, ids_in[id(file)])


def piece_rows(key: str, file: KBFile, ids: list[str]) -> list[tuple[str, str, str]]:
    """One row per record of the file, or one for the whole file when its records cannot be told apart."""
    pieces = pieces_of(file)
    if len(pieces) != len(ids):
        return [(key, file.digest, json.dumps(ids))]
    return [
        (key, piece.digest, json.dumps([record_id])) for piece, record_id in zip(pieces, ids, strict=True)
    ]


def compile_kb(kb: KBFiles, progress: ProgressFn = no_progress) -> Rows:
    """Validate `kb` (raising InvalidKB) and return its index rows."""
    checked = validate(kb, progress=progress)
    progress("building the index", 0, 1)
    return rows_from(checked, kb)
