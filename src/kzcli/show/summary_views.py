"""Tables for the research commands: the by-source matrix, gaps and citations."""

from __future__ import annotations

from collections.abc import Callable

from kzcli.ask.summaries import CLAIM_FIELDS, Record
from kzcli.compare import ABOUT_DATE, claim_date, marks_about
from kzcli.show.inferred import LINK, marked
from kzcli.show.views import (
    INFERRED_COLUMN,
    MARKS,
    RECORD_COLUMNS,
    Column,
    Table,
    View,
    add_evidence,
    add_mark_column,
    answer_line,
    cell_text,
    human_table,
    legend,
    machine_table,
    mark_text,
    quoted_words,
    role_text,
    source_keys,
    subset_text,
    verdict_text,
)
from kzcli.textnorm import wrap_words
from kzcli.wording import event_date


def by_source(
    matrix: list[Record], sources: list[Record], originators: dict[str, str], evidence: bool = False
) -> View:
    """One row per question, one column per source (a derived sum in its source's column), a verdict."""
    used = [s for s in sources if any(s["id"] in row["cells"] for row in matrix)]
    keys = source_keys(used)

    def cell(claims: list[Record]) -> str:
        return "; ".join(claim_cell(c, originators) for c in claims) or "—"

    human = Table(
        ["Compared", *(keys[s["id"]] for s in used), "Verdict"],
        [
            [
                ("  part: " if row["part_of"] else "") + row["subject"],
                *(cell(row["cells"].get(s["id"], [])) for s in used),
                _verdict(row),
            ]
            for row in matrix
        ],
    )
    sides = [
        dict(claim, row=row, source=source)
        for row in matrix
        for source, cl in row["cells"].items()
        for claim in cl
    ]
    flat = machine_table(_matrix_columns(), sides)
    if evidence:
        # A row's evidence is every citation of every claim in it; a flat line's, its own claim's.
        add_evidence(human, [_row_citations(row) for row in matrix], keys)
        add_evidence(flat, [side["citations"] for side in sides])
    notes = []
    if any(claim["attributed_to"] for row in matrix for cl in row["cells"].values() for claim in cl):
        notes.append("(via X): the source attributes the figure to that originator.")
    disputed = sum(row["disputed"] for row in matrix)
    if disputed:
        notes.append(f"{disputed} of {len(matrix)} rows are in dispute; kz disputes explains each.")
    named = {s["id"] for s in used} | {s for row in matrix for s in row["compared_sources"]}
    return View(matrix, [human], flat, legend(sources, named), notes)


def _row_citations(row: Record) -> list[Record]:
    """Every citation behind a row's claims, each once, in the row's order."""
    cites = [c for claims in row["cells"].values() for claim in claims for c in claim["citations"]]
    return list({(c["source"], c["paragraph"], c["excerpt"]): c for c in cites}.values())


def _field(name: str) -> Callable[[Record], str]:
    """A getter for one claim field, as flat text."""
    return lambda claim: cell_text(claim[name])


def _matrix_columns() -> list[Column]:
    """The by-source matrix flattened: one line per (question, source, claim), with the row's verdict."""
    row_fields = [
        Column("row", None, lambda c: c["row"]["row"]),
        Column("subject", None, lambda c: c["row"]["subject"]),
        Column("part_of", None, lambda c: c["row"]["part_of"] or ""),
        Column("source", None, lambda c: c["source"]),
    ]
    claim_fields = [Column(name, None, _field(name)) for name in CLAIM_FIELDS]
    verdicts = [
        Column("verdict", None, lambda c: cell_text(c["row"]["verdict"])),
        Column("explanation", None, lambda c: cell_text(c["row"]["explanation"])),
        Column("within", None, lambda c: cell_text([w["id"] for w in c["row"]["within"]])),
        Column("within_verdict", None, lambda c: cell_text([w["verdict"] for w in c["row"]["within"]])),
        Column("disputed", None, lambda c: cell_text(c["row"]["disputed"])),
    ]
    return row_fields + claim_fields + verdicts


def claim_cell(claim: Record, originators: dict[str, str]) -> str:
    """A claim as one cell: its value and hedge, the open metric's caveat, its originator and date."""
    text = str(claim["shown"])
    if claim["caveat"]:
        text += f" {claim['metric']}, which may count the injured"
    if claim["attributed_to"]:
        text += f" (from {originators.get(claim['attributed_to'], claim['attributed_to'])})"
    return text + _when(claim)


def _when(claim: Record) -> str:
    return f" ({claim_date(claim)})" if claim["as_of"] else ""


def _verdict(row: Record) -> str:
    """A row's stored verdict and why, its part's fit within its whole, and the subset label."""
    said = (
        "single source" if row["verdict"] is None else f"{MARKS.get(row['verdict'], '=')} {verdict_text(row)}"
    )
    for within in row["within"]:
        said += f"; within its whole: {MARKS.get(within['verdict'], '=')} {verdict_text(within)}"
    return said + subset_text(row)


