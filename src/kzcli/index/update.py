"""Bring a copy of the last index up to date with an edit: only the pieces that changed are read.

The index remembers each file's hash and each record's piece of it (kb/pieces.py).
An update compares them with the files now on disk; records whose pieces went
away lose their rows, records in new pieces are parsed, schema-checked and get
rows, and the comparisons they take part in are recomputed with the marks they
put on records, all in one transaction on a copy that the caller renames into
place. The result equals a full build row for row (tests/test_update.py).

An update declines (Declined) whatever it cannot settle cheaply and surely: a
change to a small kind (sources, scopes, aliases, comparisons, slips) or too
many changed pieces, and the caller builds in full. For any problem in the edit
it says so (Invalid), and the caller goes straight to the whole-KB validation,
which reports the problem in its usual words.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kzcli.compare import marks as mark_map
from kzcli.index.compile import (
    FIGURES,
    SLIPS,
    WORDS,
    Context,
    Rows,
    comparison_rows,
    context_of,
    dated_comparisons,
    excerpt_rows,
    figure_comparisons_ordered,
    record_rows,
)
from kzcli.index.store import counts_of, insert_rows, longest_event_days
from kzcli.kb.files import KBFile, KBFiles
from kzcli.kb.pieces import PIECEWISE, file_key, pieces_of, text_of
from kzcli.kb.validate import checked_pieces, cited_sources

Record = dict[str, Any]

# Past this many changed records a full build is as quick, and simpler to trust.
MAX_CHANGED = 2000

# Which fields of each kind name records of another kind (as kb/validate.py checks them).
_LINKS = {
    "events": (("places", "places"), ("actors", "actors")),
    "figures": (("place", "places"), ("attributed_to", "actors")),
}


class Declined(Exception):
    """This edit is not one an update takes: build the index in full."""


class Invalid(Declined):
    """The edit has a problem: the whole-KB validation is left to say which."""


@dataclass
class Edit:
    """What changed: per kind, the ids whose pieces went away and the records in new pieces."""

    removed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    added: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    # Per changed file: its kind and hash now, and its piece rows (None: the file is gone).
    files: dict[str, tuple[str, str, list[tuple[str, str, str]]] | None] = field(default_factory=dict)


def apply_edit(conn: sqlite3.Connection, kb: KBFiles) -> None:
    """Update the index open in `conn` (a writable copy) to `kb`, in one transaction; or raise Declined."""
    edit = _edit_of(conn, kb)
    alias_sets = _alias_sets(kb)
    figures = _figure_docs(conn)
    ctx = _context(conn, alias_sets, edit)
    _check_references(conn, alias_sets, figures, edit)
    refresh = _refresh_figures(figures, edit)
    with conn:
        _delete_rows(conn, edit, refresh)
        _insert_rows(conn, edit, ctx, refresh)
        _write_manifest(conn, edit)
        _write_meta(conn, kb)


# --- what changed -------------------------------------------------------------------------------


def _edit_of(conn: sqlite3.Connection, kb: KBFiles) -> Edit:
    """Compare the files' and pieces' hashes with the index's; parse and check the new pieces."""
    before = {
        key: (kind, hash_) for key, kind, hash_ in conn.execute("SELECT file, kind, hash FROM kb_files")
    }
    now = {file_key(kb, file): file for file in kb.files}
    edit = Edit()
    for key in sorted(before.keys() | now.keys()):
        file = now.get(key)
        if file is not None and key in before and before[key][1] == file.digest:
            continue
        kind = file.kind if file is not None else before[key][0]
        if kind not in PIECEWISE:
            raise Declined(f"{key}: {kind} are compiled whole")
        _diff_file(conn, kb, key, file, edit)
    changed = sum(map(len, edit.removed.values())) + sum(map(len, edit.added.values()))
    if changed > MAX_CHANGED:
        raise Declined(f"{changed} records changed")
    return edit


