"""Shape query results for output: JSON data, human tables and flat machine rows.

No I/O and no rich here: render.py draws a View in the chosen format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from kzcli.compare import about_of, claim_date, date_in_dispute, mark_reason
from kzcli.errors import BadUsage
from kzcli.show import inferred as inferring
from kzcli.wording import dated, event_date, figure_value

Record = dict[str, Any]


class Format(str, Enum):
    """Output formats shared by every listing and lookup."""

    table = "table"
    tsv = "tsv"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    md = "md"


@dataclass
class Table:
    """Columns and rows of display strings, with an optional heading.

    `unbroken` names the columns whose cells are ids or numbers: a terminal table never
    breaks them mid-word.
    """

    columns: list[str]
    rows: list[list[str]]
    title: str | None = None
    unbroken: frozenset[str] = frozenset()
    # The same cells as JSON values (lists, numbers, booleans, null), for --fields in JSON.
    values: list[list[Any]] | None = None
    # Columns a narrow terminal may leave out, by title: the highest number goes first.
    expendable: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """One column of an output table, declared once: its machine name, title, getter and layout rule.

    `name` is the TSV, CSV and JSON name; `title` the terminal table's header (None: machine
    formats only); `unbroken` keeps an id or a number whole at any width; `show`, if given,
    words the cell for people at a terminal.
    """

    name: str
    title: str | None
    get: Callable[[Record], str]
    unbroken: bool = False
    # How a terminal shows the cell, when it words it for people (source keys, place names).
    show: Callable[[Record], str] | None = None
    # The cell as a JSON value, when it is not the record's own field of the same name.
    value: Callable[[Record], Any] | None = None
    # A narrow terminal leaves this column out (and says so), highest first; 0: always shown.
    expendable: int = 0

    def typed(self, record: Record) -> Any:
        """The cell's JSON value: a list stays a list, a number a number, a missing value null."""
        if self.value is not None:
            return self.value(record)
        return record[self.name] if self.name in record else self.get(record)


# Which record a row is about: its type and id, first in search hits and gaps alike.
RECORD_COLUMNS = (
    Column("type", "Type", lambda r: r["type"]),
    Column("id", "Id", lambda r: r["id"], unbroken=True),
)


def machine_table(columns: list[Column], records: list[Record]) -> Table:
    """Every column, by name, for TSV, CSV, JSON field selection and Markdown."""
    return Table(
        [c.name for c in columns],
        [[c.get(r) for c in columns] for r in records],
        values=[[c.typed(r) for c in columns] for r in records],
    )


def human_table(columns: list[Column], records: list[Record], title: str | None = None) -> Table:
    """The titled columns, for a terminal table."""
    shown = [c for c in columns if c.title is not None]
    return Table(
        [str(c.title) for c in shown],
        [[(c.show or c.get)(r) for c in shown] for r in records],
        title,
        frozenset(str(c.title) for c in shown if c.unbroken),
        expendable={str(c.title): c.expendable for c in shown if c.expendable},
    )


@dataclass
class View:
    """One command's answer in every shape a format needs."""

    data: Any
    tables: list[Table]
    flat: Table
    legend: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Pre-drawn lines (a chart) that replace the tables in table output.
    text: list[str] | None = None
    # What --fields picks from, when not `flat`: a profile's own record, one row of its fields.
    fields: Table | None = None


def record_table(record: Record) -> Table:
    """One record as a one-row table of its top-level fields, for --fields on a profile."""
    return Table(list(record), [[cell_text(v) for v in record.values()]], values=[list(record.values())])


def source_keys(sources: list[Record]) -> dict[str, str]:
    """Each source id's short key for human tables (its `key`, else the id)."""
    return {s["id"]: str(s.get("key") or s["id"]) for s in sources}


def _cite_keys(citations: list[Record], keys: dict[str, str]) -> str:
    return ", ".join(dict.fromkeys(str(keys.get(c["source"], c["source"])) for c in citations))


def cited_sources(record: Record) -> list[str]:
    """The ids of the sources a record cites, each once, in citation order."""
    return list(dict.fromkeys(c["source"] for c in record["citations"]))


def _cite_ids(citations: list[Record]) -> str:
    return _join(cited_sources({"citations": citations}))


def _evidence(citations: list[Record], sep: str, keys: dict[str, str] | None = None) -> str:
    keys = keys or {}
    return sep.join(
        f"{keys.get(c['source'], c['source'])} ¶{c['paragraph']}: “{c['excerpt']}”" for c in citations
    )


def legend(sources: list[Record], used: set[str]) -> list[tuple[str, str]]:
    entries = []
    for source in sources:
        if source["id"] in used:
            title = source["title"] or "(untitled)"
            publisher = source["publisher"] or "publisher not stated"
            entries.append((source.get("key") or source["id"], f"{source['id']}: {title}, {publisher}"))
    return entries


def _used(citation_lists: list[list[Record]]) -> set[str]:
    return {c["source"] for cites in citation_lists for c in cites}


def add_evidence(table: Table, cites: list[list[Record]], keys: dict[str, str] | None = None) -> None:
    human = keys is not None
    table.columns.append("Evidence" if human else "evidence")
    for row, citations in zip(table.rows, cites, strict=True):
        row.append(_evidence(citations, "\n" if human else " | ", keys))
    for values, citations in zip(table.values or [], cites if table.values else [], strict=True):
        values.append([{k: c[k] for k in ("source", "paragraph", "excerpt")} for c in citations])


def _join(items: list[str]) -> str:
    return "; ".join(items)


# The dispute mark: what a fact's comparisons found, worst first.
MARKS = {"contradiction": "✗", "differs": "≠", "slip": "!"}
MARK_LEGEND = "✗ sources contradict each other   ≠ they differ in scope or framing   ! a slip in one text"


def mark_text(doc: Record) -> str:
    """'✗ troops-russia (+1)': the worst comparison and how many more; empty if none."""
    marked = doc.get("disputes", [])
    if not marked:
        return ""
    more = f" (+{len(marked) - 1})" if len(marked) > 1 else ""
    return f"{MARKS[marked[0]['verdict']]} {marked[0]['id']}{more}"


def add_mark_column(table: Table, docs: list[Record]) -> list[str]:
    """A Dispute column naming each row's worst comparison, when any row is marked (statements);
    the line to print below that says what each comparison named is about."""
    if not any(doc.get("disputes") for doc in docs):
        return []
    table.columns.append("Dispute")
    table.unbroken |= {"Dispute"}
    for row, doc in zip(table.rows, docs, strict=True):
        row.append(mark_text(doc))
    return mark_list(docs)


def mark_list(docs: list[Record]) -> list[str]:
    """The line naming every comparison the docs' marks name, each with what it is about."""
    named = {m["id"]: m for doc in docs for m in doc.get("disputes", [])}
    if not named:
        return []
    return ["Disputes (kz disputes explains each): " + "  ".join(_named_mark(m) for m in named.values())]


def _mark_columns(doc: Record) -> list[str]:
    """The flat columns of the mark: dispute ids and the worst verdict."""
    marked = doc.get("disputes", [])
    return [_join([m["id"] for m in marked]), marked[0]["verdict"] if marked else ""]


def mark_columns() -> list[Column]:
    """A record's dispute ids, worst verdict and what each is about, as TSV/CSV columns (lists and a word
    or null in JSON)."""
    return [
        Column(
            "dispute", None, lambda r: _mark_columns(r)[0], value=lambda r: [m["id"] for m in r["disputes"]]
        ),
        Column(
            "verdict",
            None,
            lambda r: _mark_columns(r)[1],
            value=lambda r: r["disputes"][0]["verdict"] if r["disputes"] else None,
        ),
        # What each comparison in `dispute` judges, in its order: a date, a value, a name, ...
        Column(
            "dispute_about",
            None,
            lambda r: _join([_about(m) for m in r["disputes"]]),
            value=lambda r: [_about(m) for m in r["disputes"]],
        ),
    ]


def _about(mark: Record) -> str:
    return str(mark.get("about") or about_of(mark["kind"]))


def _named_mark(mark: Record) -> str:
    """'✗ which-fuel-price-rose (contradiction) — name: Which price rise …': the comparison and its reason."""
    return f"{MARKS[mark['verdict']]} {mark['id']} ({mark['verdict']}) — {mark_reason(mark)}"


def _with_marks(table: Table, docs: list[Record]) -> list[str]:
    """A narrow Dispute column ('✗ 1', '≠ 2,3') when any row is marked; the numbered ids to print below."""
    numbers: dict[str, int] = {}
    named: dict[str, Record] = {}
    cells = []
    for doc in docs:
        marked = doc.get("disputes", [])
        for m in marked:
            numbers.setdefault(m["id"], len(numbers) + 1)
            named[m["id"]] = m
        refs = ",".join(str(numbers[m["id"]]) for m in marked)
        cells.append(f"{MARKS[marked[0]['verdict']]} {refs}" if marked else "")
    if not numbers:
        return []
    table.columns.append("Dispute")
    table.unbroken |= {"Dispute"}
    for row, cell in zip(table.rows, cells, strict=True):
        row.append(cell)
    listed = [f"[{n}] {_named_mark(named[i])}" for i, n in numbers.items()]
    return ["Disputes (kz disputes explains each): " + "  ".join(listed), MARK_LEGEND]


