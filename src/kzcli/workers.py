"""Forked helper processes that end with kz: on Ctrl-C, on SIGTERM and when kz itself dies.

Every process kz starts goes through `forked`, so the rules live in one place:
the child takes the default action for SIGINT and SIGTERM (a signal to the
process group simply ends it; the main process reports), asks Linux to kill it
when its parent dies, and never prints a traceback. The parent never waits on a
child without a bound: `receive` checks that the child still lives, and `ended`
kills it and waits a few seconds at most.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# How often a wait checks that the child is still alive.
WAIT_STEP_S = 0.2
# How long `ended` waits for a killed child to be reaped; SIGKILL makes this instant in practice.
REAP_S = 5.0
# A child that is alive but sends nothing for this long is stuck (a lock held across the fork,
# a stall under a memory limit): the caller gives up on it and does the work itself.
SILENT_S = 45.0

_PR_SET_PDEATHSIG = 1
# The signals that end kz and its workers.
_ENDING = {signal.SIGINT, signal.SIGTERM}


class ChildGone(Exception):
    """The child died or sent nothing more: the caller does its share itself."""


def can_fork() -> bool:
    """Whether a second process can help: Linux (fork shares memory) and more than one core."""
    import sys

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return sys.platform.startswith("linux") and cores >= 2


@contextmanager
def forked(work: Callable[..., None], *args: Any) -> Iterator[tuple[Any, Any]]:
    """Run `work(*args, send)` in a forked child; yield (child, reader), then end the child.

    `send` puts one picklable message on the pipe. The child is killed and reaped
    on every way out of the block, Ctrl-C and SIGTERM included.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(work, args, writer, os.getpid()), daemon=True)
    # Held until the child has its own handlers: a Ctrl-C during the fork's own start-up code
    # would otherwise print a traceback from the child. The parent gets it right after.
    signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING)
    try:
        child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING)
    writer.close()
    try:
        yield child, reader
    finally:
        ended(child)
        reader.close()


def receive(child: Any, reader: Any) -> Any:
    """The child's next message, waiting only while the child lives and not past SILENT_S;
    ChildGone if it cannot come."""
    import time

    give_up = time.monotonic() + SILENT_S
    while not reader.poll(WAIT_STEP_S):
        if (not child.is_alive() or time.monotonic() > give_up) and not reader.poll(0):
            raise ChildGone
    try:
        return reader.recv()
    except (EOFError, OSError):
        raise ChildGone from None


def ended(child: Any) -> None:
    """Kill the child and reap it, waiting a few seconds at most."""
    if child.is_alive():
        child.kill()
    child.join(REAP_S)


def _child_main(work: Callable[..., None], args: tuple[Any, ...], writer: Any, parent: int) -> None:
    """In the child: set up to end with kz, run the work, and exit without a traceback."""
    become_worker(parent)
    try:
        work(*args, writer.send)
    except BaseException:  # the parent sees the pipe close and does the work itself
        os._exit(1)


def become_worker(parent: int) -> None:
    """Default signal actions, and death with the parent (the parent may already be gone)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING)  # blocked by `forked` around the fork
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies, by any signal.

    Without it, a worker whose parent was killed stays blocked on a pipe write for ever.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass
