"""Tables for the research commands: the by-source matrix, gaps and citations."""

from __future__ import annotations

from kzcli.research import CLAIM_FIELDS, Record
from kzcli.textnorm import wrap_words
from kzcli.views import Table, View, cell_text, legend, role_text, source_keys


def _cell(claims: list[Record], originators: dict[str, str]) -> str:
    parts = []
    for claim in claims:
        text = claim["shown"]
        if claim["as_of"]:
            text += f" (as of {claim['as_of']})"
        if claim["attributed_to"]:
            text += f" [{originators.get(claim['attributed_to'], claim['attributed_to'])}]"
        parts.append(text)
    return "; ".join(parts)


def by_source(matrix: list[Record], sources: list[Record], originators: dict[str, str]) -> View:
    """One row per compared set, one column per source, then the spread and a contested flag."""
    used = [s for s in sources if any(s["id"] in row["cells"] for row in matrix)]
    keys = source_keys(used)
    spread = [r["low"] if r["low"] == r["high"] else f"{r['low']} to {r['high']}" for r in matrix]
    human = Table(
        ["Compared", *(keys[s["id"]] for s in used), "Spread"],
        [
            [
                row["subject"],
                *(_cell(row["cells"].get(s["id"], []), originators) or "—" for s in used),
                spread_text + (" (contested)" if row["contested"] else ""),
            ]
            for row, spread_text in zip(matrix, spread, strict=True)
        ],
    )
    flat = Table(
        ["row", "subject", "source", *CLAIM_FIELDS, "low", "high", "contested"],
        [
            [
                row["row"],
                row["subject"],
                source,
                *(cell_text(claim[name]) for name in CLAIM_FIELDS),
                row["low"],
                row["high"],
                "yes" if row["contested"] else "no",
            ]
            for row in matrix
            for source, claims in row["cells"].items()
            for claim in claims
        ],
    )
    notes = []
    if any(claim["attributed_to"] for row in matrix for cl in row["cells"].values() for claim in cl):
        notes.append("[name]: the source attributes the figure to that originator.")
    contested = sum(row["contested"] for row in matrix)
    if contested:
        notes.append(f"{contested} of {len(matrix)} rows are contested: the sources give different values.")
    return View(matrix, [human], flat, legend(used, {s["id"] for s in used}), notes)


def gaps(found: list[Record]) -> View:
    """Each gap on one row: the record, what is missing, and why it matters."""
    columns = ["type", "id", "gap", "detail"]
    rows = [[g[c] for c in columns] for g in found]
    return View(found, [Table([c.title() for c in columns], rows)], Table(columns, rows))


def _keys_of(ids: list[str], keys: dict[str, str]) -> str:
    return "[" + ", ".join(keys.get(i, i) for i in ids) + "]"


def _wrapped(text: str, tail: str, width: int, indent: str) -> list[str]:
    """`text` then `tail` (its citation keys), wrapped at word breaks; the keys never split."""
    return wrap_words(text, width, indent, " " * (len(indent) + 2), tail)


def _figure_line(row: Record, keys: dict[str, str], originators: dict[str, str]) -> str:
    sides = []
    for source, claims in row["cells"].items():
        for claim in claims:
            origin = claim["attributed_to"]
            who = f"{originators.get(origin, origin)} via " if origin else ""
            sides.append(f"{claim['shown']} [{who}{keys.get(source, source)}]")
    flag = " (contested)" if row["contested"] else ""
    return f"{row['subject']}: " + " · ".join(sides) + flag


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
        when = " or ".join(item["claims"]) + " (disputed)" if item["disputed"] else item["date"]
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
        text = _figure_line(row, keys, originators)
        lines += _wrapped(text, "", width, "  ")
        flat_rows.append(["figures", row["row"], text, "; ".join(row["cells"])])
    used = {s for item in flat_rows for s in item[3].split("; ") if s}
    lines += ["", "Sources"]
    for key, title in legend(sources, used):
        lines += _wrapped(title, "", width, f"  {key:<{max(len(k) for k in keys.values())}}  ")
    flat = Table(["section", "id", "text", "sources"], flat_rows)
    return View(summary, [flat], flat, text=lines)


def statements(docs: list[Record], sources: list[Record]) -> View:
    """Each statement as its originator's, via the documents that report it."""
    keys = source_keys(sources)

    def via(doc: Record) -> str:
        reported = ", ".join(dict.fromkeys(keys.get(c["source"], c["source"]) for c in doc["citations"]))
        return f"{doc['actor_name']}, via {reported}"

    human = Table(
        ["Date", "Statement", "Attributed to"], [[d["date"] or "", d["summary"], via(d)] for d in docs]
    )
    flat = Table(
        ["id", "date", "actor", "summary", "sources"],
        [
            [
                d["id"],
                d["date"] or "",
                d["actor"],
                d["summary"],
                "; ".join(dict.fromkeys(c["source"] for c in d["citations"])),
            ]
            for d in docs
        ],
    )
    cited = {c["source"] for d in docs for c in d["citations"]}
    return View(docs, [human], flat, legend(sources, cited))