_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|(?<!\w)'([^']+)'(?!\w)")


def quoted_words(citations: list[Record]) -> str:
    """The words a source quotes (“…” or '…') in a record's excerpts, kept as printed."""
    spans = [next(g for g in m.groups() if g) for c in citations for m in _QUOTED.finditer(c["excerpt"])]
    return "; ".join(f"“{span}”" for span in dict.fromkeys(spans))


def left_out_note(count: int, noun: str, flag: str) -> list[str]:
    """The closing line saying how many background records a default view left out."""
    if not count:
        return []
    plural = noun if count == 1 else noun + "s"
    return [
        f"{count} background {plural} (before or after the January 2022 unrest) left out; {flag} shows them."
    ]


def _claims_text(event: Record) -> str:
    return _join(
        [
            f"{dated(c['date'], c.get('qualifier'))} ({c['source']} ¶{c['paragraph']})"
            for c in event["date_claims"]
        ]
    )


def timeline_columns(keys: dict[str, str], places: dict[str, str]) -> list[Column]:
    """The timeline's columns: titled ones at a terminal, every one in machine formats."""
    return [
        Column("id", None, lambda e: e["id"], unbroken=True),
        Column(
            "date",
            "Date",
            lambda e: e["date"],
            show=lambda e: inferring.marked(
                e, event_date(e, keys, stacked=True), "date", "date_claims", "end_date", "time"
            ),
            unbroken=True,
        ),
        Column("date_qualifier", None, lambda e: e.get("date_qualifier") or ""),
        Column("end_date", None, lambda e: e["end_date"] or ""),
        Column("time", None, lambda e: e["time"] or ""),
        Column("era", None, lambda e: e["era"]),
        Column("disputed", None, lambda e: cell_text(e["disputed"])),
        *mark_columns(),
        Column("date_claims", None, _claims_text),
        Column(
            "title",
            "Event",
            lambda e: e["title"],
            show=lambda e: inferring.marked(
                e, e["title"], "title", "summary", "places", "actors", inferring.LINK
            ),
        ),
        Column(
            "places",
            "Places",
            lambda e: _join(e["places"]),
            show=lambda e: _place_names(e, places),
            expendable=1,
        ),
        Column("actors", None, lambda e: _join(e["actors"])),
        Column("tags", None, lambda e: _join(e["tags"])),
        Column(
            "sources",
            "Sources",
            lambda e: _cite_ids(e["citations"]),
            show=lambda e: _cite_keys(e["citations"], keys),
            value=cited_sources,
        ),
        INFERRED_COLUMN,
    ]


# The fields a record reads between the lines, named in TSV and CSV; JSON keeps each reason.
INFERRED_COLUMN = Column("inferred", None, inferring.names, value=lambda r: r.get("inferred") or {})


def _place_names(event: Record, places: dict[str, str]) -> str:
    return ", ".join(places.get(p, p) for p in event["places"])


def timeline(
    events: list[Record], places: dict[str, str], sources: list[Record], evidence: bool, left_out: int = 0
) -> View:
    """Events in date order; an event the sources date differently shows every source's date."""
    cites = [e["citations"] for e in events]
    keys = source_keys(sources)
    columns = timeline_columns(keys, places)
    human = human_table(columns, events)
    flat = machine_table(columns, events)
    marks = _with_marks(human, events)
    if evidence:
        add_evidence(human, cites, keys)
        add_evidence(flat, cites)
    disputed = sum(date_in_dispute(e["disputes"]) for e in events)
    notes = (
        [
            f"{disputed} event date{'s are' if disputed > 1 else ' is'} in dispute between sources; "
            "each source's date is shown (see kz disputes)."
        ]
        if disputed
        else []
    )
    notes += marks
    notes += left_out_note(left_out, "event", "--background")
    return View(events, [human], flat, legend(sources, _used(cites)), notes)


def role_text(role: Record) -> str:
    """'President (1991 – 2019)', 'President (from 2019)', 'Head of the KNB (until 2022-01-05)'."""
    start, end = role["from"], role["to"]
    if start and end:
        return f"{role['title']} ({start} – {end})"
    if start or end:
        return f"{role['title']} ({'from ' + start if start else 'until ' + end})"
    return str(role["title"])