def _diff_file(conn: sqlite3.Connection, kb: KBFiles, key: str, file: KBFile | None, edit: Edit) -> None:
    """Match the file's pieces now against its pieces before, by hash; parse the ones that are new."""
    kept: dict[str, list[list[str]]] = defaultdict(list)
    for hash_, ids in conn.execute("SELECT hash, record_ids FROM pieces WHERE file = ?", (key,)):
        kept[hash_].append(json.loads(ids))
    if file is None:
        edit.files[key] = None
    else:
        if text_of(file) is None:
            raise Invalid(f"{key}: not UTF-8")
        rows = []
        for piece in pieces_of(file):
            if kept[piece.digest]:
                ids = kept[piece.digest].pop()
            else:
                records = checked_pieces(kb, file, [(piece.line, piece.text)])
                if records is None:
                    raise Invalid(f"{key}:{piece.line}: not a valid record")
                if len(records) != 1:  # a file that is not simply a list of records: one piece
                    raise Declined(f"{key}: compiled whole")
                edit.added[file.kind].append(records[0])
                ids = [records[0]["id"]]
            rows.append((key, piece.digest, json.dumps(ids)))
        edit.files[key] = (file.kind, file.digest, rows)
    gone = [record_id for lists in kept.values() for ids in lists for record_id in ids]
    if gone:
        before_kind = conn.execute("SELECT kind FROM kb_files WHERE file = ?", (key,)).fetchone()[0]
        edit.removed[before_kind].update(gone)


# --- checks that span records -------------------------------------------------------------------


def _existing(conn: sqlite3.Connection, table: str, ids: set[str]) -> set[str]:
    """Which of `ids` have a row in `table` (by id)."""
    found: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found |= {row[0] for row in conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)}
    return found


def _new_ids(edit: Edit) -> list[str]:
    ids = []
    for records in edit.added.values():
        for record in records:
            ids += [record["id"], *(s["id"] for s in record.get("statements") or [])]
    return ids


def _check_references(
    conn: sqlite3.Connection, alias_sets: list[Record], figures: list[Record], edit: Edit
) -> None:
    """Ids stay unique, every reference resolves, and nothing refers to a record that is gone."""
    new_ids = _new_ids(edit)
    if len(set(new_ids)) != len(new_ids):
        raise Invalid("an id is defined twice")
    removed = {rid for ids in edit.removed.values() for rid in ids}
    statements_gone = _statements_of(conn, edit.removed.get("actors", set()))
    removed |= statements_gone
    taken = set(new_ids) - removed
    for table in ("events", "actors", "places", "figures", "statements", "sources", "disputes"):
        if _existing(conn, table, taken):
            raise Invalid(f"an id already in {table}")
    present = {
        kind: (_existing(conn, kind, _referenced(edit, kind)) - edit.removed.get(kind, set()))
        | {r["id"] for r in edit.added.get(kind, [])}
        for kind in ("places", "actors", "sources")
    }
    for kind, records in edit.added.items():
        for record in records:
            _check_links(kind, record, present)
    _check_nothing_refers(conn, alias_sets, figures, edit, removed - _back_in_kind(edit, statements_gone))


def _back_in_kind(edit: Edit, statements_gone: set[str]) -> set[str]:
    """The removed ids that the edit adds again as the same kind: only those are not gone.

    An id that moves to another kind (an actor removed, a place of that id added) is gone for
    every reference that names it as its old kind.
    """
    back = {
        s["id"] for r in edit.added.get("actors", []) for s in r.get("statements") or []
    } & statements_gone
    for kind, records in edit.added.items():
        back |= {r["id"] for r in records} & edit.removed.get(kind, set())
    return back


def _referenced(edit: Edit, kind: str) -> set[str]:
    """Every id of `kind` that the new records name."""
    named: set[str] = set()
    for record_kind, records in edit.added.items():
        for record in records:
            if kind == "sources":
                named |= cited_sources(record)
            for link, target in _LINKS.get(record_kind, ()):
                if target == kind:
                    named |= set(_refs(record, link))
    return named


def _refs(record: Record, link: str) -> list[str]:
    """The ids a field names: a list, one id, or none."""
    value = record.get(link)
    return list(value) if isinstance(value, list) else [] if value is None else [value]


