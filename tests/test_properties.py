"""Property tests (hypothesis): any text survives every renderer; any argument gets a clean exit."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import MINI_KB
from kzcli.cli import app
from kzcli.render import render
from kzcli.views import Format, timeline

pytestmark = pytest.mark.hostile

_TSV_ESCAPE = re.compile(r"\\(.)")
_TSV_CODES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}


def _unescape_tsv(field: str) -> str:
    return _TSV_ESCAPE.sub(lambda m: _TSV_CODES[m.group(1)], field)


def _event(title: str, summary: str, tag: str, excerpt: str) -> dict[str, object]:
    return {
        "id": "e",
        "era": "unrest",
        "date": "2022-01-05",
        "date_qualifier": None,
        "date_claims": [],
        "disputes": [],
        "end_date": None,
        "time": None,
        "title": title,
        "summary": summary,
        "places": [],
        "actors": [],
        "tags": [tag],
        "disputed": False,
        "citations": [{"source": "s", "paragraph": 1, "excerpt": excerpt}],
    }


class _Pipe(io.StringIO):
    """An in-memory stdout that, like a pipe, is not a terminal."""

    def isatty(self) -> bool:
        return False


def _rendered(events: list[dict[str, object]], fmt: Format) -> str:
    out = _Pipe()
    render(timeline(events, {}, [], evidence=True), fmt, out, color=False)
    return out.getvalue()


texts = st.text(min_size=0, max_size=60)


@given(title=texts, summary=texts, tag=texts, excerpt=texts)
def test_every_format_parses_back_to_the_same_records(
    title: str, summary: str, tag: str, excerpt: str
) -> None:
    """JSON, JSONL, CSV and TSV (with its escaping) all give back exactly the text put in."""
    events = [_event(title, summary, tag, excerpt)]
    view = timeline(events, {}, [], evidence=True)
    assert json.loads(_rendered(events, Format.json)) == events
    assert [json.loads(line) for line in _rendered(events, Format.jsonl).splitlines()] == events
    rows = list(csv.reader(io.StringIO(_rendered(events, Format.csv), newline="")))
    assert rows == [view.flat.columns, *view.flat.rows]
    lines = _rendered(events, Format.tsv).split("\n")
    assert lines[-1] == ""
    assert [[_unescape_tsv(f) for f in line.split("\t")] for line in lines[:-1]] == [
        view.flat.columns,
        *view.flat.rows,
    ]


_runner = CliRunner()


def _exit_code(*args: str) -> int:
    result = _runner.invoke(app, ["--data-dir", str(MINI_KB), *args], catch_exceptions=False)
    return result.exit_code


@given(name=st.text(max_size=200))
def test_any_actor_or_place_name_exits_cleanly(name: str) -> None:
    """Any string as a name gives exit 0, 1 or 2 and never raises."""
    assert _exit_code("actor", name) in (0, 1, 2)
    assert _exit_code("place", name) in (0, 1, 2)


@given(text=st.text(max_size=200))
def test_any_search_text_exits_cleanly(text: str) -> None:
    """Any search text, FTS5 syntax included, gives exit 0, 1 or 2 and never raises."""
    assert _exit_code("search", text, "-f", "json") in (0, 1, 2)


@given(value=st.text(max_size=40))
def test_any_from_date_exits_cleanly(value: str) -> None:
    """Any --from value gives exit 0, 1 or 2 and never raises."""
    assert _exit_code("timeline", "--from", value) in (0, 1, 2)