def _profile_fields(kind: str, doc: Record, keys: dict[str, str]) -> list[list[str]]:
    """An actor's or place's own fields, its roles, its citations and its dispute marks."""
    rows = [["id", doc["id"]], ["name", doc["name"]]]
    if kind == "actor":
        rows += [
            ["kind", doc["kind"]],
            ["aliases", _join(doc["aliases"])],
            ["description", inferring.marked(doc, doc["description"], "description", inferring.LINK)],
        ]
        rows += [
            [
                "role",
                inferring.marked(
                    doc, f"{role_text(r)} [{_cite_keys(r['citations'], keys)}]", "roles", inferring.LINK
                ),
            ]
            for r in doc["roles"]
        ]
    else:
        rows += [["kind", doc["kind"]], ["aliases", _join(doc["aliases"])]]
        rows += [["region", inferring.marked(doc, doc["region"] or "", "region")]]
        rows += [["note", inferring.marked(doc, doc["note"] or "", "note", inferring.LINK)]]
    rows.append(["record cited in", _cite_keys(doc["citations"], keys)])
    # The record's own citations are fewer than the sources of everything shown with it.
    every = _cite_keys([{"source": x} for x in doc["sources"]], keys)
    rows.append(["all sources", f"{every} (record, roles, statements and events)"])
    if doc.get("disputes"):
        marks = "; ".join(_named_mark(m) for m in doc["disputes"])
        rows.append(["in dispute", marks])
    rows += [[f"inferred {name}", why] for name, why in inferring.reasons(doc)]
    return rows


def _by_speaker(statement: Record, owner: str) -> str:
    """The summary, led by its speaker's name when the profile is of another actor it is also of."""
    summary = statement["summary"]
    return summary if statement.get("actor", owner) == owner else f"{statement['actor_name']}: {summary}"


def _statements_table(statements: list[Record], keys: dict[str, str], evidence: bool, owner: str) -> Table:
    """A profile's statements: date, summary, the words the source quotes, sources, dispute marks."""
    table = Table(
        ["Date", "Statement", "Quoted", "Sources"],
        [
            [
                inferring.marked(s, s["date"] or "", "date"),
                inferring.marked(s, _by_speaker(s, owner), "summary", inferring.LINK),
                quoted_words(s["citations"]),
                _cite_keys(s["citations"], keys),
            ]
            for s in statements
        ],
        title="Statements",
    )
    add_mark_column(table, statements)
    if evidence:
        add_evidence(table, [s["citations"] for s in statements], keys)
    return table


def profile(kind: str, doc: Record, places: dict[str, str], sources: list[Record], evidence: bool) -> View:
    """An actor or place: its fields, then its events and (for actors) statements."""
    keys = source_keys(sources)
    fields = _profile_fields(kind, doc, keys)
    events = timeline(doc["events"], places, sources, evidence)
    tables = [Table(["Field", "Value"], fields, title=doc["name"])]
    tables.append(Table(events.tables[0].columns, events.tables[0].rows, title="Events"))
    flat_rows = [[k, _cite_ids(doc["citations"]) if k == "record cited in" else v] for k, v in fields]
    flat_rows = [row for row in flat_rows if row[0] != "all sources"]
    flat_rows += [["event", f"{event_date(e)} {e['title']} [{e['id']}]"] for e in doc["events"]]
    statements = doc.get("statements", [])
    if statements:
        tables.append(_statements_table(statements, keys, evidence, doc["id"]))
        flat_rows += [
            ["statement", f"{s['date'] or 'undated'}: {_by_speaker(s, doc['id'])} [{s['id']}]"]
            for s in statements
        ]
    flat_rows.append(["sources", _join(doc["sources"])])
    if evidence:
        own = [doc["citations"], *[r["citations"] for r in doc.get("roles", [])]]
        flat_rows += [["evidence", _evidence(c, " | ")] for c in own + [s["citations"] for s in statements]]
    notes = [n for n in events.notes if "background" not in n]
    notes += mark_list(statements)
    flat = Table(["field", "value"], flat_rows)
    return View(doc, tables, flat, legend(sources, set(doc["sources"])), notes, fields=record_table(doc))


def listing(kind: str, docs: list[Record], evidence: bool = False) -> View:
    """All actors or places, one row each."""
    columns = [
        Column("id", "Id", lambda d: d["id"], unbroken=True),
        Column(
            "name", "Name", lambda d: d["name"], show=_marked("name", "description", "roles", inferring.LINK)
        ),
        Column("kind", "Kind", lambda d: d["kind"]),
        Column(
            "aliases",
            "Aliases",
            lambda d: _join(d["aliases"]),
            show=lambda d: ", ".join(d["aliases"]),
            expendable=1,
        ),
        Column("sources", None, lambda d: _cite_ids(d["citations"]), value=cited_sources),
        INFERRED_COLUMN,
    ]
    human, flat = human_table(columns, docs), machine_table(columns, docs)
    if evidence:
        add_evidence(human, [d["citations"] for d in docs], {})
        add_evidence(flat, [d["citations"] for d in docs])
    return View(docs, [human], flat)


