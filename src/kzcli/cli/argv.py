"""The command line before click reads it: a bare --fields, and global options after the command.

Pure functions of the argument list and the sets of global options (read by app.py
from the root callback's signature), so that click sees what it can parse.
"""

from __future__ import annotations


def command_index(argv: list[str], with_values: set[str]) -> int | None:
    """Where the subcommand stands on the command line, skipping global options and their values."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return i + 1 if i + 1 < len(argv) else None
        if arg in with_values:
            i += 2
            continue
        if not arg.startswith("-"):
            return i
        i += 1
    return None


def invoked_command(argv: list[str], with_values: set[str]) -> str | None:
    """The subcommand named on the command line, skipping global options and their values."""
    at = command_index(argv, with_values)
    return None if at is None else argv[at]


def bare_fields(argv: list[str]) -> list[str]:
    """`--fields` given no value (last, or before another option) becomes `--fields=`: list the names.

    Click options cannot take an optional value, and a field name never starts with "-".
    """
    result: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return result + argv[i:]
        following = argv[i + 1] if i + 1 < len(argv) else None
        bare = arg == "--fields" and (following is None or following.startswith("-"))
        result.append("--fields=" if bare else arg)
    return result


def globals_first(argv: list[str], with_values: set[str], flags: set[str]) -> list[str]:
    """Global options given after the command (`kz timeline --no-color`) moved before it, as git allows."""
    at = command_index(argv, with_values)
    if at is None:
        return argv
    before, after = argv[: at + 1], argv[at + 1 :]
    moved: list[str] = []
    kept: list[str] = []
    rest = iter(enumerate(after))
    for i, arg in rest:
        if arg == "--":
            kept += after[i:]
            break
        name = arg.split("=", 1)[0]
        if arg in flags or (name in with_values and "=" in arg):
            moved.append(arg)
        elif arg in with_values and i + 1 < len(after):
            moved += [arg, after[i + 1]]
            next(rest, None)
        else:
            kept.append(arg)
    return before[:at] + moved + before[at:] + kept
