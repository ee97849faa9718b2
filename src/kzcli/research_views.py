"""Tables for the research commands: the by-source matrix, gaps and citations."""

from __future__ import annotations

from kzcli.research import Record
from kzcli.views import Table, View, legend, source_keys


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
        [
            "row",
            "subject",
            "source",
            "figure",
            "metric",
            "scope",
            "value",
            "qualifier",
            "unit",
            "shown",
            "as_of",
            "attributed_to",
            "low",
            "high",
            "contested",
        ],
        [
            [
                row["row"],
                row["subject"],
                source,
                claim["figure"],
                claim["metric"],
                claim["scope"],
                str(claim["value"]),
                claim["qualifier"],
                claim["unit"],
                claim["shown"],
                claim["as_of"] or "",
                claim["attributed_to"] or "",
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