def gaps(found: list[Record]) -> View:
    """Each gap on one row: the record, what is missing, and why it matters."""
    columns = [
        *RECORD_COLUMNS,
        Column("gap", "Gap", lambda g: g["gap"]),
        Column("detail", "Detail", lambda g: g["detail"]),
    ]
    return View(found, [human_table(columns, found)], machine_table(columns, found))


def _keys_of(ids: list[str], keys: dict[str, str]) -> str:
    return "[" + ", ".join(keys.get(i, i) for i in ids) + "]"


def _wrapped(text: str, tail: str, width: int, indent: str) -> list[str]:
    """`text` then `tail` (its citation keys), wrapped at word breaks; the keys never split."""
    return wrap_words(text, width, indent, " " * (len(indent) + 2), tail)


# The claims a headline figure of the brief shows: the brief is one screen, a question may have thousands.
BRIEF_CLAIMS = 8


def brief(summary: Record, sources: list[Record], originators: dict[str, str], width: int) -> View:
    """One screen: what happened, key dates, key actors, headline figures; every line cited."""
    keys = source_keys(sources)
    period = summary["period"]
    lines = [f"January 2022 unrest in Kazakhstan: a brief from kz ({period['from']} to {period['to']})", ""]
    flat_rows: list[list[str]] = []
    lines.append("What happened")
    for item in summary["what_happened"]:
        cited = _keys_of(item["sources"], keys)
        lines += _wrapped(item["summary"], cited, width, "  ")
        flat_rows.append(["what_happened", item["event"], item["summary"], "; ".join(item["sources"])])
    lines += ["", "Key dates"]
    for item in summary["key_dates"]:
        date_marks = marks_about(item["disputes"], ABOUT_DATE)
        when = event_date(item, keys) + (f" {mark_text({'disputes': date_marks})}" if date_marks else "")
        lines += _wrapped(f"{when}  {item['title']}", _keys_of(item["sources"], keys), width, "  ")
        flat_rows.append(["key_dates", item["event"], f"{when} {item['title']}", "; ".join(item["sources"])])
    lines += ["", "Key actors"]
    for item in summary["key_actors"]:
        role = item["role"]
        text = item["name"]
        backing: list[str] = item["sources"]
        if role:
            text += f": {role_text(role)}"
            backing = list(dict.fromkeys([c["source"] for c in role["citations"]] + backing))
        lines += _wrapped(text, _keys_of(backing, keys), width, "  ")
        flat_rows.append(["key_actors", item["actor"], text, "; ".join(backing)])
    lines += ["", "Headline figures, each source's number (see kz figures --by-source)"]
    for row in summary["figures"]:
        text = answer_line(row, keys, originators, BRIEF_CLAIMS)
        lines += _wrapped(text, "", width, "    " if row["part_of"] else "  ")
        flat_rows.append(["figures", row["row"], text, "; ".join(row["cells"])])
    used = {s for item in flat_rows for s in item[3].split("; ") if s}
    used |= {s for row in summary["figures"] for s in row["compared_sources"]}
    lines += ["", "Sources"]
    for key, title in legend(sources, used):
        lines += _wrapped(title, "", width, f"  {key:<{max(len(k) for k in keys.values())}}  ")
    flat = Table(["section", "id", "text", "sources"], flat_rows)
    return View(summary, [flat], flat, text=lines)


def statements(docs: list[Record], sources: list[Record], evidence: bool = False) -> View:
    """Each statement as its originator's, via the documents that report it."""
    keys = source_keys(sources)

    def via(doc: Record) -> str:
        reported = ", ".join(dict.fromkeys(keys.get(c["source"], c["source"]) for c in doc["citations"]))
        return f"{doc['actor_name']}, via {reported}"

    columns = [
        Column("id", None, lambda d: d["id"], unbroken=True),
        Column("date", "Date", lambda d: d["date"] or "", show=lambda d: marked(d, d["date"] or "", "date")),
        Column("actor", None, lambda d: d["actor"]),
        Column(
            "summary",
            "Statement",
            lambda d: d["summary"],
            show=lambda d: marked(d, d["summary"], "summary", LINK),
        ),
        Column("quoted", "Quoted", lambda d: quoted_words(d["citations"])),
        Column(
            "sources",
            "Attributed to",
            lambda d: "; ".join(dict.fromkeys(c["source"] for c in d["citations"])),
            show=via,
        ),
        Column("dispute", None, lambda d: "; ".join(m["id"] for m in d.get("disputes", []))),
        INFERRED_COLUMN,
    ]
    human = human_table(columns, docs)
    notes = add_mark_column(human, docs)
    flat = machine_table(columns, docs)
    if evidence:
        add_evidence(human, [d["citations"] for d in docs], keys)
        add_evidence(flat, [d["citations"] for d in docs])
    cited = {c["source"] for d in docs for c in d["citations"]}
    return View(docs, [human], flat, legend(sources, cited), notes)