def _check_links(kind: str, record: Record, present: dict[str, set[str]]) -> None:
    if not cited_sources(record) <= present["sources"]:
        raise Invalid(f"{record['id']}: unknown source")
    for link, target in _LINKS.get(kind, ()):
        if any(ref not in present[target] for ref in _refs(record, link)):
            raise Invalid(f"{record['id']}: unknown {target[:-1]}")


def _check_nothing_refers(
    conn: sqlite3.Connection, alias_sets: list[Record], figures: list[Record], edit: Edit, gone: set[str]
) -> None:
    """No event, figure, comparison, slip or alias set that stays names a record that is gone."""
    if not gone:
        return
    listed = sorted(gone)
    marks = ", ".join("?" * len(listed))
    events_gone = sorted(edit.removed.get("events", set()))
    from_events = conn.execute(
        f"SELECT 1 FROM event_links WHERE kind IN ('actor', 'place') AND target IN ({marks})"
        f" AND event_id NOT IN ({', '.join('?' * len(events_gone))}) LIMIT 1",
        [*listed, *events_gone],
    ).fetchone()
    from_words = conn.execute(
        "SELECT 1 FROM dispute_members m JOIN disputes d ON d.id = m.dispute_id"
        f" WHERE m.record_id IN ({marks}) AND substr(d.ord, 1, 1) IN (?, ?) LIMIT 1",
        [*listed, WORDS, SLIPS],
    ).fetchone()
    figures_gone = edit.removed.get("figures", set())
    from_figures = any(
        doc["id"] not in figures_gone and ({doc.get("place"), doc.get("attributed_to")} & gone)
        for doc in figures
    )
    from_aliases = any(alias_set["id"] in gone for alias_set in alias_sets)
    if from_events or from_words or from_figures or from_aliases:
        raise Invalid("a record that is gone is still named")


def _statements_of(conn: sqlite3.Connection, actor_ids: set[str]) -> set[str]:
    listed = sorted(actor_ids)
    marks = ", ".join("?" * len(listed))
    return {row[0] for row in conn.execute(f"SELECT id FROM statements WHERE actor_id IN ({marks})", listed)}


# --- what rows depend on ------------------------------------------------------------------------


