"""A cold build that streams: places, actors and events go from YAML to SQLite a batch at a time.

They are most of a large knowledge base, and each one's rows depend only on
itself, its own date claims and the claims in words about it. So the other
kinds are read, checked and compared first (they are small); then each file of
places, of actors and of events is parsed in runs of 500 records, checked,
turned into rows and inserted, and the run is dropped. Only their ids (and the
places' names, which figures show) are kept, for the references made to them.
The whole knowledge base is never in memory at once.

The stream only tells that something is wrong (Problem). The caller then runs
the whole-KB validation (kb/validate.py), which says what, in its usual words.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from kzcli import workers
from kzcli.compare import marks as mark_map
from kzcli.compare import worst_first
from kzcli.index.compile import (
    Context,
    Marks,
    Rows,
    comparison_rows,
    context_of,
    dated_comparisons,
    excerpt_rows,
    piece_rows,
    record_rows,
    scope_rows,
    small_comparisons,
    source_rows,
)
from kzcli.index.store import insert_rows
from kzcli.kb import yamlload
from kzcli.kb.files import KINDS, KBFiles, ProgressFn, digest, no_progress
from kzcli.kb.pieces import PIECEWISE, file_key, text_of
from kzcli.kb.validate import AnyOf, StreamingCheck, cited_sources
from kzcli.kb.yamlload import (
    LoadError,
    item_parts,
    load_json_lines,
    load_part,
    top_level_items,
)

Record = dict[str, Any]


class Problem(Exception):
    """The knowledge base has a problem: validate it whole to say which."""


def stream_into(conn: sqlite3.Connection, kb: KBFiles, progress: ProgressFn) -> None:
    """Check and compile `kb` into `conn` (its tables already made), the large kinds a batch at a time."""
    check = StreamingCheck(kb)
    records = check.small_kinds(STREAMED, progress)
    if records is None:
        raise Problem
    ctx = context_of(records)
    ordered = small_comparisons(records, ctx)
    ctx.marks = mark_map([c for _, c in ordered])
    sink = partial(insert, conn)
    taken = _ids_of(records)
    named: dict[str, set[str]] = {}
    for kind in ("places", "actors"):
        stream = _Stream(kind, kb, check, ctx, taken, named, sink)
        for unit in _units(stream)[0]:
            stream.unit(unit, progress)
        named[kind] = stream.records
        taken |= stream.ids
        # A statement's also_of may name an actor later in the stream: checked once all are known.
        if not stream.also_of <= named.get("actors", set()):
            raise Problem
    ctx.place_names = _names(conn)
    events = _Stream("events", kb, check, ctx, taken, named, sink)
    _stream_events(conn, events, partial(_small_kinds_rows, conn, check, records, ordered, ctx), progress)
    if not check.references_hold(AnyOf((taken, _EventIds(conn))), named):
        raise Problem
    progress("building the index", 0, 1)
    rows: Rows = defaultdict(list)
    _manifest(kb, check, rows)
    insert(conn, rows)


def _small_kinds_rows(
    conn: sqlite3.Connection,
    check: StreamingCheck,
    records: dict[str, list[Record]],
    ordered: list[tuple[str, Record]],
    ctx: Context,
    pause: Callable[[], None],
) -> None:
    """The small kinds' rows, a thousand figures at a time with a `pause` after each (_stream_events)."""
    rows: Rows = defaultdict(list)
    source_rows(records["sources"], check.source_folders(), rows)
    comparison_rows(ordered, rows)
    rows["scopes"] = scope_rows(records["scopes"])
    insert(conn, rows)
    for start in range(0, len(records["figures"]), 1000):
        rows = defaultdict(list)
        record_rows({"figures": records["figures"][start : start + 1000]}, ctx, rows)
        excerpt_rows(rows)
        insert(conn, rows)
        pause()


class _EventIds:
    """The ids of the events inserted so far, looked up in the index rather than held in memory."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __contains__(self, item: object) -> bool:
        return self.conn.execute("SELECT 1 FROM events WHERE id = ?", (item,)).fetchone() is not None


def _names(conn: sqlite3.Connection) -> dict[str, str]:
    """Each place's name, as inserted: figures show it beside their place."""
    return dict(conn.execute("SELECT id, name FROM places").fetchall())


def insert(conn: sqlite3.Connection, rows: Rows) -> None:
    """Each table's rows, in one executemany per table; a key taken twice is a Problem (a twin id)."""
    try:
        insert_rows(conn, rows)
    except sqlite3.IntegrityError:
        raise Problem from None


def _ids_of(records: dict[str, list[Record]]) -> set[str]:
    """Every id the small kinds define: a streamed record may not take one."""
    ids: set[str] = set()
    for kind in KINDS:
        if kind in ("aliases", "scopes", *STREAMED):
            continue
        for record in records[kind]:
            ids.add(record["id"])
            ids.update(s["id"] for s in record.get("statements") or [])
    return ids


# The kinds that stream, in the order they are read: events name places and actors.
STREAMED = ("places", "actors", "events")
# A run of records: (the file's place among its kind's files, first part, end of parts).
Unit = tuple[int, int, int]
Sink = Callable[[Rows], None]

