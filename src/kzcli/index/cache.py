"""The cache folder: where it is, whether it can be trusted, and what in it is kz's.

kz reads and deletes only files whose names it chose: `kz-index-*.sqlite`,
`kz-stamp-*.json` and `.kz-tmp-PID-*.tmp` temporaries. A cache file is used
only if the current user owns it and neither it nor its folder is writable by
group or others; anything else is ignored with a warning and rebuilt in a
private place, or in memory.

A shared folder (writable by others, like a 1777 `/tmp`) is never used
directly: kz makes a private 0700 subfolder `kz-UID` inside it, and uses it
only if it is a real folder that the user owns and nobody else can write.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kzcli.atomic import TEMP_PREFIX, abandoned_temp, owned_by_user
from kzcli.errors import OutputError

INDEX_PREFIX = "kz-index-"
STAMP_PREFIX = "kz-stamp-"
# Indexes unused this long are pruned; a use refreshes the mtime at most once a day.
UNUSED_DAYS = 30
TOUCH_AFTER_S = 24 * 3600
# A temporary whose writer cannot be seen (another pid namespace) is removed after this long.

# Names kz 0.1 gave its files before the prefix: matched exactly, so they are pruned too.
_LEGACY = re.compile(r"kb-[0-9a-f]{12}-[0-9a-f]{24}-[0-9a-f]{8}\.sqlite|stamp-[0-9a-f]{12}\.json")

WarnFn = Callable[[str], None]


def no_warning(_message: str) -> None:
    """The default: say nothing."""


def cache_root() -> Path:
    """KZ_CACHE_DIR, else the platform's per-user cache folder (a relative XDG_CACHE_HOME is ignored)."""
    override = os.environ.get("KZ_CACHE_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "kz" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "kz"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec: "If an implementation encounters a relative path ... it should consider the path invalid."
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "kz"


def _uid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def untrusted_because(info: os.stat_result) -> str | None:
    """Why a cache file or folder with this status must not be trusted, or None if it may be."""
    uid = _uid()
    if uid is None:  # no owners to compare (Windows): the per-user profile folder is private already
        return None
    if info.st_uid != uid:
        return f"owned by uid {info.st_uid}, not by you (uid {uid})"
    if info.st_mode & 0o022:
        return f"writable by group or others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _make_private(folder: Path) -> None:
    """Create `folder` and any missing parents as 0700, whatever the umask."""
    missing = []
    for parent in [folder, *folder.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        with contextlib.suppress(FileExistsError):
            parent.mkdir(mode=0o700)


def private_folder(warn: WarnFn = no_warning) -> Path | None:
    """The folder kz may read and write its cache in, or None (build in memory) if there is none.

    A folder that cannot be created or read is returned as is: writing to it fails and
    the caller falls back to memory, as before.
    """
    root = cache_root()
    try:
        _make_private(root)
        info = root.stat()
    except OSError:
        return root
    if not stat.S_ISDIR(info.st_mode):
        return root
    reason = untrusted_because(info)
    if reason is None:
        return root
    shared = info.st_mode & 0o002 and info.st_mode & stat.S_ISVTX and info.st_uid in (0, _uid())
    if not shared:
        warn(f"ignoring cache folder {root}: {reason}; using an in-memory index")
        return None
    own = root / f"kz-{_uid()}"
    try:
        with contextlib.suppress(FileExistsError):
            own.mkdir(mode=0o700)
        info = own.lstat()
    except OSError as exc:
        warn(f"cannot use cache folder {own}: {exc.strerror}; using an in-memory index")
        return None
    return own if _trusted(own, info, stat.S_ISDIR, "folder", "using an in-memory index", warn) else None


def trusted_file(path: Path, warn: WarnFn = no_warning) -> bool:
    """Whether `path` is a cache file kz may read: a regular file the user owns, private to them.

    A missing file is simply not there; an untrusted one is reported through `warn`.
    """
    try:
        info = path.lstat()
    except OSError:
        return False
    return _trusted(path, info, stat.S_ISREG, "file", "rebuilding", warn)


def _trusted(
    path: Path, info: os.stat_result, kind_ok: Callable[[int], bool], noun: str, then: str, warn: WarnFn
) -> bool:
    """Whether a cache folder or file may be used; if not, one warning says why and what kz does instead."""
    reason = (
        untrusted_because(info)
        if kind_ok(info.st_mode)
        else f"not a {'regular file' if noun == 'file' else noun}"
    )
    if reason is not None:
        warn(f"ignoring cache {noun} {path}: {reason}; {then}")
    return reason is None


def touch(path: Path) -> None:
    """Mark an index as used (its mtime), at most once a day, so pruning keeps what is in use."""
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > TOUCH_AFTER_S:
            os.utime(path)


def kz_files(folder: Path) -> Iterator[Path]:
    """kz's own files in `folder`, by name: indexes, stamps and temporaries. Nothing else."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        if (
            (name.startswith(INDEX_PREFIX) and name.endswith(".sqlite"))
            or (name.startswith(STAMP_PREFIX) and name.endswith(".json"))
            or (name.startswith(TEMP_PREFIX) and name.endswith(".tmp"))
            or _LEGACY.fullmatch(name)
        ):
            yield folder / name


def index_folders(path: Path) -> list[str] | None:
    """The KB folders an index was built from (absolute paths), or None if unreadable."""
    try:
        conn = sqlite3.connect(f"file:{quote(path.as_posix())}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'folders'").fetchone()
        folders = json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()
    return [str(f) for f in folders] if isinstance(folders, list) else None


def _unused(path: Path, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime > UNUSED_DAYS * 86400
    except OSError:
        return False


def _stale_index(path: Path, now: float) -> bool:
    if _unused(path, now):
        return True
    folders = index_folders(path)
    return folders is not None and not all(os.path.isdir(folder) for folder in folders)


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True


def prune(folder: Path, keep: Path | None = None) -> list[Path]:
    """Remove abandoned temporaries, indexes of vanished or long-unused KBs, and orphaned stamps."""
    removed = []
    now = time.time()
    files = list(kz_files(folder))
    for path in files:
        name = path.name
        doomed = abandoned_temp(path) if name.startswith(TEMP_PREFIX) else False
        if name.startswith(INDEX_PREFIX) and path != keep and trusted_file(path):
            doomed = _stale_index(path, now)
        elif _LEGACY.fullmatch(name):  # an older kz may still use them: only when long unused
            doomed = _unused(path, now)
        if doomed and owned_by_user(path) and _remove(path):
            removed.append(path)
    keys = {p.name.removeprefix(INDEX_PREFIX).split("-", 1)[0] for p in kz_files(folder)}
    keys |= {keep.name.removeprefix(INDEX_PREFIX).split("-", 1)[0]} if keep else set()
    for path in files:
        key = path.name.removeprefix(STAMP_PREFIX).removesuffix(".json")
        if path.name.startswith(STAMP_PREFIX) and key not in keys and _remove(path):
            removed.append(path)
    return removed


def clear(folder: Path) -> list[Path]:
    """Remove every kz file of this user in the folder, except temporaries a live kz is writing."""
    live = [p for p in kz_files(folder) if p.name.startswith(TEMP_PREFIX) and not abandoned_temp(p)]
    wanted = [p for p in kz_files(folder) if p not in live and owned_by_user(p)]
    removed = [p for p in wanted if _remove(p)]
    stuck = [p for p in wanted if p not in removed]
    if stuck:  # saying nothing would leave a user trusting a cache that is still there
        raise OutputError(
            f"could not remove {len(stuck)} of kz's files from {folder} (first: {stuck[0].name})"
        )
    return removed


def describe(folder: Path | None) -> dict[str, Any]:
    """The cache for `kz cache`: folder, total size, and each index with its KB folders and last use."""
    entries: list[dict[str, Any]] = []
    if folder is not None:
        for path in kz_files(folder):
            with contextlib.suppress(OSError):
                info = path.lstat()
                kind = "index" if path.name.startswith(INDEX_PREFIX) else "stamp"
                kind = "temporary" if path.name.startswith(TEMP_PREFIX) else kind
                kind = "old" if _LEGACY.fullmatch(path.name) else kind
                used = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(info.st_mtime))
                folders = index_folders(path) if kind == "index" else None
                entries.append(
                    {"file": path.name, "kind": kind, "size": info.st_size, "used": used, "folders": folders}
                )
    total = sum(e["size"] for e in entries)
    return {"path": str(folder) if folder else None, "size": total, "entries": entries}
