"""The compiled SQLite index: built from validated YAML, cached per KB fingerprint.

A cache file is written once to a temporary name and renamed into place, then
only ever opened read-only and immutable, so concurrent kz processes never see
a half-written index. Anything wrong with the cache (unwritable folder, full
disk, corrupt file) falls back to a rebuild, in memory if need be.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kzcli import __version__
from kzcli.index.cache import (
    INDEX_PREFIX,
    STAMP_PREFIX,
    WarnFn,
    no_warning,
    private_folder,
    prune,
    touch,
    trusted_file,
)
from kzcli.kb.files import (
    ChangedWhileReading,
    KBFiles,
    ProgressFn,
    bundled_data_dir,
    locate_kb,
    no_progress,
    read_kb,
    signature,
)

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources(id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE events(id TEXT PRIMARY KEY, ord TEXT NOT NULL, date_start TEXT NOT NULL,
                    date_end TEXT NOT NULL, disputed INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE actors(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE places(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE figures(id TEXT PRIMARY KEY, ord TEXT NOT NULL, metric TEXT NOT NULL,
                     scope TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE names(kind TEXT NOT NULL, record_id TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL);
CREATE TABLE event_links(event_id TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL);
CREATE TABLE citations(kind TEXT NOT NULL, record_id TEXT NOT NULL, label TEXT NOT NULL,
                       source TEXT NOT NULL, paragraph INTEGER NOT NULL, excerpt TEXT NOT NULL);
CREATE TABLE disputes(id TEXT PRIMARY KEY, ord TEXT NOT NULL, kind TEXT NOT NULL, verdict TEXT NOT NULL,
                      doc TEXT NOT NULL);
CREATE TABLE scopes(id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE statements(id TEXT PRIMARY KEY, actor_id TEXT NOT NULL, ord TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE dispute_members(record_id TEXT NOT NULL, dispute_id TEXT NOT NULL);
-- What an update compares (index/update.py): each file's hash, and each record's piece of it.
CREATE TABLE kb_files(file TEXT PRIMARY KEY, kind TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE pieces(file TEXT NOT NULL, hash TEXT NOT NULL, record_ids TEXT NOT NULL);
-- Which record each search entry belongs to: an update finds a record's entries by index, not by a scan.
CREATE TABLE entry_owners(kind TEXT NOT NULL, record_id TEXT NOT NULL, entry INTEGER NOT NULL);
CREATE VIRTUAL TABLE search USING fts5(kind UNINDEXED, record_id UNINDEXED, label UNINDEXED,
                                       body, tokenize='unicode61 remove_diacritics 2');
"""