def _reported_by(figure: Record, keys: dict[str, str], originators: dict[str, str]) -> str:
    """'A, B', or 'City officials, via A' when the source attributes the figure to someone."""
    cited = _cite_keys(figure["citations"], keys)
    origin = figure.get("attributed_to")
    return f"{originators.get(origin, origin)}, via {cited}" if origin else cited


def figure_columns(keys: dict[str, str], names: dict[str, dict[str, str]]) -> list[Column]:
    """The figures' columns: titled ones at a terminal, every one in machine formats."""
    places, originators = names["place"], names["actor"]
    return [
        Column("id", None, lambda f: f["id"], unbroken=True),
        Column("metric", "Metric", lambda f: f["metric"], unbroken=True),
        Column("value", None, lambda f: str(f["value"])),
        Column("qualifier", None, lambda f: f["qualifier"]),
        Column("unit", None, lambda f: f["unit"]),
        Column(
            "shown",
            "Value",
            lambda f: figure_value(f["value"], f["qualifier"], f["unit"]),
            unbroken=True,
            show=lambda f: inferring.marked(
                f, figure_value(f["value"], f["qualifier"], f["unit"]), "value", "qualifier", "unit"
            ),
        ),
        Column("scope", "Scope", lambda f: f["scope"], unbroken=True, show=_marked("scope")),
        Column(
            "as_of",
            "As of",
            lambda f: f["as_of"] or "",
            expendable=1,
            # Not unbroken: "(inferred)" may go to a second line rather than push the column out.
            show=_marked("as_of", "as_of_qualifier"),
        ),
        Column("as_of_qualifier", None, lambda f: f.get("as_of_qualifier") or ""),
        Column(
            "place",
            "Place",
            lambda f: f["place"] or "",
            show=lambda f: places.get(f["place"] or "", f["place"] or ""),
            expendable=2,
        ),
        Column(
            "sources",
            "Sources",
            lambda f: _cite_ids(f["citations"]),
            show=lambda f: _reported_by(f, keys, originators),
            value=cited_sources,
        ),
        Column("attributed_to", None, lambda f: f.get("attributed_to") or ""),
        Column("era", None, lambda f: f["era"]),
        Column("disputed", None, lambda f: cell_text(f["disputed"])),
        *mark_columns(),
        Column("note", "Note", lambda f: f["note"] or "", expendable=3),
        INFERRED_COLUMN,
    ]


def _marked(*fields: str) -> Callable[[Record], str]:
    """A cell showing the record's first field, marked when any of `fields` is inferred."""
    return lambda r: inferring.marked(r, str(r[fields[0]] or ""), *fields)


def figures(
    rows: list[Record],
    matrix: list[Record],
    names: dict[str, dict[str, str]],
    sources: list[Record],
    evidence: bool,
    left_out: int = 0,
) -> View:
    """Each figure with its hedge, scope, date, place, sources and dispute mark, then one answer a question.

    `names` maps "place" and "actor" ids to display names; `matrix` is the by-source
    comparison of the same rows, which the closing answer lines read.
    """
    cites = [f["citations"] for f in rows]
    keys = source_keys(sources)
    columns = figure_columns(keys, names)
    human, flat = human_table(columns, rows), machine_table(columns, rows)
    marks = _with_marks(human, rows)
    if evidence:
        add_evidence(human, cites, keys)
        add_evidence(flat, cites)
    notes = answer_lines(matrix, keys, names["actor"]) + marks
    notes += left_out_note(left_out, "figure", "--background")
    # The verdicts' explanations name every source compared, shown or not: each gets its legend line.
    used = _used(cites) | {s for row in matrix for s in row["compared_sources"]}
    return View(rows, [human], flat, legend(sources, used), notes)


def claim_text(claim: Record, keys: dict[str, str], originators: dict[str, str]) -> str:
    """'227, derived: 208 protesters + 19 security forces (MJPS, by 2022-01-11)'."""
    text = str(claim["shown"])
    if claim["caveat"]:
        text += f" {claim['metric']}, which may count the injured"
    who = keys.get(claim["source"], claim["source"])
    if claim["attributed_to"]:
        who = f"{originators.get(claim['attributed_to'], claim['attributed_to'])}, via {who}"
    when = claim_date(claim)
    return f"{text} ({who}{', ' + when if when else ''})"


