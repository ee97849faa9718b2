"""Draw a View in one format. The only module that imports rich.

Machine formats (tsv, csv, json, jsonl) use the standard library only, so
piped output never carries box drawing, wrapping or colour. Text from the
knowledge base is always data: never markup, never raw control characters
at a terminal.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from kzcli.show.views import Format, Table, View
from kzcli.textnorm import inert

# C1 controls, format characters (bidi overrides, zero-width) and line separators:
# legal inside JSON strings, but escaped so no terminal or editor acts on them.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0001-\U000e007f]"
)
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def tsv_field(value: str) -> str:
    """Escape one TSV field: backslash, tab, newline and carriage return."""
    return value.translate(_TSV_ESCAPES)


def to_json(data: object, indent: int | None = 2) -> str:
    """Stable JSON: UTF-8 text kept, invisible and control characters escaped."""
    text = json.dumps(data, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
    return _JSON_UNSAFE.sub(
        lambda m: (
            f"\\u{ord(m.group()):04x}"
            if ord(m.group()) < 0x10000
            else "".join(f"\\u{u:04x}" for u in _surrogates(ord(m.group())))
        ),
        text,
    )


def _surrogates(code: int) -> tuple[int, int]:
    code -= 0x10000
    return 0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)


def render(view: View, fmt: Format, out: TextIO, *, color: bool, terminal: bool = False) -> None:
    """Write `view` to `out` in `fmt`; `terminal` (from the CLI's Environment) says `out` is a terminal."""
    if fmt is Format.json:
        out.write(to_json(view.data) + "\n")
    elif fmt is Format.jsonl:
        items = view.data if isinstance(view.data, list) else [view.data]
        out.writelines(to_json(item, indent=None) + "\n" for item in items)
    elif fmt is Format.table and view.text is not None:
        # A chart is one line per row: a control character in a title must not break it.
        out.writelines(inert(line) + "\n" for line in view.text)
    elif fmt is Format.table:
        _draw_tables(view, out, color=color)
    else:
        safe = terminal
        if fmt is Format.tsv:
            _write_tsv(view.flat, out, safe)
        elif fmt is Format.csv:
            _write_csv(view.flat, out, safe)
        else:
            _write_markdown(view, out, safe)


@contextlib.contextmanager
def build_progress(stream: TextIO, delay: float = 1.0) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback for index builds: silent for `delay` seconds, then a rich bar on `stream`.

    Most builds finish well within the delay, so they never import rich at all.
    """
    started = time.monotonic()
    shown: list[Any] = []

    def update(stage: str, done: int, total: int) -> None:
        if not shown:
            if time.monotonic() - started < delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(file=stream),
                transient=True,
            )
            bar.start()
            shown.extend((bar, bar.add_task("building the index")))
        bar, task = shown
        bar.update(task, description=f"kz: {stage}", completed=done, total=max(total, 1))

    try:
        yield update
    finally:
        if shown:
            shown[0].stop()


def _visible(value: str, safe: bool, keep: str = "") -> str:
    return inert(value, keep) if safe else value


def _write_tsv(table: Table, out: TextIO, safe: bool) -> None:
    for row in [table.columns, *table.rows]:
        out.write("\t".join(_visible(tsv_field(cell), safe) for cell in row) + "\n")


def _write_csv(table: Table, out: TextIO, safe: bool) -> None:
    # RFC 4180's CRLF terminator also makes the writer quote any field holding a bare CR.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_visible(cell, safe, keep="\n") for cell in row] for row in table.rows)


def _md_cell(value: str, safe: bool) -> str:
    value = value.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")
    return _visible(value, safe)


def _write_markdown(view: View, out: TextIO, safe: bool) -> None:
    blocks = []
    for table in view.tables:
        lines = [f"### {_md_cell(table.title, safe)}", ""] if table.title else []
        lines.append("| " + " | ".join(_md_cell(c, safe) for c in table.columns) + " |")
        lines.append("|" + "---|" * len(table.columns))
        lines += ["| " + " | ".join(_md_cell(c, safe) for c in row) + " |" for row in table.rows]
        blocks.append("\n".join(lines))
    if view.legend:
        blocks.append(
            "Sources:\n\n"
            + "\n".join(f"- **{_md_cell(k, safe)}**: {_md_cell(t, safe)}" for k, t in view.legend)
        )
    blocks += [_md_cell(note, safe) for note in view.notes]
    out.write("\n\n".join(blocks) + "\n")


# Below this width a grid squeezes cells to a letter or two; one block per record reads better.
NARROW_COLUMNS = 60


def _draw_records(console: Any, table: Table, text: Callable[..., Any]) -> None:
    """A narrow terminal: each row as 'Column: value' lines, rows separated by a blank line."""
    if table.columns == ["Field", "Value"]:
        for field, value in table.rows:
            console.print(text(f"{field}: ", "bold") + text(value))
        console.print()
        return
    for row in table.rows:
        for column, cell in zip(table.columns, row, strict=True):
            if cell:
                console.print(text(f"{column}: ", "bold") + text(cell))
        console.print()
    if not table.rows:
        console.print(text("(none)", "dim"))
        console.print()


def _draw_tables(view: View, out: TextIO, *, color: bool) -> None:
    # rich costs ~40 ms to import: only terminal tables pay for it.
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    console = Console(
        file=out, color_system="auto" if color else None, highlight=False, emoji=False, markup=False
    )

    def text(value: str, style: str = "") -> Text:
        return Text(inert(value, keep="\n"), style=style if color else "")

    for table in view.tables:
        if table.title:
            console.print(text(table.title, "bold"))
        if console.width < NARROW_COLUMNS:
            _draw_records(console, table, text)
            continue
        grid = RichTable(
            box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold" if color else ""
        )
        for i, column in enumerate(table.columns):
            # An id or a number is a name to copy: never broken mid-word.
            kept_whole = column in table.unbroken
            whole = max((len(row[i]) for row in table.rows), default=0) if kept_whole else None
            grid.add_column(text(column), overflow="fold", min_width=whole, no_wrap=kept_whole)
        for row in table.rows:
            grid.add_row(*(text(cell) for cell in row))
        if table.rows:
            console.print(grid)
        else:
            console.print(text("(none)", "dim"))
        console.print()
    if view.legend:
        console.print(text("Sources", "bold"))
        width = max(len(key) for key, _ in view.legend)
        for key, title in view.legend:
            console.print(Text.assemble(text(f"  {key:<{width}}", "cyan"), text(f"  {title}")))
    for note in view.notes:
        console.print(text(note, "italic"))