# Of the events, the share a worker takes: the main process also inserts every row.
WORKER_SHARE = 0.7


class _Stream:
    """One kind's records, a run at a time: parsed, checked, compared, turned into rows and sunk."""

    def __init__(
        self,
        kind: str,
        kb: KBFiles,
        check: StreamingCheck,
        ctx: Context,
        taken: set[str],
        named: dict[str, set[str]],
        sink: Sink,
    ) -> None:
        self.kind, self.kb, self.check, self.ctx, self.sink = kind, kb, check, ctx, sink
        self.taken, self.named = taken, named
        self.files = kb.of_kind(kind)
        self.sources = check.check.declared.get("sources", set())
        # The records' ids; with their statements' ids, every id they define. Events' ids are not
        # kept: a million would not fit the memory a build may take, and the index's key refuses a twin.
        self.records: set[str] = set()
        self.ids: set[str] = set()
        self.keep_ids = kind != "events"
        self.also_of: set[str] = set()
        self._parts: tuple[int, list[tuple[int, str]]] | None = None

    def parts(self, position: int) -> list[tuple[int, str]]:
        """The runs of whole records of one file (the last file's kept for the next call)."""
        if self._parts is None or self._parts[0] != position:
            text = text_of(self.files[position])
            if text is None:
                raise Problem
            self._parts = (position, item_parts(text))
        return self._parts[1]

    def unit(self, unit: Unit, progress: ProgressFn) -> None:
        """Stream one run of a file, then its pieces' hashes (index/update.py compares them)."""
        position, first, end = unit
        file = self.files[position]
        parts = self.parts(position)
        ids: list[str] = []
        hashes: list[str] | None = []
        for done in range(first, end):
            progress(f"reading {file.path.name}", done, len(parts))
            first_line, part = parts[done]
            new = self._run(_parsed(part, first_line))
            items = top_level_items(part) or []
            ids += new
            if hashes is not None and len(items) == len(new):
                hashes += [digest(item.encode()) for _, item in items]
            else:
                hashes = None
        key = file_key(self.kb, file)
        if hashes is not None:
            self.sink({"pieces": [(key, h, json.dumps([rid])) for h, rid in zip(hashes, ids, strict=True)]})
        elif len(parts) == 1:  # a file that is not simply a list of records is one piece
            self.sink({"pieces": [(key, file.digest, json.dumps(ids))]})
        else:
            raise Problem

    def _run(self, raws: list[Any]) -> list[str]:
        records = self.check.records(self.kind, raws)
        if records is None:
            raise Problem
        for record in records:
            self._check(record)
        rows: Rows = defaultdict(list)
        ctx = self.ctx
        if self.kind == "events":
            dates = dated_comparisons(records, ctx.source_keys)
            own = mark_map([c for _, c in dates])
            ctx = replace(ctx, marks=_merged(ctx.marks, own, {e["id"] for e in records}))
            comparison_rows(dates, rows)
        record_rows({self.kind: records}, ctx, rows)
        excerpt_rows(rows)
        self.sink(rows)
        return [r["id"] for r in records]

    def _check(self, record: Record) -> None:
        """The record's ids are its own, and what it names exists."""
        for record_id in [record["id"], *(s["id"] for s in record.get("statements") or [])]:
            if record_id in self.ids or record_id in self.taken:
                raise Problem
            if self.keep_ids:
                self.ids.add(record_id)
        if self.keep_ids:
            self.records.add(record["id"])
        if not cited_sources(record) <= self.sources:
            raise Problem
        for statement in record.get("statements") or []:
            if record["id"] in statement.get("also_of", []):
                raise Problem
            self.also_of.update(statement.get("also_of", []))
        if self.kind == "events" and not (
            set(record["places"]) <= self.named["places"] and set(record["actors"]) <= self.named["actors"]
        ):
            raise Problem


def _units(stream: _Stream) -> tuple[list[Unit], list[Unit]]:
    """The runs of records for this process and, for events large enough to pay, for a worker.

    A worker takes the last WORKER_SHARE of the events by size: whole files from
    the end, and the tail of the file that straddles the cut.
    """
    sizes = [file.size for file in stream.files]
    alone = [(position, 0, len(stream.parts(position))) for position in range(len(sizes))]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    large = stream.kind == "events" and sum(sizes) >= yamlload.PARALLEL_THRESHOLD
    if not large or cores < 2 or not sys.platform.startswith("linux"):
        return alone, []
    cut, seen = sum(sizes) * (1 - WORKER_SHARE), 0
    mine: list[Unit] = []
    theirs: list[Unit] = []
    for (position, _first, end), size in zip(alone, sizes, strict=True):
        if seen + size <= cut:
            mine.append((position, 0, end))
        elif seen >= cut:
            theirs.append((position, 0, end))
        else:
            split = round(end * (cut - seen) / size)
            mine += [(position, 0, split)] if split else []
            theirs += [(position, split, end)] if split < end else []
        seen += size
    return mine, theirs


