"""Long answers at a terminal go through a pager, the way git does it.

The pager is KZ_PAGER, else PAGER, else `less`; LESS defaults to FRX (quit if one
screen, keep colour, leave the text on screen) and LV to -c. An empty value or
`cat` means no pager, as does --no-pager. Only a terminal table taller than the
screen is paged; pipes, files and machine formats never are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Callable

DEFAULT_PAGER = "less"
# The shell's own codes for a command it found but could not run (126) or did not find (127).
_COULD_NOT_START = (126, 127)


def pager_command(no_pager: bool) -> str | None:
    """The pager the user chose (KZ_PAGER, PAGER, else less), or None for none."""
    if no_pager:
        return None
    chosen = os.environ.get("KZ_PAGER", os.environ.get("PAGER", DEFAULT_PAGER)).strip()
    if chosen in ("", "cat"):
        return None
    import shlex  # only at a terminal, where a pager may run

    try:
        program = shlex.split(chosen)[0]
    except (ValueError, IndexError):
        return None
    return chosen if shutil.which(program) else None


def show(text: str, pager: str | None, height: int, warn: Callable[[str], None]) -> None:
    """Write `text` to stdout, through `pager` when taller than the screen; `warn` if it cannot start."""
    if pager is None or text.count("\n") < height:
        sys.stdout.write(text)
        return
    import subprocess  # only a long table at a terminal starts a pager

    sys.stdout.flush()
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX"), "LV": os.environ.get("LV", "-c")}
    # The user's own pager setting, run by their shell as git runs it.
    process = subprocess.Popen(pager, shell=True, stdin=subprocess.PIPE, env=env)
    # Ctrl-C belongs to the pager (less uses it to stop a search), not to kz.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # the reader quit before the end: nothing lost
            process.stdin.write(text.encode(sys.stdout.encoding or "utf-8", errors="backslashreplace"))
            process.stdin.close()
        process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if process.returncode in _COULD_NOT_START:  # as git does: the answer is never lost with the pager
        warn(f"pager {pager!r} could not start; printing directly")
        sys.stdout.write(text)
