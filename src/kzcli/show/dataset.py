"""`kz export -f sqlite`: the knowledge base as a designed dataset, not a copy of the internal index.

One table per record kind with typed columns named as in the JSON (`kz schema --output`);
JSON text only for true lists (aliases, tags); link tables with declared foreign keys
(event_actors, event_places, citations, date_claims, comparison_claims); full-text search
in the form `sqlite-utils enable-fts` makes, which datasette detects (`<table>_fts`, FTS5,
`content=[table]`); and views for the common questions. Column descriptions come from the
codebook (the pydantic models) where it has them, for datasette's metadata.json. Booleans
are 0/1, as SQLite has no other. No path of this machine is written anywhere.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kzcli.errors import InvalidKB

Record = dict[str, Any]


@dataclass(frozen=True)
class Col:
    """One column: its name, SQL type, where its value comes from, what it means, what it points to."""

    name: str
    type: str = "TEXT"
    get: Callable[[Record], Any] | None = None
    about: str = ""
    references: str | None = None
    # The codebook entry whose description it takes (model, field), when not the table's own model's.
    noted: tuple[str, str] | None = None

    def value(self, row: Record) -> Any:
        raw = self.get(row) if self.get is not None else row.get(self.name)
        if isinstance(raw, bool):
            return int(raw)
        return json.dumps(raw, ensure_ascii=False) if isinstance(raw, list | dict) else raw


@dataclass(frozen=True)
class Spec:
    """One table: its name, what a row is, the codebook model it follows, its columns, its text to search."""

    name: str
    about: str
    model: str | None
    columns: list[Col]
    rows: Callable[[Record], Iterator[Record]]
    key: tuple[str, ...] = ("id",)
    search: tuple[str, ...] = ()
    indexes: tuple[str, ...] = field(default=())


def _citations(kb: Record) -> Iterator[Record]:
    for kind, plural in (
        ("event", "events"),
        ("actor", "actors"),
        ("place", "places"),
        ("figure", "figures"),
    ):
        for record in kb[plural]:
            for i, cite in enumerate(record["citations"]):
                yield cite | {"record_type": kind, "record_id": record["id"], "ord": i}
    for actor in kb["actors"]:
        for statement in actor["statements"]:
            for i, cite in enumerate(statement["citations"]):
                yield cite | {"record_type": "statement", "record_id": statement["id"], "ord": i}
        for n, role in enumerate(actor["roles"]):
            for i, cite in enumerate(role["citations"]):
                yield cite | {"record_type": "role", "record_id": f"{actor['id']}#{n}", "ord": i}


def _each(kind: str) -> Callable[[Record], Iterator[Record]]:
    return lambda kb: iter(kb[kind])


def _nested(kind: str, part: str, owner: str) -> Callable[[Record], Iterator[Record]]:
    """Rows of a list inside each record (an actor's roles), each with its owner's id and its place."""
    return lambda kb: (
        item | {owner: record["id"], "ord": i} for record in kb[kind] for i, item in enumerate(record[part])
    )


def _links(kind: str, part: str, owner: str, target: str) -> Callable[[Record], Iterator[Record]]:
    return lambda kb: ({owner: record["id"], target: item} for record in kb[kind] for item in record[part])


MARK = [
    Col("disputed", "INTEGER", about="1 when the record is one side of a contradiction or a difference."),
    Col(
        "disputes",
        about="The comparisons it is part of, worst first, as a JSON list of "
        "{id, kind, verdict, subject, about}.",
    ),
]
CITED = [
    Col("source", references="sources", about="The source cited.", noted=("Citation", "source")),
    Col("paragraph", "INTEGER", noted=("Citation", "paragraph")),
    Col("excerpt", noted=("Citation", "excerpt")),
    Col("note", noted=("Citation", "note")),
    Col("speaker", noted=("Citation", "speaker")),
]
SPECS = [
    Spec(
        "sources",
        "The source documents, with their metadata as the texts state it.",
        "Source",
        [
            Col("id"),
            Col("key", about="The short key tables and legends use (TWA, CC...)."),
            *(
                Col(name)
                for name in ("title", "publisher", "published", "kind", "language", "sha256", "file")
            ),
            Col("people"),
            Col("inferred"),
            Col("note"),
        ],
        _each("sources"),
        search=("title", "publisher", "note"),
    ),
    Spec(
        "events",
        "What happened and when: one row per event.",
        "Event",
        [
            *(
                Col(name)
                for name in ("id", "era", "date", "date_qualifier", "end_date", "time", "title", "summary")
            ),
            Col("tags"),
            Col("inferred"),
            *MARK,
        ],
        _each("events"),
        search=("title", "summary"),
        indexes=("date",),
    ),
    Spec(
        "actors",
        "People, organisations, states and groups.",
        "Actor",
        [*(Col(name) for name in ("id", "name", "kind", "aliases", "description")), Col("inferred"), *MARK],
        _each("actors"),
        search=("name", "aliases", "description"),
    ),
    Spec(
        "places",
        "Cities, regions, countries and sites, with every spelling the texts use.",
        "Place",
        [
            *(Col(name) for name in ("id", "name", "kind", "aliases")),
            *(Col(name) for name in ("region", "note", "inferred")),
            *MARK,
        ],
        _each("places"),
        search=("name", "aliases", "note"),
    ),
    Spec(
        "scopes",
        "The scopes that nest: which count is part of which (protesters within all killed).",
        "Scope",
        [Col("id"), Col("title"), Col("part_of", references="scopes")],
        _each("scopes"),
    ),
    Spec(
        "figures",
        "Numbers as each source reports them: value, qualifier ('over', 'nearly'), scope, date of counting.",
        "Figure",
        [
            *(Col(name) for name in ("id", "era", "metric")),
            Col("value", "NUMERIC"),
            Col("qualifier"),
            Col("unit"),
            Col("shown", about="The value as a reader should see it, qualifier included ('over 160')."),
            Col("scope", about="What is counted (total, protesters...); scopes lists those that nest."),
            Col("as_of"),
            Col("as_of_qualifier"),
            Col("place", references="places"),
            Col("attributed_to", references="actors"),
            Col("note"),
            Col("inferred"),
            *MARK,
        ],
        _each("figures"),
        search=("metric", "shown", "note"),
        indexes=("metric",),
    ),
]

SPECS += [
    Spec(
        "statements",
        "Claims and remarks, each the actor's, as the sources report them.",
        "Statement",
        [
            Col("id"),
            Col("actor", references="actors", about="Whose statement it is."),
            Col("actor_name", about="The actor's name."),
            Col("date"),
            Col("summary"),
            Col("inferred"),
            *MARK,
        ],
        lambda kb: (s for actor in kb["actors"] for s in actor["statements"]),
        search=("summary",),
    ),
    Spec(
        "roles",
        "The offices and roles an actor held, with when.",
        "Role",
        [
            Col("actor", references="actors", about="Who held the role."),
            Col("ord", "INTEGER", about="The role's place in the actor's list."),
            Col("title"),
            Col("from"),
            Col("to"),
        ],
        _nested("actors", "roles", "actor"),
        key=("actor", "ord"),
    ),
    Spec(
        "date_claims",
        "Each source's date for an event the sources date differently.",
        "DateClaim",
        [
            Col("event", references="events", about="The event dated."),
            Col("ord", "INTEGER", about="The claim's place in the event's list."),
            *CITED,
            Col("date"),
            Col("qualifier"),
            Col("end_date"),
            Col("refers_to"),
        ],
        _nested("events", "date_claims", "event"),
        key=("event", "ord"),
    ),
    Spec(
        "comparisons",
        "Where sources are set side by side: the question, the verdict and why.",
        "Comparison",
        [Col(name) for name in ("id", "kind", "subject", "verdict", "explanation")],
        _each("comparisons"),
        search=("subject", "explanation"),
    ),
    Spec(
        "comparison_claims",
        "Each side of a comparison: what one source claims, with its citation.",
        "ComparedClaim",
        [
            Col("comparison", references="comparisons", about="The comparison this claim is a side of."),
            Col("ord", "INTEGER", about="The claim's place in the comparison."),
            *CITED,
            Col("shown", about="The claim as a reader should see it, qualifier included."),
            Col("value", "NUMERIC", about="A figure's number, or the name a source gives."),
            *(Col(name) for name in ("unit", "qualifier", "date", "end_date", "refers_to")),
            Col("figure", references="figures", about="The figure claimed, if the claim is one figure."),
            Col("derived", "INTEGER", about="1 when the value is a sum kz derived from the source's parts."),
            Col("derived_from", about="The figures summed, as a JSON list of ids."),
            Col("derivation", about="How a derived claim in words is worked out from its parts."),
            Col("parts", about="A derived claim in words: its further citations, as a JSON list."),
            Col("inferred", about="Why, when the value is read between the lines rather than stated."),
            *(
                Col(name)
                for name in ("metric", "scope", "place", "as_of", "as_of_qualifier", "attributed_to")
            ),
            Col(
                "caveat", about="Why the claim is compared only with care (casualties may count the injured)."
            ),
        ],
        _nested("comparisons", "claims", "comparison"),
        key=("comparison", "ord"),
    ),
    Spec(
        "comparison_records",
        "Which records each comparison is about (events, figures, actors, places, statements).",
        None,
        [
            Col("comparison", references="comparisons", about="The comparison."),
            Col("record", about="The id of a record it is about."),
        ],
        _links("comparisons", "records", "comparison", "record"),
        key=("comparison", "record"),
    ),
    Spec(
        "event_actors",
        "Who took part in each event.",
        None,
        [
            Col("event", references="events", about="The event."),
            Col("actor", references="actors", about="An actor in it."),
        ],
        _links("events", "actors", "event", "actor"),
        key=("event", "actor"),
    ),
    Spec(
        "event_places",
        "Where each event happened.",
        None,
        [
            Col("event", references="events", about="The event."),
            Col("place", references="places", about="A place where it happened."),
        ],
        _links("events", "places", "event", "place"),
        key=("event", "place"),
    ),
    Spec(
        "citations",
        "Every citation of every record: the source, the paragraph and the verbatim excerpt.",
        "Citation",
        [
            Col(
                "record_type",
                about="The kind of record cited: event, actor, place, figure, statement or role.",
            ),
            Col("record_id", about="Its id (a role's is ACTOR#N, N its place in the actor's roles)."),
            Col("ord", "INTEGER", about="The citation's place in the record's list."),
            *CITED,
        ],
        _citations,
        key=("record_type", "record_id", "ord"),
        search=("excerpt",),
        indexes=("source",),
    ),
]

VIEWS = {
    "figures_with_sources": (
        "Each figure beside each source that reports it: the source's key and title, paragraph and excerpt.",
        """SELECT f.id AS figure, f.metric, f.shown, f.value, f.qualifier, f.unit, f.scope, f.as_of, f.era,
       f.disputed, c.source, s.key AS source_key, s.title AS source_title, c.paragraph, c.excerpt
FROM figures f
JOIN citations c ON c.record_type = 'figure' AND c.record_id = f.id
JOIN sources s ON s.id = c.source
ORDER BY f.metric, f.scope, c.source""",
    ),
    "dispute_claims": (
        "Every comparison with its claims side by side: verdict, why, and each source's claim and excerpt.",
        """SELECT k.id AS comparison, k.kind, k.subject, k.verdict, k.explanation, c.ord, c.source,
       s.key AS source_key, c.shown, c.paragraph, c.excerpt
FROM comparisons k
JOIN comparison_claims c ON c.comparison = k.id
JOIN sources s ON s.id = c.source
ORDER BY k.id, c.ord""",
    ),
    "events_with_actors": (
        "Each event with its date, title and the names of the actors in it.",
        """SELECT e.id AS event, e.date, e.title, e.era, e.disputed,
       group_concat(a.name, '; ') AS actors
FROM events e
LEFT JOIN event_actors ea ON ea.event = e.id
LEFT JOIN actors a ON a.id = ea.actor
GROUP BY e.id
ORDER BY e.date, e.id""",
    ),
}


def _quoted(name: str) -> str:
    return f"[{name}]"


def _create(spec: Spec) -> str:
    columns = [f"{_quoted(c.name)} {c.type}" for c in spec.columns]
    keys = [f"PRIMARY KEY ({', '.join(_quoted(k) for k in spec.key)})"]
    keys += [
        f"FOREIGN KEY ({_quoted(c.name)}) REFERENCES {_quoted(c.references)}(id)"
        for c in spec.columns
        if c.references
    ]
    return f"CREATE TABLE {_quoted(spec.name)} (\n  " + ",\n  ".join(columns + keys) + "\n)"


def _fill(db: sqlite3.Connection, spec: Spec, kb: Record) -> None:
    marks = ", ".join("?" * len(spec.columns))
    rows = [tuple(c.value(row) for c in spec.columns) for row in spec.rows(kb)]
    # A record cited twice for the same paragraph (a derived sum's parts) is one row, not a key clash.
    db.executemany(f"INSERT OR IGNORE INTO {_quoted(spec.name)} VALUES ({marks})", rows)
    for column in spec.indexes:
        db.execute(f"CREATE INDEX [{spec.name}_by_{column}] ON {_quoted(spec.name)}({_quoted(column)})")
    for linked in (c.name for c in spec.columns if c.references):
        db.execute(f"CREATE INDEX IF NOT EXISTS [{spec.name}_{linked}] ON [{spec.name}]([{linked}])")


def _enable_fts(db: sqlite3.Connection, spec: Spec) -> None:
    """Full-text search over `spec.search`, as `sqlite-utils enable-fts` sets it up (datasette finds it)."""
    columns = ", ".join(_quoted(c) for c in spec.search)
    db.execute(f"CREATE VIRTUAL TABLE [{spec.name}_fts] USING FTS5 ({columns}, content=[{spec.name}])")
    db.execute(f"INSERT INTO [{spec.name}_fts] (rowid, {columns}) SELECT rowid, {columns} FROM [{spec.name}]")


def build(kb: Record) -> bytes:
    """The dataset as the bytes of an SQLite database file, built in memory."""
    db = sqlite3.connect(":memory:")
    try:
        for spec in SPECS:
            db.execute(_create(spec))
        with db:
            for spec in SPECS:
                _fill(db, spec, kb)
                if spec.search:
                    _enable_fts(db, spec)
            for name, (_, sql) in VIEWS.items():
                db.execute(f"CREATE VIEW [{name}] AS {sql}")
            db.execute("CREATE TABLE [kz] (key TEXT PRIMARY KEY, value TEXT)")
            about = {"version": kb["kb"]["version"], "fingerprint": kb["kb"]["fingerprint"]}
            db.executemany("INSERT INTO [kz] VALUES (?, ?)", sorted(about.items()))
        # Every link resolves (the KB was validated); checked once, after all tables are in.
        dangling = db.execute("PRAGMA foreign_key_check").fetchall()
        if dangling:
            table, _, target, _ = dangling[0]
            raise InvalidKB([f"export: {len(dangling)} links point at nothing (first: {table} → {target})"])
        db.execute("VACUUM")
        return db.serialize()
    finally:
        db.close()


def _described(column: Col, spec: Spec, notes: dict[str, dict[str, str]]) -> str:
    """A column's meaning: its own words, else the codebook's for its model, else for that field anywhere."""
    if column.about:
        return column.about
    if column.name == "id":
        return "The record's id, as kz commands take it (kebab-case)."
    model, name = column.noted or (spec.model or "", column.name)
    found = notes.get(model, {}).get(name) or next((n[name] for n in notes.values() if name in n), None)
    return found or name


def metadata(kb: Record, database: str, notes: dict[str, dict[str, str]]) -> Record:
    """datasette's metadata.json: the dataset, its sources, and every table, view and column described.

    `notes` is the codebook's field descriptions by model (kb.codebook.field_notes).
    """
    sources = "; ".join(
        f"{s['key'] or s['id']}: {s['title'] or '(untitled)'}, {s['publisher'] or 'publisher not stated'}"
        for s in kb["sources"]
    )
    tables: Record = {}
    for spec in SPECS:
        columns = {c.name: _described(c, spec, notes) for c in spec.columns}
        tables[spec.name] = {"description": spec.about, "columns": columns}
    for name, (about, _) in VIEWS.items():
        tables[name] = {"description": about}
    return {
        "title": "kz: the January 2022 unrest in Kazakhstan",
        "description": "Cited facts from five texts; where sources differ, each version with a verdict.",
        "license": "MIT",
        "source": sources,
        "databases": {database: {"tables": tables}},
    }
