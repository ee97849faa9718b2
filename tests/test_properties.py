"""Property tests (hypothesis): any text survives every renderer; any argument gets a clean exit."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import MINI_KB, cli_runner
from kzcli.cli import app
from kzcli.errors import ExitCode
from kzcli.show.render import render
from kzcli.show.views import Format, timeline

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


_runner = cli_runner()


def _exit_code(*args: str) -> int:
    result = _runner.invoke(app, ["--data-dir", str(MINI_KB), *args], catch_exceptions=False)
    return result.exit_code


def _as_python_reads(data: bytes) -> str:
    """Bytes as Python gives them in an argument: a byte that is not UTF-8 kept as a surrogate."""
    return data.decode("utf-8", "surrogateescape")


# Names at the limits: not UTF-8, and about the longest name kz looks at (1,000 characters).
_NOT_UTF8 = st.binary(max_size=12).map(_as_python_reads)
_LONG_NAMES = st.integers(990, 1010).map(lambda n: ("abcdefghij" * 101)[:n])
_names = st.text(max_size=200) | _NOT_UTF8 | _LONG_NAMES


@given(name=_names)
def test_any_actor_or_place_name_exits_cleanly(name: str) -> None:
    """Any string as a name (not UTF-8, too long) gives exit 0, 1 or 2 and never raises."""
    assert _exit_code("actor", name) in (0, 1, 2)
    assert _exit_code("place", name) in (0, 1, 2)


@given(text=_names)
def test_any_search_text_exits_cleanly(text: str) -> None:
    """Any search text, FTS5 syntax included, gives exit 0, 1 or 2 and never raises."""
    assert _exit_code("search", text, "-f", "json") in (0, 1, 2)


@given(value=st.text(max_size=40))
def test_any_from_date_exits_cleanly(value: str) -> None:
    """Any --from value gives exit 0, 1 or 2 and never raises."""
    assert _exit_code("timeline", "--from", value) in (0, 1, 2)


# --- Fuzzing: random KB files and random command lines --------------------------------------

_DOCUMENTED_EXITS = {int(code) for code in ExitCode}
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**40),
    st.integers(-(2**70), 2**70),  # past the 64 bits SQLite holds
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["2022-01-05", "no"]),
)
_yaml_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_record_keys = st.sampled_from(["id", "date", "title", "citations", "name", "aliases", "value", "source"])
_records = st.lists(st.dictionaries(_record_keys, _yaml_values, max_size=5), max_size=3)


def _assert_clean(result: object) -> None:
    """An answer, or a documented exit whose last stderr line is one `kz:` line (or click's usage error)."""
    code, stderr = result.exit_code, result.stderr  # type: ignore[attr-defined]
    assert code in _DOCUMENTED_EXITS, (code, stderr)
    assert "Traceback" not in stderr
    if code != 0:
        # In-process, click's own usage text can carry a typed newline; the console script's never does.
        lines = stderr.strip().split("\n")
        assert lines[-1].startswith("kz: ") or (code == ExitCode.USAGE and "Error: " in stderr), stderr


def _nested(levels: int, mapping: bool, json_line: bool) -> str:
    """A record nested `levels` deep, as one JSON line or as flow YAML."""
    opening, closing = ('{"k": ', "}") if mapping else ("[", "]")
    inner = opening * levels + "1" + closing * levels
    return f'- {{"id": "x", "v": {inner}}}\n' if json_line else f"- {{id: x, v: {inner}}}\n"


def _number_record(digits: str, json_line: bool) -> str:
    return f'- {{"id": "x", "value": {digits}}}\n' if json_line else f"- id: x\n  value: {digits}\n"


_DIGITS = st.sampled_from(["9" * 4301, "-" + "1" * 5000, "9223372036854775808", "1" + "0" * 400 + ".5"])
# The shapes of the value limits: deep nesting, huge numbers, long keys, in both ways of writing.
_LIMIT_TEXTS = st.one_of(
    st.builds(_nested, st.integers(95, 1200), st.booleans(), st.booleans()),
    st.builds(_number_record, _DIGITS, st.booleans()),
    st.integers(1018, 1030).map(lambda n: f'- {{"id": "x", "{"k" * n}": 1}}\n'),
)


@given(
    kind=st.sampled_from(["events", "actors", "places", "figures", "sources", "aliases"]),
    records=_records,
    raw=st.one_of(st.none(), st.text(max_size=80), _LIMIT_TEXTS, st.binary(max_size=80)),
    json_lines=st.booleans(),
)
def test_any_yaml_document_as_a_layer_file_exits_cleanly(
    kind: str, records: list[dict[str, object]], raw: str | bytes | None, json_lines: bool
) -> None:
    """Any document (YAML, JSON lines, any bytes) as a layer file: an answer or exit 3, never a traceback."""
    import yaml

    with tempfile.TemporaryDirectory() as work:
        layer = Path(work) / "layer"
        layer.mkdir()
        if raw is None and json_lines:
            raw = "".join(f"- {json.dumps(record, ensure_ascii=False)}\n" for record in records)
        elif raw is None:
            raw = yaml.safe_dump(records, allow_unicode=True)
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        (layer / f"{kind}.yaml").write_bytes(data)
        env = {"KZ_CACHE_DIR": str(Path(work) / "cache")}
        result = _runner.invoke(
            app,
            ["--data-dir", str(MINI_KB), "--with", str(layer), "timeline"],
            env=env,
            catch_exceptions=False,
        )
        _assert_clean(result)


_COMMANDS = [
    "timeline", "actor", "actors", "place", "places", "figures", "sources", "source", "search", "statements",
    "brief", "gaps", "schema", "cite", "disputes", "export", "validate", "cache",
]  # fmt: skip
_TOKENS = st.one_of(
    st.sampled_from(
        [
            "-f", "json", "tsv", "table", "--from", "--to", "2022-01-05", "--actor", "reyes", "--chart",
            "--by-source", "--fields", "id,date", "--min-sources", "2", "--strict", "--evidence", "deaths",
            "--attributed-to", "-n", "0", "--style", "bibtex", "--json-schema", "events", "-o", "-", "--type",
            "person", "--", "title:x", "--casualties", "--metric", "--clear",
        ]
    ),
    st.text(max_size=10),
    st.binary(max_size=8).map(_as_python_reads),
    _LONG_NAMES,
)  # fmt: skip


@given(command=st.sampled_from(_COMMANDS), args=st.lists(_TOKENS, max_size=5))
def test_any_command_line_exits_cleanly(command: str, args: list[str]) -> None:
    """Random arguments to every command give an answer or a documented exit, never a traceback."""
    if command == "cache" and "--clear" in args:
        args = [a for a in args if a != "--clear"]  # the shared test cache stays
    if command == "export":
        args = [a for a in args if a not in ("-o", "--output")]  # never write files from a fuzzer
    result = _runner.invoke(app, ["--data-dir", str(MINI_KB), command, *args], catch_exceptions=False)
    _assert_clean(result)


@given(lines=st.lists(st.binary(max_size=30) | _LONG_NAMES.map(str.encode), max_size=6))
def test_any_batch_input_is_answered_line_by_line(lines: list[bytes]) -> None:
    """`kz actor -`, any bytes a line: each line answered or reported, then exit 0 or 1, never a traceback."""
    stdin = b"\n".join(lines) + b"\n"
    asked = [line for line in stdin.split(b"\n") if line.decode("utf-8", "surrogateescape").strip()]
    result = _runner.invoke(
        app, ["--data-dir", str(MINI_KB), "actor", "-", "-f", "jsonl"], input=stdin, catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.stderr
    answered = result.stdout.splitlines()
    missed = result.stderr.splitlines()
    assert all(line.startswith("kz: ") for line in missed), missed
    if result.exit_code:
        assert (
            missed[-1] == f"kz: {len(missed) - 1} of {len(asked)} actor names matched nothing (listed above)"
        )
    assert len(answered) + max(len(missed) - 1, 0) == len(asked)
