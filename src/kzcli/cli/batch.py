"""Many lookups in one call: `kz actor A B C`, or `-` to read one name a line from stdin.

One process answers a whole spreadsheet column, so Typer's start-up is paid once. Each
answer comes in the chosen format: JSON Lines and TSV/CSV stream one record at a time,
JSON is one list, and a terminal table is one table. A name that matches nothing is
reported on stderr and does not stop the others; the exit code then says some failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import typer

from kzcli.ask.lookups import MAX_ASKED
from kzcli.cli.app import _say, _state, _writing_stdout, emit, pick_format
from kzcli.errors import BadUsage, NoMatch
from kzcli.show import views
from kzcli.show.render import to_json, write_rows
from kzcli.show.views import Format, View
from kzcli.textnorm import inert

Record = dict[str, Any]
STDIN = "-"


# A line of stdin is read this far at most: past it, it is surely longer than any name kz looks at.
_LINE_BYTES = 4 * (MAX_ASKED + 1)  # a character is at most four bytes of UTF-8
_CHUNK = 1 << 16


def names_given(args: list[str]) -> Iterator[str]:
    """The names on the command line, with `-` read from stdin one name a line (blank lines skipped)."""
    for arg in args:
        if arg == STDIN:
            yield from _stdin_names()
        else:
            yield arg


def _stdin_names() -> Iterator[str]:
    """One name a line, read as UTF-8 whatever the locale (a byte that is not UTF-8 is kept, to be shown).

    A line too long to be a name is cut where it surely is, and the rest skipped unread:
    the lookup then reports the miss without kz ever holding the whole line.
    """
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream put in place of stdin (in-process)
        yield from (name for name in (line.strip() for line in sys.stdin) if name)
        return
    while line := stream.readline(_LINE_BYTES):
        text = line.decode("utf-8", "surrogateescape")
        if len(line) == _LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield text  # at least MAX_ASKED + 1 characters, kept whole so that it stays too long
        elif text.strip():
            yield text.strip()


def is_batch(args: list[str]) -> bool:
    """More than one name, or names from stdin: answer as a batch rather than one profile."""
    return len(args) > 1 or STDIN in args


class Answers:
    """Look each name up, say on stderr which matched nothing, and count them."""

    def __init__(self, noun: str, lookup: Callable[[str], Record], single: bool = False) -> None:
        self.noun, self.lookup, self.single = noun, lookup, single
        self.asked = self.failed = 0

    def each(self, names: Iterator[str]) -> Iterator[Record]:
        for name in names:
            self.asked += 1
            try:
                yield self.lookup(name)
            except NoMatch as exc:
                if self.single:  # one name asked: its own error is the whole answer
                    raise
                self.failed += 1
                _say(f"kz: {exc.message}")
                sys.stderr.flush()

    def check(self) -> None:
        """After the answers: exit 1 if any name matched nothing."""
        if self.failed:
            raise NoMatch(f"{self.failed} of {self.asked} {self.noun} matched nothing (listed above)")


def _chosen(record: Record, fields: list[str] | None) -> Record:
    if not fields:
        return record
    unknown = [f for f in fields if f not in record]
    if unknown:
        raise BadUsage(f"--fields: unknown field {unknown[0]!r}; available: {', '.join(record)}")
    return {f: record[f] for f in fields}


def _rows(record: Record, fields: list[str] | None, table: Callable[[list[Record]], View]) -> views.Table:
    """One answer as flat rows: the chosen fields of its record, else its line of the listing's table."""
    if fields:
        chosen = _chosen(record, fields)
        return views.Table(list(chosen), [[views.cell_text(v) for v in chosen.values()]])
    return table([record]).flat


def _stream_rows(
    records: Iterator[Record],
    fmt: Format,
    fields: list[str] | None,
    table: Callable[[list[Record]], View],
    terminal: bool,
) -> None:
    """TSV or CSV: a header, then each answer's line as soon as it is found (render.write_rows)."""
    for i, record in enumerate(records):
        write_rows(_rows(record, fields, table), fmt, sys.stdout, safe=terminal, header=i == 0)
        sys.stdout.flush()


def emit_batch(
    ctx: typer.Context,
    answers: Iterator[Record],
    table: Callable[[list[Record]], View],
    fmt: Format | None,
    fields: str | None,
) -> None:
    """Every answer: JSON Lines, TSV and CSV stream; JSON is one list; a table or Markdown is one table.

    JSON gives each answer's whole record (as kz actor NAME -f json does); TSV, CSV and tables
    give its line of the listing (kz actors). --fields picks fields of the record in every format.
    """
    env = _state(ctx).env
    wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    chosen = pick_format(fmt, env)
    with _writing_stdout():
        if chosen is Format.jsonl:
            for record in answers:
                sys.stdout.write(to_json(_chosen(record, wanted), indent=None) + "\n")
                sys.stdout.flush()
            return
        if chosen in (Format.tsv, Format.csv):
            _stream_rows(answers, chosen, wanted, table, env.stdout_is_tty)
            return
        if chosen is Format.json:
            sys.stdout.write(to_json([_chosen(r, wanted) for r in answers]) + "\n")
            return
    found = list(answers)
    if wanted:
        rows = [_rows(record, wanted, table) for record in found]
        flat = views.Table(wanted, [row for r in rows for row in r.rows])
        emit(ctx, View([_chosen(r, wanted) for r in found], [flat], flat), chosen)
    else:
        emit(ctx, table(found), chosen)


def answer_all(
    ctx: typer.Context,
    noun: str,
    names: list[str],
    lookup: Callable[[str], Record],
    table: Callable[[list[Record]], View],
    fmt: Format | None,
    fields: str | None,
) -> None:
    """Look up every name given (or read from stdin), write the answers, then exit 1 if any missed."""
    answers = Answers(noun, lookup)
    emit_batch(ctx, answers.each(names_given(names)), table, fmt, fields)
    answers.check()


def emit_texts(texts: Iterator[str], joiner: str = "\n") -> None:
    """Citations one after another, each written as soon as it is ready."""
    with _writing_stdout():
        for i, text in enumerate(texts):
            sys.stdout.write((joiner if i else "") + inert(text, keep="\n") + "\n")
            sys.stdout.flush()
