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
from collections.abc import Callable, Container
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
from kzcli.kb.speakers import SpeakerCheck
from kzcli.kb.validate import LINKS, AnyOf, Link, broken_links, checked_pieces, speaker_problems

Record = dict[str, Any]

# Past this many changed records a full build is as quick, and simpler to trust.
MAX_CHANGED = 2000


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
#
# The same rules as the whole-KB validation (kb/validate.py's LINKS and broken_links), by kind
# and id: an id that leaves one kind for another is gone from the first, whatever now holds it.


class _IdsAfter:
    """The ids of one table once the edit is made: those in the index it does not remove, and the new."""

    def __init__(self, conn: sqlite3.Connection, table: str, removed: set[str], added: set[str]) -> None:
        self.conn, self.table, self.removed, self.added = conn, table, removed, added

    def __contains__(self, item: object) -> bool:
        return item in self.added or self.stays(item)

    def stays(self, item: object) -> bool:
        """Whether the index holds `item` and the edit keeps it."""
        if item in self.removed:
            return False
        return self.conn.execute(f"SELECT 1 FROM {self.table} WHERE id = ?", (item,)).fetchone() is not None


class _IdsInWords:
    """The ids of the comparisons in words and the slips, in the index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __contains__(self, item: object) -> bool:
        return self.stays(item)

    def stays(self, item: object) -> bool:
        query = "SELECT 1 FROM disputes WHERE id = ? AND substr(ord, 1, 1) IN (?, ?)"
        return self.conn.execute(query, (item, WORDS, SLIPS)).fetchone() is not None


@dataclass
class _After:
    """The knowledge base after the edit, as the reference rules see it: each kind's ids, and every id."""

    known: dict[str, Container[str]]
    every_id: Container[str]
    # Every table of ids in the index, for what the edit keeps of each: new ids may take none.
    in_index: tuple[_IdsAfter | _IdsInWords, ...]
    # Per kind, the ids that the edit removed (a changed record is removed and added again).
    removed: dict[str, set[str]]


def _after(conn: sqlite3.Connection, edit: Edit) -> _After:
    removed = {kind: set(edit.removed.get(kind, set())) for kind in PIECEWISE}
    removed["statements"] = _statements_of(conn, removed["actors"])
    added: dict[str, set[str]] = {kind: {r["id"] for r in edit.added.get(kind, [])} for kind in PIECEWISE}
    added["statements"] = {s["id"] for r in edit.added.get("actors", []) for s in r.get("statements") or []}
    tables = {
        table: _IdsAfter(conn, table, removed.get(table, set()), added.get(table, set()))
        for table in (*sorted(PIECEWISE), "statements", "sources")
    }
    # Comparisons and slips are records too (compiled whole: an update never changes them).
    in_words = _IdsInWords(conn)
    known: dict[str, Container[str]] = {**tables, "comparisons": in_words, "slips": in_words}
    in_index: tuple[_IdsAfter | _IdsInWords, ...] = (*tables.values(), in_words)
    return _After(known, AnyOf(in_index), in_index, removed)


def _new_ids(edit: Edit) -> list[str]:
    ids = []
    for records in edit.added.values():
        for record in records:
            ids += [record["id"], *(s["id"] for s in record.get("statements") or [])]
    return ids


def _check_references(
    conn: sqlite3.Connection, alias_sets: list[Record], figures: list[Record], edit: Edit
) -> None:
    """Ids stay unique across kinds, what the new records name exists, and nothing names what is gone."""
    after = _after(conn, edit)
    new_ids = _new_ids(edit)
    if len(set(new_ids)) != len(new_ids):
        raise Invalid("an id is defined twice")
    for record_id in new_ids:
        if any(ids.stays(record_id) for ids in after.in_index):
            raise Invalid(f"{record_id}: id already taken")
    # Sources are compiled whole, so the speaker maps in the index are the KB's own.
    sources = [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM sources")]
    speakers = SpeakerCheck.of(sources)
    for kind, records in edit.added.items():
        for record in records:
            for _where, message in broken_links(kind, record, after.known, after.every_id):
                raise Invalid(f"{record['id']}: {message}")
            for message in speaker_problems(speakers, kind, record):
                raise Invalid(f"{record['id']}: {message}")
    referrers = _Referrers(conn, alias_sets, figures, edit)
    for kind, links in LINKS.items():
        for link in links:
            gone = _gone(after, link)
            if gone and REFERRERS[kind, link.field](referrers, gone):
                raise Invalid(f"a {kind[:-1]} still names {sorted(gone)[0]!r} in {link.field}")
    gone_actors = {a for a in after.removed.get("actors", set()) if a not in after.known["actors"]}
    if gone_actors and referrers.statements_naming(gone_actors):
        raise Invalid(f"a statement still names {sorted(gone_actors)[0]!r} in also_of")


def _gone(after: _After, link: Link) -> set[str]:
    """The ids the edit removed that the link could name, and that no kind it names holds now."""
    kinds = after.removed.keys() if link.kinds == ("*",) else link.kinds
    candidates = {rid for kind in kinds for rid in after.removed.get(kind, set())}
    pools = [after.every_id if kind == "*" else after.known[kind] for kind in link.kinds]
    return {rid for rid in candidates if not any(rid in pool for pool in pools)}


@dataclass
class _Referrers:
    """Where the index (or the alias files, read again) keeps the records that name others."""

    conn: sqlite3.Connection
    alias_sets: list[Record]
    figures: list[Record]
    edit: Edit

    def events_naming(self, link_kind: str, gone: set[str]) -> bool:
        """Whether an event the edit keeps names one of `gone` as its `link_kind` (actor, place)."""
        listed = sorted(gone)
        marks = ", ".join("?" * len(listed))
        query = f"SELECT event_id FROM event_links WHERE kind = ? AND target IN ({marks})"
        kept_away = self.edit.removed.get("events", set())
        return any(
            event_id not in kept_away for (event_id,) in self.conn.execute(query, [link_kind, *listed])
        )

    def figures_naming(self, field: str, gone: set[str]) -> bool:
        kept_away = self.edit.removed.get("figures", set())
        return any(doc["id"] not in kept_away and doc.get(field) in gone for doc in self.figures)

    def in_words_about(self, group: str, gone: set[str]) -> bool:
        """Whether a comparison in words (or a slip: `group`) is about one of `gone`."""
        listed = sorted(gone)
        marks = ", ".join("?" * len(listed))
        query = (
            "SELECT 1 FROM dispute_members m JOIN disputes d ON d.id = m.dispute_id"
            f" WHERE m.record_id IN ({marks}) AND substr(d.ord, 1, 1) = ? LIMIT 1"
        )
        return self.conn.execute(query, [*listed, group]).fetchone() is not None

    def statements_naming(self, gone: set[str]) -> bool:
        """Whether a statement of an actor the edit keeps names one of `gone` in its also_of."""
        listed = sorted(gone)
        marks = ", ".join("?" * len(listed))
        query = (
            "SELECT actor_id FROM statements WHERE EXISTS "
            f"(SELECT 1 FROM json_each(doc, '$.also_of') WHERE value IN ({marks}))"
        )
        kept_away = self.edit.removed.get("actors", set())
        return any(actor not in kept_away for (actor,) in self.conn.execute(query, listed))

    def alias_sets_naming(self, gone: set[str]) -> bool:
        return any(alias_set["id"] in gone for alias_set in self.alias_sets)


def _compiled_whole(_referrers: _Referrers, _gone: set[str]) -> bool:
    """Sources are compiled whole, so an update never removes one; should one be gone, build in full."""
    raise Declined("a source may be gone")


# For each link that LINKS declares, how to tell whether a record the edit keeps names an id that is gone.
REFERRERS: dict[tuple[str, str], Callable[[_Referrers, set[str]], bool]] = {
    ("events", "places"): lambda r, gone: r.events_naming("place", gone),
    ("events", "actors"): lambda r, gone: r.events_naming("actor", gone),
    ("figures", "place"): lambda r, gone: r.figures_naming("place", gone),
    ("figures", "attributed_to"): lambda r, gone: r.figures_naming("attributed_to", gone),
    ("comparisons", "about"): lambda r, gone: r.in_words_about(WORDS, gone),
    ("slips", "about"): lambda r, gone: r.in_words_about(SLIPS, gone),
    ("slips", "source"): _compiled_whole,
    ("aliases", "id"): lambda r, gone: r.alias_sets_naming(gone),
}


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
