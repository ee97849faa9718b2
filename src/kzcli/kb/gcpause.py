"""Pause Python's cyclic garbage collector during bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, then restore it as it was.

    Loading and compiling a large knowledge base creates millions of acyclic
    objects that stay alive until the build ends. Each automatic collection
    re-traverses all of them: on a 70 MB file that made loading four times
    slower. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