def answer_line(
    row: Record, keys: dict[str, str], originators: dict[str, str], most: int | None = None
) -> str:
    """One question answered: every source's claim side by side (the first `most` of them, and how many
    more), then its stored verdict and why, and a part's fit within its whole; a view showing only
    some of the question's claims says so."""
    every = [c for cl in row["cells"].values() for c in cl]
    claims = " · ".join(claim_text(c, keys, originators) for c in every[:most])
    if most is not None and len(every) > most:
        metrics = " ".join(dict.fromkeys(c["metric"] for c in every))
        claims += f" · and {len(every) - most:,} more (kz figures {metrics} --by-source)"
    said = [verdict_text(row)] if row["verdict"] else []
    said += [f"within its whole ({within['id']}): {verdict_text(within)}" for within in row["within"]]
    return f"{row['subject']} — {claims} — {'; '.join(said) or 'a single source'}{subset_text(row)}"


def verdict_text(comparison: Record) -> str:
    """'differs: a part against its whole: …': a stored verdict and why."""
    return f"{comparison['verdict']}: {comparison['explanation']}"


def subset_text(row: Record) -> str:
    """The label of a verdict over more claims than a view shows: it is the question's, not the subset's."""
    subset = row.get("subset")
    if not subset:
        return ""
    return (
        f" (the question's verdict, over all {subset['of']} of its claims compared; "
        f"this view shows {subset['shown']})"
    )


def answer_lines(matrix: list[Record], keys: dict[str, str], originators: dict[str, str]) -> list[str]:
    """The closing lines of kz figures and the brief's headline numbers: parts indented under their whole."""
    return [("  part: " if row["part_of"] else "") + answer_line(row, keys, originators) for row in matrix]


def metric_summary(rows: list[Record], left_out: int = 0) -> View:
    """One line per metric."""
    columns = [
        Column("metric", "Metric", lambda r: r["metric"]),
        Column("figures", "Figures", lambda r: str(r["figures"])),
        Column("low", None, lambda r: str(r["low"])),
        Column("low_shown", "Range reported", lambda r: r["low_shown"], show=_range),
        Column("high", None, lambda r: str(r["high"])),
        Column("high_shown", None, lambda r: r["high_shown"]),
        Column("sources", "Sources", lambda r: _join(r["sources"]), show=lambda r: str(len(r["sources"]))),
        Column("scopes", "Scopes", lambda r: _join(r["scopes"]), show=lambda r: ", ".join(r["scopes"])),
        Column("in_dispute", "In dispute", lambda r: str(r["in_dispute"])),
    ]
    notes = ["The range runs across scopes: compare like with like with kz figures METRIC (or --casualties)."]
    notes += left_out_note(left_out, "figure", "--background")
    return View(rows, [human_table(columns, rows)], machine_table(columns, rows), notes=notes)


def _range(row: Record) -> str:
    low, high = row["low_shown"], row["high_shown"]
    return str(low) if low == high else f"{low} to {high}"


def _people(doc: Record) -> str:
    return inferring.marked(doc, "; ".join(f"{p['name']} ({p['role']})" for p in doc["people"]), "people")


def sources(docs: list[Record], bundled: str) -> View:
    """Every source's metadata as the text states it, the key the legends use, and its folder (layer)."""

    def folder(doc: Record) -> str:
        return "bundled" if doc.get("folder") in (None, bundled) else str(doc["folder"])

    # The bundled folder's path says where kz is installed, not where the facts come from.
    docs = [dict(d, folder=folder(d)) for d in docs]

    columns = [
        Column("id", "Id", lambda d: d["id"], unbroken=True),
        Column("key", "Key", lambda d: d.get("key") or "", unbroken=True),
        Column("title", "Title", lambda d: d["title"] or "", show=lambda d: d["title"] or "(untitled)"),
        # Every cell carries its mark, as people's does, so a TSV reader sees what is inferred too.
        Column("publisher", "Publisher", lambda d: _publisher(d, ""), show=_publisher),
        Column("people", None, _people),
        Column(
            "published",
            "Published",
            lambda d: inferring.marked(d, d["published"] or "", "published"),
            show=_published,
            expendable=2,
        ),
        Column("kind", "Kind", lambda d: d["kind"], expendable=3),
        Column("facts", "Facts", lambda d: str(d["facts"]), unbroken=True),
        Column("sha256", None, lambda d: d["sha256"]),
        Column("folder", "Folder", lambda d: d["folder"], expendable=4),
    ]
    notes = ["Inferred metadata is marked '(inferred)'; see kz source ID for the reasons."]
    return View(docs, [human_table(columns, docs)], machine_table(columns, docs), notes=notes)


def _publisher(doc: Record, unstated: str = "(not stated)") -> str:
    return inferring.marked(doc, doc["publisher"], "publisher") if doc["publisher"] else unstated


def _published(doc: Record) -> str:
    if not doc["published"]:
        return "(not stated)"
    return str(doc["published"]) + (" (inferred)" if "published" in doc["inferred"] else "")