def _stream_events(
    conn: sqlite3.Connection,
    mine: _Stream,
    meanwhile: Callable[[Callable[[], None]], None],
    progress: ProgressFn,
) -> None:
    """Every event streamed into `conn`, a worker process taking a share when that pays.

    `meanwhile` runs once the worker has started, and calls its argument now and
    then: that, and each of this process's own batches, inserts what the worker
    has sent so far.
    """
    own, theirs = _units(mine)
    if not theirs:
        meanwhile(lambda: None)
        for unit in own:
            mine.unit(unit, progress)
        return
    with workers.forked(_work, mine, theirs) as (_child, reader):
        # The thread starts after the fork: a fork copies only the thread that calls it.
        inbox = _Inbox(reader)
        done: list[bool] = []

        def insert_and_take_theirs(rows: Rows) -> None:
            insert(conn, rows)
            for message in inbox.waiting():
                done.extend(_received(conn, message))

        mine.sink = insert_and_take_theirs
        meanwhile(lambda: insert_and_take_theirs({}))
        for unit in own:
            mine.unit(unit, progress)
        while not done:
            done.extend(_received(conn, inbox.next()))


class _Inbox:
    """The worker's messages, read from the pipe by a thread as they come.

    A thread so that the worker never waits for this process to look at the pipe;
    a bounded queue so that a worker running ahead holds a few batches, not all.
    """

    def __init__(self, reader: Any) -> None:
        import queue
        import threading

        self.queue: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=8)
        self.thread = threading.Thread(target=self._read, args=(reader,), daemon=True)
        try:
            self.thread.start()
        except RuntimeError:  # no memory left for a thread's stack: the whole-KB build takes over
            raise Problem from None

    def _read(self, reader: Any) -> None:
        try:
            self._read_all(reader)
        except BaseException:  # out of memory even to pass the news on: the main thread's wait ends it
            return  # never Python's "Exception in thread" print, which would break the one-line rule

    def _read_all(self, reader: Any) -> None:
        while True:
            try:
                message = reader.recv()
            except (EOFError, OSError):  # the worker died: the whole-KB build takes over
                message = ("gone",)
            except BaseException as exc:  # MemoryError unpickling a batch: the main thread must hear of it
                message = ("failed", exc)
            self.queue.put(message)
            if message[0] != "rows":
                return

    def waiting(self) -> list[tuple[Any, ...]]:
        """The messages already here, without waiting."""
        import queue

        found = []
        with contextlib.suppress(queue.Empty):
            while True:
                found.append(self.queue.get_nowait())
        return found

    def next(self) -> tuple[Any, ...]:
        """The next message, waiting only while the reading thread lives and the worker is not silent
        for longer than workers.SILENT_S (a stuck worker: the whole-KB build takes over)."""
        import queue
        import time

        give_up = time.monotonic() + workers.SILENT_S
        while True:
            try:
                return self.queue.get(timeout=workers.WAIT_STEP_S)
            except queue.Empty:
                if self.queue.empty() and (not self.thread.is_alive() or time.monotonic() > give_up):
                    return ("gone",)


def _received(conn: sqlite3.Connection, message: tuple[Any, ...]) -> list[bool]:
    """Insert a worker's rows; [True] once it is done; a problem raised."""
    kind = message[0]
    if kind == "rows":
        insert(conn, message[1])
        return []
    if kind == "done":
        return [True]
    if kind == "failed":
        raise message[1]
    raise Problem  # "problem", or "gone"


def _work(stream: _Stream, units: list[Unit], send: Callable[[Any], None]) -> None:
    """In the forked worker: stream its runs of events, sending the rows instead of inserting them."""
    stream.sink = lambda rows: send(("rows", dict(rows)))
    try:
        for unit in units:
            stream.unit(unit, no_progress)
    except Exception:  # any problem: the main process falls back to the whole-KB build
        send(("problem",))
        return
    send(("done",))


def _parsed(part: str, first_line: int) -> list[Any]:
    items = load_json_lines(part)
    if items is not None:
        return list(items)
    try:
        loaded = load_part(part, first_line)
    except LoadError:
        raise Problem from None
    if not isinstance(loaded, list):
        raise Problem
    return loaded


def _merged(known: Marks, new: Marks, ids: set[str]) -> Marks:
    """Each event's marks from the claims in words and from its own dates, worst first, as one list."""
    merged = {}
    for record_id in ids:
        marks = known.get(record_id, []) + new.get(record_id, [])
        if marks:
            merged[record_id] = worst_first(marks)
    return merged


def _manifest(kb: KBFiles, check: StreamingCheck, rows: Rows) -> None:
    """Each file's hash, and the pieces of the large kinds read whole (the streams sent theirs)."""
    ids_in = check.record_ids_by_file()
    for file in kb.files:
        key = file_key(kb, file)
        rows["kb_files"].append((key, file.kind, file.digest))
        if file.kind in PIECEWISE and file.kind not in STREAMED:
            rows["pieces"] += piece_rows(key, file, ids_in.get(id(file), []))