# Built after the rows are in: one sort per index instead of a B-tree insert per row.
_INDEXES = """
CREATE INDEX events_by_ord ON events(ord);
CREATE INDEX events_by_start ON events(date_start);
CREATE INDEX figures_by_metric ON figures(metric, ord);
CREATE INDEX names_by_key ON names(kind, key);
CREATE INDEX event_links_by_target ON event_links(kind, target);
CREATE INDEX citations_by_source ON citations(source);
CREATE INDEX dispute_members_by_record ON dispute_members(record_id);
CREATE INDEX pieces_by_file ON pieces(file);
CREATE INDEX entry_owners_by_record ON entry_owners(record_id);
"""

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _intact(path: Path) -> bool:
    """Cheap check that a cache file is a whole SQLite database, not a truncated one."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return False
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    return size == page_size * int.from_bytes(header[28:32], "big")


def _open_cached(path: Path, fingerprint: str, warn: WarnFn = no_warning) -> sqlite3.Connection | None:
    if not trusted_file(path, warn) or not _intact(path):
        return None
    # immutable: the file is never written after its rename, so SQLite may skip locking.
    conn = sqlite3.connect(f"file:{quote(path.as_posix())}?mode=ro&immutable=1", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row and row[0] == fingerprint:
            return conn
    except sqlite3.DatabaseError:
        pass
    conn.close()
    return None


def _build_code_key() -> str:
    """A key for the code that builds an index: every module of the package (all stages), by size and mtime.

    Derived rather than listed, so a new build module can never be forgotten: an
    upgrade or a developer's edit to any module never reuses an older index.
    """
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parents[1]
    with contextlib.suppress(OSError):
        for module in sorted(package.rglob("*.py")):
            info = module.stat()
            name = module.relative_to(package).as_posix()
            digest.update(f"{name}:{info.st_size}:{info.st_mtime_ns};".encode())
    return digest.hexdigest()[:8]


# A file changed within this long before a stamp was written could change again
# without its mtime moving (coarse timestamps): such a stamp is not trusted ("racy git").
RACY_NS = 2_000_000_000


def _stamped_fingerprint(stamp: Path, now: dict[str, list[int]], warn: WarnFn) -> str | None:
    """The fingerprint recorded for files whose size, times and inode are unchanged, if trustworthy."""
    if not trusted_file(stamp, warn):
        return None
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded["files"] != now:
            return None
        if any(sig[1] >= recorded["written_ns"] - RACY_NS for sig in now.values()):
            return None
        return str(recorded["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_stamp(stamp: Path, files: dict[str, list[int]], fingerprint: str) -> None:
    """Best effort: remember the fingerprint of these exact files."""
    from kzcli.atomic import replaced_atomically  # only runs when the KB was read in full anyway

    record = {"files": files, "fingerprint": fingerprint, "written_ns": time.time_ns()}
    with contextlib.suppress(OSError), replaced_atomically(stamp) as temp:
        temp.write_text(json.dumps(record), encoding="utf-8")


def open_index(
    folders: list[Path] | None = None, progress: ProgressFn = no_progress, warn: WarnFn = no_warning
) -> sqlite3.Connection:
    """A read-only connection to the index of the KB in `folders` (the bundled KB by default).

    `warn` hears, in one line each, about cache files or folders ignored as untrusted.
    """
    folders = folders or [bundled_data_dir()]
    paths = [locate_kb(folder) for folder in folders]
    warn = _once(warn)
    root = private_folder(warn)
    where = "\0".join(str(folder.resolve()) for folder in folders)
    folder_key = hashlib.sha256(where.encode()).hexdigest()[:12]
    code_key = _build_code_key()
    if root is not None:
        stamp = root / f"{STAMP_PREFIX}{folder_key}.json"
        quick = _stamped_fingerprint(stamp, signature(paths), warn)
        if quick is not None:
            path = root / f"{INDEX_PREFIX}{folder_key}-{quick[:24]}-{code_key}.sqlite"
            conn = _open_cached(path, quick, warn)
            if conn is not None:
                touch(path)
                return conn
    keys = (folder_key, code_key)
    try:
        return _fresh_index(folders, root, keys, progress, warn)
    except ChangedWhileReading:  # saved while kz read it: read it all again, once
        return _fresh_index(folders, root, keys, progress, warn)


def _fresh_index(
    folders: list[Path], root: Path | None, keys: tuple[str, str], progress: ProgressFn, warn: WarnFn
) -> sqlite3.Connection:
    """The index of the KB as its files are now: found in the cache, updated from an older one, or built."""
    before = signature([locate_kb(folder) for folder in folders])
    kb = read_kb(folders)
    if root is None:
        return _build(kb, None, progress)
    folder_key, code_key = keys
    _write_stamp(root / f"{STAMP_PREFIX}{folder_key}.json", before, kb.fingerprint)
    path = root / f"{INDEX_PREFIX}{folder_key}-{kb.fingerprint[:24]}-{code_key}.sqlite"
    conn = _open_cached(path, kb.fingerprint, warn)
    if conn is not None:
        touch(path)
        return conn
    previous = _previous_index(root, folder_key, code_key)
    if previous is not None:
        try:
            conn = _update(previous, kb, path, progress)
        except _EditHasProblem:
            return _build(kb, path, progress, stream=False)
        if conn is not None:
            return conn
    return _build(kb, path, progress)


class _EditHasProblem(Exception):
    """An update found a problem in the edit: streaming a build would only find it again."""


def _previous_index(root: Path, folder_key: str, code_key: str) -> Path | None:
    """The newest whole index of the same folders built by the same code: what an update starts from."""
    found = [
        path
        for path in root.glob(f"{INDEX_PREFIX}{folder_key}-*-{code_key}.sqlite")
        if trusted_file(path) and _intact(path)
    ]
    return max(found, key=lambda path: path.stat().st_mtime_ns, default=None)


def _update(previous: Path, kb: KBFiles, path: Path, progress: ProgressFn) -> sqlite3.Connection | None:
    """An index for `kb` made by updating a copy of `previous` (index/update.py); None if it declines."""
    import shutil

    from kzcli.atomic import replaced_atomically
    from kzcli.index.update import Declined, Invalid, apply_edit
    from kzcli.kb.gcpause import collector_paused

    progress("updating the index", 0, 1)
    try:
        with collector_paused(), replaced_atomically(path) as temp:
            shutil.copyfile(previous, temp)
            conn = sqlite3.connect(temp)
            try:
                # The copy is disposable until renamed: the transaction needs no journal on disk.
                conn.execute("PRAGMA journal_mode = MEMORY")
                conn.execute("PRAGMA synchronous = OFF")
                apply_edit(conn, kb)
            finally:
                conn.close()
    except Invalid:
        raise _EditHasProblem from None
    except (Declined, OSError, sqlite3.Error):
        return None
    _remove_stale(path)
    return _open_cached(path, kb.fingerprint)


def _once(warn: WarnFn) -> WarnFn:
    """`warn`, saying each distinct message at most once."""
    said: set[str] = set()

    def once(message: str) -> None:
        if message not in said:
            said.add(message)
            warn(message)

    return once


Fill = Callable[[sqlite3.Connection], None]


def _build(kb: KBFiles, path: Path | None, progress: ProgressFn, stream: bool = True) -> sqlite3.Connection:
    """Compile the KB; write it to `path` (None: keep it in memory) and open it read-only.

    The build streams (index/stream.py). If the stream meets a problem, the
    whole-KB validation says what it is (InvalidKB); a KB that it passes after
    all is built the whole-KB way. `stream=False` starts with the validation.
    """
    # These import yaml and pydantic: only a cold cache pays for them.
    from kzcli.index.compile import compile_kb
    from kzcli.index.stream import Problem, insert, stream_into
    from kzcli.kb.gcpause import collector_paused

    with collector_paused():
        if stream:
            try:
                return _written(kb, path, lambda conn: stream_into(conn, kb, progress))
            except Problem:
                pass
        rows = compile_kb(kb, progress)
        return _written(kb, path, lambda conn: insert(conn, rows))


def _written(kb: KBFiles, path: Path | None, fill: Fill) -> sqlite3.Connection:
    """The index `fill` writes: to `path`, renamed into place and opened read-only; else in memory."""
    if path is not None:
        try:
            _write_atomically(path, kb, fill)
        except (OSError, sqlite3.Error):
            pass  # an unwritable or full cache: answer from memory
        else:
            _remove_stale(path)
            # None if replaced under us by something that is not ours: still answer.
            conn = _open_cached(path, kb.fingerprint)
            if conn is not None:
                return conn
    conn = sqlite3.connect(":memory:")
    _fill(conn, kb, fill)
    return conn


def _write_atomically(path: Path, kb: KBFiles, fill: Fill) -> None:
    from kzcli.atomic import replaced_atomically  # tempfile and shutil: only a cold build needs them

    with replaced_atomically(path) as temp:
        conn = sqlite3.connect(temp)
        try:
            # A cache file is disposable and only renamed into place once complete.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            _fill(conn, kb, fill)
        finally:
            conn.close()


def _remove_stale(keep: Path) -> None:
    """Best effort: drop older indexes of the same KB folders, then prune the cache (kz's files only)."""
    folder_key = keep.name.removeprefix(INDEX_PREFIX).split("-", 1)[0]
    for old in keep.parent.glob(f"{INDEX_PREFIX}{folder_key}-*.sqlite"):
        if old != keep and trusted_file(old):
            with contextlib.suppress(OSError):
                old.unlink()
    prune(keep.parent, keep)


def _fill(conn: sqlite3.Connection, kb: KBFiles, fill: Fill) -> None:
    """The tables, their rows (from `fill`), then the indexes and the metadata, in one transaction."""
    conn.executescript(_SCHEMA)
    fill(conn)
    conn.executescript(_INDEXES)
    meta = {
        "counts": json.dumps(counts_of(conn)),
        "longest_event_days": longest_event_days(conn),
        "fingerprint": kb.fingerprint,
        "kz_version": __version__,
        "folders": json.dumps([str(folder.resolve()) for folder in kb.folders]),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    conn.commit()


def insert_rows(conn: sqlite3.Connection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Each table's rows, in one executemany per table; search entries with their own rowids."""
    for table, values in rows.items():
        if table == "search":
            _insert_entries(conn, values)
        elif values:
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)


# A search that matches too many entries ranks those with the lowest rowids (ask/lookups.py), so an
# entry's rowid is a function of the entry alone: its kind's place here, then a hash of its text.
# Any build order, a worker's batches or an update then leave the same rowids as a full build.
ENTRY_KINDS = ("place", "actor", "source", "dispute", "figure", "event", "statement", "note", "excerpt")
_HASH_BITS = 58


def entry_rowid(entry: tuple[Any, ...]) -> int:
    """The rowid of a search entry (kind, record_id, label, body): its kind's rank, then its hash."""
    digest = hashlib.blake2b("\x1f".join(map(str, entry)).encode(), digest_size=8).digest()
    return ENTRY_KINDS.index(entry[0]) << _HASH_BITS | int.from_bytes(digest, "big") >> (64 - _HASH_BITS)


def _insert_entries(conn: sqlite3.Connection, entries: list[tuple[Any, ...]]) -> None:
    """Entries in rowid order (FTS5 flushes its buffer on any rowid lower than the last), and their owners."""
    keyed = sorted(_free_rowids(conn, sorted((entry_rowid(entry), *entry) for entry in entries)))
    conn.executemany("INSERT INTO search(rowid, kind, record_id, label, body) VALUES (?, ?, ?, ?, ?)", keyed)
    owners = ((kind, record_id, rowid) for rowid, kind, record_id, *_ in keyed)
    conn.executemany("INSERT INTO entry_owners VALUES (?, ?, ?)", owners)


def _free_rowids(conn: sqlite3.Connection, keyed: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Two entries with one hash (identical ones, or rarely not): the later takes the next free rowid.

    Checked before inserting: a failed insert rolled back to a savepoint loses FTS5's pending index.
    """
    taken: set[int] = set()
    wanted = [row[0] for row in keyed]
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        taken.update(r for (r,) in conn.execute(f"SELECT rowid FROM search WHERE rowid IN ({marks})", chunk))
    free = []
    for rowid, *entry in keyed:
        while rowid in taken:
            rowid += 1
            if conn.execute("SELECT 1 FROM search WHERE rowid = ?", (rowid,)).fetchone():
                taken.add(rowid)
        taken.add(rowid)
        free.append((rowid, *entry))
    return free


def counts_of(conn: sqlite3.Connection) -> dict[str, int]:
    """How many of each kind of fact the index holds, and how many disputes and slips."""
    counts = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("sources", "events", "actors", "places", "figures", "statements")
    }
    disputes = conn.execute("SELECT count(*) FROM disputes WHERE verdict IN ('contradiction', 'differs')")
    counts["disputes"] = disputes.fetchone()[0]
    counts["slips"] = conn.execute("SELECT count(*) FROM disputes WHERE kind = 'slip'").fetchone()[0]
    counts["facts"] = sum(counts[k] for k in ("events", "actors", "places", "figures", "statements"))
    return counts


def longest_event_days(conn: sqlite3.Connection) -> str:
    """How many days the longest event spans: what bounds a timeline's scan of the date index."""
    row = conn.execute("SELECT max(julianday(date_end) - julianday(date_start)) FROM events").fetchone()
    return str(int(row[0] or 0))


def meta(conn: sqlite3.Connection) -> dict[str, Any]:
    """The index's metadata: fingerprint, version, counts (decoded)."""
    values = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    values["counts"] = json.loads(values.get("counts", "{}"))
    return values