def source_detail(doc: Record, evidence: bool) -> View:
    """One source's metadata and every fact citing it."""
    meta = [
        ["id", doc["id"]],
        ["title", doc["title"] or "(untitled)"],
        ["publisher", _publisher(doc)],
        ["people", _people(doc)],
        ["published", _published(doc)],
        ["kind", doc["kind"]],
        ["language", doc["language"]],
        ["file", doc["file"] or ""],
        ["sha256", doc["sha256"]],
        ["facts", str(doc["facts"])],
    ]
    meta += [[f"inferred {name}", why] for name, why in doc["inferred"].items()]
    if doc["note"]:
        meta.append(["note", doc["note"]])
    meta += [[e["kind"], f"{e['text']} (¶{e['paragraph']})"] for e in doc.get("elements", [])]
    meta += [[f"uncited ¶{u['paragraph']}", u["reason"]] for u in doc.get("uncited", [])]
    meta += _voices(doc)
    # A text of one voice keeps its table as it was; one with a speaker map shows who speaks where.
    voiced = bool(doc.get("speakers"))
    columns = ["Paragraph", *(["Speaker"] if voiced else []), "Type", "Id", "Fact"]
    facts = Table(
        columns + (["Excerpt"] if evidence else []),
        [
            [
                str(c["paragraph"]),
                *([c.get("speaker") or "text"] if voiced else []),
                c["type"],
                c["id"],
                c["label"],
                *([c["excerpt"]] if evidence else []),
            ]
            for c in doc["cited_by"]
        ],
        title="Facts citing this source",
    )
    flat = [list(r) for r in meta] + [
        [
            "fact",
            f"¶{c['paragraph']}{_spoken(c)} {c['type']} {c['id']}: {c['label']}"
            + (f" — “{c['excerpt']}”" if evidence else ""),
        ]
        for c in doc["cited_by"]
    ]
    return View(
        doc,
        [Table(["Field", "Value"], meta, title=doc["title"] or doc["id"]), facts],
        Table(["field", "value"], flat),
        fields=record_table(doc),
    )


def _voices(doc: Record) -> list[list[str]]:
    """The speaker map as profile rows: the paragraphs, then whose voice they are."""
    rows = []
    for entry in doc.get("speakers") or []:
        words = f"{entry['person']}'s answer" if entry.get("person") else entry["voice"]
        rows.append([f"voice ¶{', '.join(map(str, entry['paragraphs']))}", words])
    return rows


def _spoken(cited: Record) -> str:
    return f" ({cited['speaker']})" if cited.get("speaker") else ""


# A matched word in a terminal table's cell, between two private-use characters: render.py
# draws it highlighted (bold in Markdown) and nothing else ever sees them.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"


def marked_match(hit: Record) -> str:
    """The hit's snippet with each matched word between MARK_OPEN and MARK_CLOSE."""
    text: str = hit["match"]
    out: list[str] = []
    at = 0
    for start, end in hit["matched"]:
        out += [text[at:start], MARK_OPEN, text[start:end], MARK_CLOSE]
        at = end
    return "".join(out) + text[at:]


def search(hits: list[Record]) -> View:
    """Ranked hits with their record type and id."""
    columns = [
        *RECORD_COLUMNS,
        Column("label", "Label", lambda h: h["label"]),
        Column("match", "Match", lambda h: h["match"], show=marked_match, expendable=2),
        Column("matched", None, lambda h: _join([f"{s}-{e}" for s, e in h["matched"]])),
        Column("why", "Why", lambda h: h.get("why") or "", expendable=1),
        Column("score", None, lambda h: str(h["score"])),
    ]
    return View(hits, [human_table(columns, hits)], machine_table(columns, hits))


def _claim_value(dispute: Record, claim: Record) -> str:
    if dispute["kind"] == "figure":
        shown = str(claim["shown"])
        if claim.get("caveat") or dispute["id"].count("-within-"):
            shown += f" {claim['metric']} ({claim['scope']})"
        when = claim_date(claim)
        return shown + (f", {when}" if when else "")
    return str(claim["shown"])


_VERDICT_NOUNS = {
    "contradiction": ("contradiction", "contradictions"),
    "differs": ("difference", "differences"),
    "agrees": ("agreement", "agreements"),
    "slip": ("slip", "slips"),
}


