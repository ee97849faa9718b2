"""A cold build that streams: events go from YAML to SQLite a batch at a time.

Events are most of a large knowledge base, and each one's rows depend only on
itself, its own date claims and the claims in words about it. So every other
kind is read, checked and compared first (they are small); then each events
file is parsed in runs of 500 records, checked, turned into rows and inserted,
and the run is dropped. Only the events' ids are kept, for the references the
other kinds make to them. The whole knowledge base is never in memory at once.

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
from typing import Any

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
from kzcli.kb import yamlload
from kzcli.kb.files import KINDS, KBFiles, ProgressFn, digest, no_progress
from kzcli.kb.pieces import PIECEWISE, file_key, text_of
from kzcli.kb.validate import StreamingCheck
from kzcli.kb.yamlload import (
    LoadError,
    die_with_parent,
    item_parts,
    load_json_lines,
    load_part,
    top_level_items,
)

Record = dict[str, Any]


class Problem(Exception):
    """The knowledge base has a problem: validate it whole to say which."""


def stream_into(conn: sqlite3.Connection, kb: KBFiles, progress: ProgressFn) -> None:
    """Check and compile `kb` into `conn` (its tables already made), events a batch at a time."""
    check = StreamingCheck(kb)
    records = check.small_kinds(progress)
    if records is None:
        raise Problem
    ctx = context_of(records)
    ordered = small_comparisons(records, ctx)
    ctx.marks = mark_map([c for _, c in ordered])
    mine = _EventStream(kb, check, ctx, _ids_of(records), lambda rows: insert(conn, rows))

    def other_kinds(pause: Callable[[], None]) -> None:
        """The other kinds' rows, a thousand records at a time with a `pause` after each (see below)."""
        rows: Rows = defaultdict(list)
        source_rows(records["sources"], check.source_folders(), rows)
        comparison_rows(ordered, rows)
        rows["scopes"] = scope_rows(records["scopes"])
        insert(conn, rows)
        for kind in ("actors", "places", "figures"):
            for start in range(0, len(records[kind]), 1000):
                rows = defaultdict(list)
                record_rows({kind: records[kind][start : start + 1000]}, ctx, rows)
                excerpt_rows(rows)
                insert(conn, rows)
                pause()

    event_ids, event_runs = _stream_events(conn, mine, other_kinds, progress)
    if not check.references_hold(frozenset(event_ids)):
        raise Problem
    progress("building the index", 0, 1)
    rows: Rows = defaultdict(list)
    _manifest(kb, check, event_runs, rows)
    insert(conn, rows)


def insert(conn: sqlite3.Connection, rows: Rows) -> None:
    """Each table's rows, in one executemany per table."""
    for table, values in rows.items():
        if values:
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)


def _ids_of(records: dict[str, list[Record]]) -> set[str]:
    """Every id the other kinds define (statements included): an event may not take one."""
    ids: set[str] = set()
    for kind in KINDS:
        if kind in ("aliases", "scopes", "events"):
            continue
        for record in records[kind]:
            ids.add(record["id"])
            ids.update(s["id"] for s in record.get("statements") or [])
    return ids


# A run of events: (the file's place among the events files, first part, end of parts).
Unit = tuple[int, int, int]
# What a run held: its records' ids, and their pieces' hashes (None if records and pieces did not pair up).
Run = tuple[list[str], list[str] | None]
Sink = Callable[[Rows], None]

# Of the events, the share a worker takes: the main process also inserts every row.
WORKER_SHARE = 0.7


class _EventStream:
    """Events, a run of records at a time: parsed, checked, compared, turned into rows and sunk."""

    def __init__(self, kb: KBFiles, check: StreamingCheck, ctx: Context, taken: set[str], sink: Sink) -> None:
        self.kb, self.check, self.ctx, self.taken, self.sink = kb, check, ctx, taken, sink
        self.files = kb.of_kind("events")
        self.ids: set[str] = set()
        self.runs: dict[Unit, Run] = {}
        known = check.check.declared
        self.places, self.actors = known.get("places", set()), known.get("actors", set())
        self.sources = known.get("sources", set())
        self._parts: tuple[int, list[tuple[int, str]]] | None = None

    def parts(self, position: int) -> list[tuple[int, str]]:
        """The runs of whole records of one events file (the last file's kept for the next call)."""
        if self._parts is None or self._parts[0] != position:
            text = text_of(self.files[position])
            if text is None:
                raise Problem
            self._parts = (position, item_parts(text))
        return self._parts[1]

    def unit(self, unit: Unit, progress: ProgressFn) -> None:
        position, first, end = unit
        parts = self.parts(position)
        ids: list[str] = []
        hashes: list[str] | None = []
        for done in range(first, end):
            progress(f"reading {self.files[position].path.name}", done, len(parts))
            first_line, part = parts[done]
            new = self._run(_parsed(part, first_line))
            items = top_level_items(part) or []
            ids += new
            if hashes is not None and len(items) == len(new):
                hashes += [digest(item.encode()) for _, item in items]
            else:
                hashes = None
        self.runs[unit] = (ids, hashes)

    def _run(self, raws: list[Any]) -> list[str]:
        events = self.check.events(raws)
        if events is None:
            raise Problem
        for event in events:
            self._check(event)
        dates = dated_comparisons(events, self.ctx.source_keys)
        marks = _merged(self.ctx.marks, mark_map([c for _, c in dates]), {e["id"] for e in events})
        rows: Rows = defaultdict(list)
        record_rows({"events": events}, replace(self.ctx, marks=marks), rows)
        comparison_rows(dates, rows)
        excerpt_rows(rows)
        self.sink(rows)
        return [e["id"] for e in events]

    def _check(self, event: Record) -> None:
        """The event's id is its own, and what it names exists."""
        record_id = event["id"]
        if record_id in self.ids or record_id in self.taken:
            raise Problem
        self.ids.add(record_id)
        cited = {c["source"] for c in [*event["citations"], *(event.get("date_claims") or [])]}
        if not (
            set(event["places"]) <= self.places
            and set(event["actors"]) <= self.actors
            and cited <= self.sources
        ):
            raise Problem


def _units(stream: _EventStream) -> tuple[list[Unit], list[Unit]]:
    """The runs of events for this process and, when the events are large enough to pay, for a worker.

    A worker takes the last WORKER_SHARE of the events by size: whole files from
    the end, and the tail of the file that straddles the cut.
    """
    sizes = [file.size for file in stream.files]
    alone = [(position, 0, len(stream.parts(position))) for position in range(len(sizes))]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if sum(sizes) < yamlload.PARALLEL_THRESHOLD or cores < 2 or not sys.platform.startswith("linux"):
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
    mine: _EventStream,
    meanwhile: Callable[[Callable[[], None]], None],
    progress: ProgressFn,
) -> tuple[set[str], dict[Unit, Run]]:
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
        return mine.ids, mine.runs
    import multiprocessing

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(mine, theirs, writer, os.getpid()), daemon=True)
    worker.start()  # before the thread below: a fork copies only the thread that calls it
    writer.close()
    inbox = _Inbox(reader)
    done: list[_Done] = []

    def insert_and_take_theirs(rows: Rows) -> None:
        insert(conn, rows)
        for message in inbox.waiting():
            done.extend(_received(conn, message))

    mine.sink = insert_and_take_theirs
    try:
        meanwhile(lambda: insert_and_take_theirs({}))
        for unit in own:
            mine.unit(unit, progress)
        while not done:
            done.extend(_received(conn, inbox.next()))
    finally:
        worker.kill()
        worker.join()
    ids, runs = done[0]
    if ids & mine.ids:
        raise Problem
    return ids | mine.ids, mine.runs | runs


class _Inbox:
    """The worker's messages, read from the pipe by a thread as they come.

    A thread so that the worker never waits for this process to look at the pipe;
    a bounded queue so that a worker running ahead holds a few batches, not all.
    """

    def __init__(self, reader: Any) -> None:
        import queue
        import threading

        self.queue: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=8)
        threading.Thread(target=self._read, args=(reader,), daemon=True).start()

    def _read(self, reader: Any) -> None:
        while True:
            try:
                message = reader.recv()
            except (EOFError, OSError):  # the worker died: the whole-KB build takes over
                message = ("gone",)
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
        """The next message, waiting for it."""
        return self.queue.get()


_Done = tuple[set[str], dict[Unit, Run]]


def _received(conn: sqlite3.Connection, message: tuple[Any, ...]) -> list[_Done]:
    """Insert a worker's rows; its last message (its ids and pieces) is returned, a problem raised."""
    kind = message[0]
    if kind == "rows":
        insert(conn, message[1])
        return []
    if kind == "done":
        return [(message[1], message[2])]
    raise Problem  # "problem", or "gone"


def _work(stream: _EventStream, units: list[Unit], writer: Any, parent: int) -> None:
    """In the forked worker: stream its runs of events, sending the rows instead of inserting them."""
    import signal

    die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the worker just ends, and the main process reports.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    stream.sink = lambda rows: writer.send(("rows", dict(rows)))
    stream.ids, stream.runs = set(), {}
    try:
        for unit in units:
            stream.unit(unit, no_progress)
    except Exception:  # any problem: the main process falls back to the whole-KB build
        writer.send(("problem",))
        return
    writer.send(("done", stream.ids, stream.runs))


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


def _manifest(kb: KBFiles, check: StreamingCheck, event_runs: dict[Unit, Run], rows: Rows) -> None:
    """Each file's hash, and each piece's: what a later update compares (index/update.py)."""
    ids_in = check.record_ids_by_file()
    events = kb.of_kind("events")
    for file in kb.files:
        key = file_key(kb, file)
        rows["kb_files"].append((key, file.kind, file.digest))
        if file.kind == "events":
            position = next(i for i, f in enumerate(events) if f is file)
            runs = [run for unit, run in sorted(event_runs.items()) if unit[0] == position]
            ids = [record_id for run_ids, _ in runs for record_id in run_ids]
            hashes = [h for _, run_hashes in runs for h in run_hashes or []]
            if all(run_hashes is not None for _, run_hashes in runs):
                rows["pieces"] += [(key, h, json.dumps([rid])) for h, rid in zip(hashes, ids, strict=True)]
            else:
                rows["pieces"] += piece_rows(key, file, ids)
        elif file.kind in PIECEWISE:
            rows["pieces"] += piece_rows(key, file, ids_in.get(id(file), []))
