"""Whole-KB export. Never replaces an existing file unless asked to."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from kzcli import __version__, queries
from kzcli.errors import BadUsage
from kzcli.index import meta
from kzcli.render import to_json as dumps


def _kb_summary(conn: sqlite3.Connection) -> dict[str, object]:
    info = meta(conn)
    return {"version": __version__, "fingerprint": info["fingerprint"], "counts": info["counts"]}


def _claim_target(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise BadUsage(f"{output} already exists; choose a new file or pass --force to replace it")
    if output.is_dir():
        raise BadUsage(f"{output} is a folder; give a file name")


def to_json(conn: sqlite3.Connection, output: Path | None, *, force: bool) -> None:
    """The whole KB as one JSON object, to stdout or to a new file."""
    text = dumps(queries.export(conn, _kb_summary(conn))) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    _claim_target(output, force)
    from kzcli.atomic import replaced_atomically  # only writing a file needs tempfile

    with replaced_atomically(output) as temp:
        temp.write_text(text, encoding="utf-8")


def to_sqlite(conn: sqlite3.Connection, output: Path | None, *, force: bool) -> None:
    """A copy of the compiled index: opens in sqlite3, sqlite-utils and datasette."""
    if output is None:
        raise BadUsage("export --format sqlite needs --output FILE")
    _claim_target(output, force)
    from kzcli.atomic import replaced_atomically  # only writing a file needs tempfile

    with replaced_atomically(output) as temp:
        target = sqlite3.connect(temp)
        try:
            conn.backup(target)
        finally:
            target.close()
