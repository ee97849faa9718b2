"""Where the output goes: the terminal facts, read once by the CLI and passed down.

Nothing below the CLI asks the operating system whether stdout is a terminal or how wide
it is: it is handed an Environment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Environment:
    """Is stdout a terminal, is stderr one, how wide and tall, may kz use colour, and which pager."""

    stdout_is_tty: bool
    stderr_is_tty: bool
    width: int
    color: bool
    height: int = 24
    pager: str | None = None