def dispute_columns(keys: dict[str, str], evidence: bool) -> list[Column]:
    """One row per side of a comparison; the comparison's own fields show on its first row only."""

    def first(field: Callable[[Record], str]) -> Callable[[Record], str]:
        return lambda side: field(side) if side["first"] else ""

    def verdict(side: Record) -> str:
        return f"{MARKS.get(side['of']['verdict'], '=')} {side['of']['verdict']}"

    return [
        Column(
            "id",
            "Dispute",
            lambda side: side["of"]["id"],
            unbroken=True,
            # The verdict under its id: the longest id and the verdict side by side would not leave
            # an 80-column terminal room for the claim and its paragraph.
            show=first(lambda d: f"{d['of']['id']}\n{verdict(d)}"),
            value=lambda side: side["of"]["id"],
        ),
        Column("kind", None, lambda side: side["of"]["kind"], value=lambda side: side["of"]["kind"]),
        Column(
            "verdict",
            None,
            lambda side: side["of"]["verdict"],
            value=lambda side: side["of"]["verdict"],
        ),
        Column(
            "subject",
            "Subject",
            lambda side: side["of"]["subject"],
            show=first(lambda d: d["of"]["subject"]),
            value=lambda side: side["of"]["subject"],
            expendable=1,  # a narrow terminal keeps the id, the claim and its citation whole
        ),
        Column(
            "explanation",
            None,
            lambda side: side["of"]["explanation"],
            value=lambda s: s["of"]["explanation"],
        ),
        Column("claim", "Claim", lambda side: _claim_value(side["of"], side), value=lambda s: s["shown"]),
        Column(
            "derived",
            None,
            lambda side: cell_text(side.get("derived", False)),
            value=lambda side: bool(side.get("derived", False)),
        ),
        Column(
            "source",
            "Source",
            lambda side: side["source"],
            unbroken=True,
            show=lambda side: str(keys.get(side["source"], side["source"])),
        ),
        Column("paragraph", "¶", lambda side: str(side["paragraph"]), unbroken=True),
        Column("excerpt", "Excerpt" if evidence else None, lambda side: side["excerpt"]),
    ]


def disputes(items: list[Record], sources: list[Record], evidence: bool) -> View:
    """Every comparison, one row per side, each with its citation; the verdict and why on its first row."""
    sides = [dict(c, of=d, first=i == 0) for d in items for i, c in enumerate(d["claims"])]
    columns = dispute_columns(source_keys(sources), evidence)
    human, flat = human_table(columns, sides), machine_table(columns, sides)
    notes = [f"{d['id']}: {d['verdict']} — {d['explanation']}" for d in items]
    counts = {
        v: sum(d["verdict"] == v for d in items) for v in ("contradiction", "differs", "agrees", "slip")
    }
    summary = ", ".join(f"{n} {_VERDICT_NOUNS[v][n != 1]}" for v, n in counts.items() if n)
    notes.append(
        f"{summary or 'nothing'} listed; kz resolves none of them (kz schema --rules explains each verdict)."
    )
    return View(items, [human], flat, legend(sources, {side["source"] for side in sides}), notes)


def cell_text(value: object) -> str:
    """A JSON value as a flat-table cell: None is empty, booleans true/false, lists joined with '; '.

    An object inside a list (a role, a citation) is compact JSON text.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return _join([cell_text(item) for item in value])
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "" if value is None else str(value)


def select_fields(view: View, wanted: list[str]) -> View:
    """The view cut down to `wanted` fields, in that order; JSON keeps each value's own type.

    The names are the TSV/CSV columns; JSON takes each cell's typed value (Table.values),
    so lists stay lists and booleans booleans. A one-record answer (a profile) stays one object.
    """
    source = view.fields or view.flat
    available = source.columns
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise BadUsage(f"--fields: unknown field {unknown[0]!r}; available: {', '.join(available)}")
    positions = [available.index(name) for name in wanted]
    rows = [[row[i] for i in positions] for row in source.rows]
    values = source.values if source.values is not None else source.rows
    data = [dict(zip(wanted, [row[i] for i in positions], strict=True)) for row in values]
    flat = Table(wanted, rows, values=[list(item.values()) for item in data])
    return View(data[0] if view.fields is not None else data, [flat], flat, notes=view.notes)


def cache(info: Record) -> View:
    """`kz cache`: the cache folder, its size, and each of kz's files in it."""
    entries = info["entries"]
    columns = [
        Column("file", "File", lambda e: e["file"], unbroken=True),
        Column("kind", "Kind", lambda e: e["kind"]),
        Column("size", "Bytes", lambda e: str(e["size"]), show=lambda e: f"{e['size']:,}"),
        Column("used", "Last used", lambda e: e["used"]),
        Column(
            "folders",
            "Knowledge-base folders",
            lambda e: _join(e["folders"] or []),
            show=lambda e: ", ".join(e["folders"] or []),
        ),
    ]
    where = info["path"] or "none usable (indexes are built in memory)"
    notes = [f"Cache folder: {where}; {len(entries)} files, {info['size']:,} bytes."]
    if "removed" in info:
        notes.append(f"Removed {info['removed']} files.")
    return View(info, [human_table(columns, entries)], machine_table(columns, entries), notes=notes)
