"""Write a cache file so that readers see either the old file or the whole new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kzcli.cache import TEMP_PREFIX


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
