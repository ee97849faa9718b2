"""Draw a View in one format. The only module that imports rich.

Machine formats (tsv, csv, json, jsonl) use the standard library only, so
piped output never carries box drawing, wrapping or colour. Text from the
knowledge base is always data: never markup, never raw control characters
at a terminal.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from kzcli.show.views import MARK_CLOSE, MARK_OPEN, Format, Table, View
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


def render(
    view: View, fmt: Format, out: TextIO, *, color: bool, terminal: bool = False, width: int | None = None
) -> None:
    """Write `view` to `out` in `fmt`; `terminal` and `width` (from the CLI's Environment) describe `out`."""
    if fmt is Format.json:
        out.write(to_json(view.data) + "\n")
    elif fmt is Format.jsonl:
        items = view.data if isinstance(view.data, list) else [view.data]
        out.writelines(to_json(item, indent=None) + "\n" for item in items)
    elif fmt is Format.table and view.text is not None:
        # A chart is one line per row: a control character in a title must not break it.
        out.writelines(inert(line) + "\n" for line in view.text)
    elif fmt is Format.table:
        drawn = io.StringIO()
        _draw_tables(view, drawn, color=color and terminal, width=width)
        out.write(_TRAILING_BLANKS.sub(r"\1", drawn.getvalue()))
    else:
        if fmt in (Format.tsv, Format.csv):
            write_rows(view.flat, fmt, out, safe=terminal)
        else:
            _write_markdown(view, out, terminal)


@contextlib.contextmanager
def build_progress(stream: TextIO, delay: float = 1.0) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback for index builds: silent for `delay` seconds, then a rich bar on `stream`.

    Most builds finish well within the delay, so they never import rich at all. The bar
    is redrawn from the build's own calls, at most ten times a second, rather than by
    rich's refresh thread: under a tight memory limit a thread's stack cannot be had.
    """
    started = time.monotonic()
    shown: list[Any] = []
    drawn = [0.0]

    def update(stage: str, done: int, total: int) -> None:
        if not shown:
            if time.monotonic() - started < delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(
                TextColumn("{task.description}", markup=False),  # a stage may name a layer's file
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(file=stream),
                transient=True,
                auto_refresh=False,
            )
            bar.start()
            shown.extend((bar, bar.add_task("building the index")))
        bar, task = shown
        bar.update(task, description=inert(f"kz: {stage}"), completed=done, total=max(total, 1))
        if time.monotonic() - drawn[0] >= 0.1:
            bar.refresh()
            drawn[0] = time.monotonic()

    try:
        yield update
    finally:
        if shown:
            shown[0].stop()


def _visible(value: str, safe: bool, keep: str = "") -> str:
    return inert(value, keep) if safe else value


def write_rows(table: Table, fmt: Format, out: TextIO, *, safe: bool, header: bool = True) -> None:
    """A flat table as TSV or CSV (the header too, unless a stream has written it already)."""
    rows = [table.columns, *table.rows] if header else table.rows
    if fmt is Format.tsv:
        out.writelines("\t".join(_visible(tsv_field(cell), safe) for cell in row) + "\n" for row in rows)
        return
    # RFC 4180's CRLF terminator also makes the writer quote any field holding a bare CR.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([_visible(cell, safe, keep="\n") for cell in row] for row in rows)


def _md_cell(value: str, safe: bool) -> str:
    value = value.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")
    return _visible(value, safe).replace(MARK_OPEN, "**").replace(MARK_CLOSE, "**")


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


# The gap rich puts between columns (padding, rule, padding), and the narrowest a prose column gets.
COLUMN_GAP, PROSE_MIN = 3, 10


def _longest(cell: str, split: bool) -> int:
    """The longest line of a cell, or (split) its longest word: what no wrapping can make narrower."""
    parts = cell.split() if split else cell.splitlines()
    return max((len(part) for part in parts), default=0)


def _typical(lengths: list[int]) -> int:
    """The width that fits nine cells in ten on one line: a few long cells wrap rather than widen it."""
    ordered = sorted(lengths)
    return ordered[(len(ordered) * 9) // 10] if ordered else 0


def _share(spare: int, wants: dict[str, int]) -> dict[str, int]:
    """Split `spare` width in proportion to what each column still wants, none getting more than that."""
    given = dict.fromkeys(wants, 0)
    open_ = {c for c in wants if wants[c] > 0}
    while open_ and spare > 0:
        total = sum(wants[c] for c in open_)
        satisfied = {c for c in open_ if wants[c] * spare // total >= wants[c]}
        if not satisfied:
            for c in open_:
                given[c] = wants[c] * spare // total
            break
        for c in satisfied:
            given[c], spare = wants[c], spare - wants[c]
        open_ -= satisfied
    return given


def fit_columns(table: Table, width: int) -> tuple[dict[str, int], list[str]]:
    """Each column's width at `width`, and the expendable columns left out so that ids and numbers stay whole.

    An unbroken column (an id, a number, a date) gets its longest cell; a prose column at
    least its longest word (or PROSE_MIN), then a share of what is left, wrapped at spaces.
    """
    cells = {c: [row[i] for row in table.rows] for i, c in enumerate(table.columns)}
    # A column with nothing in it says nothing: it goes first, without a note.
    empty = [c for c, values in cells.items() if table.rows and not any(v.strip() for v in values)]
    least, natural = {}, {}
    for column, values in cells.items():
        longest_line = max([len(column)] + [_longest(v, False) for v in values])
        if column in table.unbroken:
            least[column] = natural[column] = longest_line
            continue
        word = max([len(column), PROSE_MIN] + [_longest(v, True) for v in values])
        least[column] = min(longest_line, word)
        natural[column] = max(least[column], _typical([_longest(v, False) for v in values]))
    shown, dropped = [c for c in table.columns if c not in empty], []
    for column in sorted(table.expendable, key=lambda c: -table.expendable[c]):
        if sum(least[c] for c in shown) + COLUMN_GAP * (len(shown) - 1) <= width:
            break
        if column in shown:
            shown.remove(column)
            dropped.append(column)
    spare = width - sum(least[c] for c in shown) - COLUMN_GAP * (len(shown) - 1)
    if spare < 0:  # prose wraps harder (its longest words fold) before an id or a ¶ is cut
        _squeeze(least, [c for c in shown if c not in table.unbroken], -spare)
        spare = width - sum(least[c] for c in shown) - COLUMN_GAP * (len(shown) - 1)
    extra = _share(spare, {c: natural[c] - least[c] for c in shown})
    return {c: least[c] + extra[c] for c in shown}, [c for c in table.columns if c in dropped]


def _squeeze(least: dict[str, int], prose: list[str], short: int) -> None:
    """Take `short` columns of width from the widest prose columns, none below PROSE_MIN."""
    while short > 0:
        widest = max(prose, key=lambda c: least[c], default=None)
        if widest is None or least[widest] <= PROSE_MIN:
            return
        least[widest] -= 1
        short -= 1


_MARKED = re.compile(f"{MARK_OPEN}(.*?){MARK_CLOSE}")
_MATCH_STYLE = "bold red"
# rich pads every cell to its column's width: the blanks at a line's end (before any style reset) go.
_TRAILING_BLANKS = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def _draw_tables(view: View, out: TextIO, *, color: bool, width: int | None) -> None:
    # rich costs ~40 ms to import: only terminal tables pay for it.
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
    )

    def text(value: str, style: str = "") -> Text:
        drawn = Text(style=style if color else "")
        for i, part in enumerate(_MARKED.split(value)):
            # Odd parts are the words a search matched: highlighted as grep does, when colour is on.
            drawn.append(inert(part, keep="\n"), style=_MATCH_STYLE if i % 2 and color else "")
        return drawn

    for table in view.tables:
        if table.title:
            console.print(text(table.title, "bold"))
        if console.width < NARROW_COLUMNS:
            _draw_records(console, table, text)
        else:
            _draw_grid(console, table, text, color)
    if view.legend:
        console.print(text("Sources", "bold"))
        # A grid, so that a title wrapped at a narrow terminal stays indented under itself.
        keys = RichTable.grid(padding=(0, 2), pad_edge=True)
        keys.add_column(no_wrap=True)
        keys.add_column(overflow="fold")
        for key, title in view.legend:
            keys.add_row(text(key, "cyan"), text(title))
        console.print(keys)
    for note in view.notes:
        console.print(text(note, "italic"))


def _draw_grid(console: Any, table: Table, text: Callable[..., Any], color: bool) -> None:
    """One table at the console's width: ids and numbers whole, prose wrapped, the expendable left out."""
    from rich import box
    from rich.table import Table as RichTable

    widths, dropped = fit_columns(table, console.width)
    kept = [i for i, column in enumerate(table.columns) if column in widths]
    grid = RichTable(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold" if color else ""
    )
    for i in kept:
        column = table.columns[i]
        grid.add_column(text(column), width=widths[column], no_wrap=column in table.unbroken, overflow="fold")
    for row in table.rows:
        grid.add_row(*(text(row[i]) for i in kept))
    console.print(grid if table.rows else text("(none)", "dim"))
    if dropped:
        left_out = ", ".join(dropped)
        console.print(
            text(f"Left out at this width: {left_out} (a wider terminal or -f json shows them).", "dim")
        )
    console.print()