def _figure_docs(conn: sqlite3.Connection) -> list[Record]:
    return [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM figures")]


def _alias_sets(kb: KBFiles) -> list[Record]:
    """The alias sets, read again (their files are small and unchanged, or the update declined)."""
    sets: list[Record] = []
    for file in kb.of_kind("aliases"):
        records = checked_pieces(kb, file, [(1, text_of(file) or "")])
        if records is None:
            raise Invalid("aliases do not validate")
        sets += records
    return sets


def _context(conn: sqlite3.Connection, alias_sets: list[Record], edit: Edit) -> Context:
    """The context of the KB after the edit, read from the index (sources and scopes are unchanged)."""
    places = [{"id": rid, "name": name} for rid, name in conn.execute("SELECT id, name FROM places")]
    gone = edit.removed.get("places", set())
    return context_of(
        {
            "sources": [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM sources ORDER BY ord")],
            "scopes": [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM scopes")],
            "aliases": alias_sets,
            "places": [p for p in places if p["id"] not in gone] + edit.added.get("places", []),
        }
    )


# --- the update itself --------------------------------------------------------------------------


def _refresh_figures(figures: list[Record], edit: Edit) -> bool:
    """Whether every figure is done again: figures are compared with each other, and name places.

    A change to figures or places takes every figure's rows and comparisons anew
    (figures are a fiftieth of the events in the benchmark, so this stays cheap).
    """
    if not (
        edit.removed.get("figures")
        or edit.added.get("figures")
        or edit.removed.get("places")
        or edit.added.get("places")
    ):
        return False
    new_ids = {f["id"] for f in edit.added.get("figures", [])}
    kept = [doc for doc in figures if doc["id"] not in edit.removed["figures"] | new_ids]
    edit.removed["figures"] |= {doc["id"] for doc in kept}
    edit.added["figures"] = kept + edit.added.get("figures", [])
    return True


def _delete_rows(conn: sqlite3.Connection, edit: Edit, refresh: bool) -> None:
    """Every row of the records that are gone or changed, and of the comparisons to recompute."""
    records = {rid for ids in edit.removed.values() for rid in ids}
    statements = _statements_of(conn, edit.removed.get("actors", set()))
    conn.execute("CREATE TEMP TABLE gone(id TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp.gone VALUES (?)", ((rid,) for rid in records | statements))
    for table in ("events", "actors", "places", "figures"):
        conn.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM temp.gone)")
    conn.execute("DELETE FROM statements WHERE id IN (SELECT id FROM temp.gone)")
    conn.execute("DELETE FROM event_links WHERE event_id IN (SELECT id FROM temp.gone)")
    conn.execute(
        "DELETE FROM names WHERE kind IN ('actor', 'place') AND record_id IN (SELECT id FROM temp.gone)"
    )
    conn.execute("DELETE FROM citations WHERE record_id IN (SELECT id FROM temp.gone)")
    _delete_entries(conn, "kind != 'dispute'")
    conn.execute("DELETE FROM temp.gone")
    dates = [(f"date-{rid}",) for rid in edit.removed.get("events", set())]
    conn.executemany(
        "INSERT OR IGNORE INTO temp.gone SELECT id FROM disputes WHERE id = ? AND kind = 'date'", dates
    )
    if refresh:
        conn.execute(
            "INSERT OR IGNORE INTO temp.gone SELECT id FROM disputes WHERE substr(ord, 1, 1) = ?", (FIGURES,)
        )
    conn.execute("DELETE FROM disputes WHERE id IN (SELECT id FROM temp.gone)")
    conn.execute("DELETE FROM dispute_members WHERE dispute_id IN (SELECT id FROM temp.gone)")
    _delete_entries(conn, "kind = 'dispute'")
    conn.execute("DROP TABLE temp.gone")


def _delete_entries(conn: sqlite3.Connection, which: str) -> None:
    """The search entries of the records (or comparisons) in temp.gone, found through entry_owners."""
    owned = f"SELECT entry FROM entry_owners WHERE {which} AND record_id IN (SELECT id FROM temp.gone)"
    conn.execute(f"DELETE FROM search WHERE rowid IN ({owned})")
    conn.execute(f"DELETE FROM entry_owners WHERE {which} AND record_id IN (SELECT id FROM temp.gone)")


def _insert_rows(conn: sqlite3.Connection, edit: Edit, ctx: Context, refresh: bool) -> None:
    """Rows for the new records and the recomputed comparisons, marks included."""
    ordered = dated_comparisons(edit.added.get("events", []), ctx.source_keys)
    if refresh:
        ordered += figure_comparisons_ordered(edit.added["figures"], ctx)
    in_words = [
        json.loads(doc)
        for (doc,) in conn.execute(
            "SELECT doc FROM disputes WHERE substr(ord, 1, 1) IN (?, ?)", (WORDS, SLIPS)
        )
    ]
    ctx.marks = mark_map([c for _, c in ordered] + in_words)
    rows: Rows = defaultdict(list)
    record_rows(edit.added, ctx, rows)
    comparison_rows(ordered, rows)
    excerpt_rows(rows)
    insert_rows(conn, rows)


def _write_manifest(conn: sqlite3.Connection, edit: Edit) -> None:
    for key, now in edit.files.items():
        conn.execute("DELETE FROM pieces WHERE file = ?", (key,))
        conn.execute("DELETE FROM kb_files WHERE file = ?", (key,))
        if now is not None:
            kind, hash_, rows = now
            conn.execute("INSERT INTO kb_files VALUES (?, ?, ?)", (key, kind, hash_))
            conn.executemany("INSERT INTO pieces VALUES (?, ?, ?)", rows)


def _write_meta(conn: sqlite3.Connection, kb: KBFiles) -> None:
    """The fingerprint of the KB now, and its counts as a full build counts them."""
    meta = {
        "longest_event_days": longest_event_days(conn),
        "counts": json.dumps(counts_of(conn)),
        "fingerprint": kb.fingerprint,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
