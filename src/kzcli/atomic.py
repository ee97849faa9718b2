"""Write a cache file so that readers see either the old file or the whole new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# kz's temporaries: `.kz-tmp-PID-….tmp`, so clean-up touches only kz's own, and only a dead writer's.
TEMP_PREFIX = ".kz-tmp-"
# A temporary this old is abandoned even if its pid now belongs to another process.
ORPHAN_TEMP_S = 3600


@contextlib.contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it over `target`.

    The temporary is created 0600 and named `.kz-tmp-PID-….tmp`, so clean-up can tell
    it is kz's and whether its writer still runs. On any failure it is removed and
    `target` is untouched.
    """
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(name)
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _pid_of_temp(name: str) -> int | None:
    digits = name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
    return int(digits) if digits.isdigit() else None


def _writer_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def owned_by_user(path: Path) -> bool:
    """True when the current user owns `path` (always, where there are no uids)."""
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    try:
        return uid is None or path.lstat().st_uid == uid
    except OSError:
        return False


def abandoned_temp(path: Path) -> bool:
    """A kz temporary of this user whose writing process is gone (or that is over an hour old)."""
    if not path.name.startswith(TEMP_PREFIX) or not path.name.endswith(".tmp") or not owned_by_user(path):
        return False
    try:
        age = time.time() - path.lstat().st_mtime
    except OSError:
        return False
    return age > ORPHAN_TEMP_S or not _writer_alive(_pid_of_temp(path.name))


def kz_temps(folder: Path) -> Iterator[Path]:
    """kz's temporaries in `folder`, by name; nothing else."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    yield from (folder / n for n in names if n.startswith(TEMP_PREFIX) and n.endswith(".tmp"))
