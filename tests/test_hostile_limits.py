"""Every value limit is checked before the value is used: depth, integer size, name length, encoding.

Both readers of a knowledge-base file (json for one JSON object a line, kz's YAML otherwise) refuse
the same things in the same words; a name, query or filter value that is too long or not UTF-8
matches nothing, in a short message, before any work is done on it.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
from pathlib import Path

import pytest

from conftest import MINI, MINI_KB, kz_executable
from kzcli.errors import ExitCode
from kzcli.kb import yamlload
from kzcli.kb.yamlload import MAX_DEPTH, LoadError, load_json_lines, load_yaml

pytestmark = pytest.mark.hostile

# An event of the fixture KB, one JSON object a line; `extra` adds a field to it.
_EVENT = {
    "id": "layer-event",
    "date": "2022-01-05",
    "title": "A layer's event",
    "summary": "An event from a layer.",
    "citations": [{"source": "alpha", "paragraph": 1, "excerpt": "x"}],
}


def _layer(tmp_path: Path, text: str, name: str = "events.yaml") -> Path:
    layer = tmp_path / "layer"
    layer.mkdir(parents=True, exist_ok=True)
    (layer / name).write_text(text, encoding="utf-8")
    return layer


def _json_line(value: str) -> str:
    """The layer's event as one JSON line, with `value` (JSON text) as its field `extra`."""
    return "- " + json.dumps(_EVENT)[:-1] + f', "extra": {value}}}\n'


def _flow_yaml(value: str) -> str:
    """The same event as flow YAML that is not JSON (unquoted keys): only the YAML reader takes it."""
    return "- {id: layer-event, date: '2022-01-05', title: t, summary: s, extra: " + value + "}\n"


def _problem(kz: object, layer: Path) -> str:
    """The one problem kz reports for the layer (exit 3), without its file and line."""
    result = kz(*MINI, "--with", str(layer), "timeline")  # type: ignore[operator]
    assert result.code == ExitCode.INVALID_KB, (result.code, result.stderr[-400:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().split("\n")
    assert lines[-1].startswith("kz: knowledge base is invalid"), lines
    return lines[0].split(": ", 1)[1]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 1100, 5000])
def test_deep_json_lines_get_the_yaml_readers_nesting_message(kz, tmp_path: Path, depth: int) -> None:
    """A JSON-lines record nested too deep is refused in the words the YAML reader uses (exit 3)."""
    nested = "[" * depth + "]" * depth
    from_json = _problem(kz, _layer(tmp_path / "json", _json_line(nested)))
    from_yaml = _problem(kz, _layer(tmp_path / "yaml", _flow_yaml(nested)))
    assert from_json == from_yaml
    assert f"nesting is deeper than {MAX_DEPTH} levels" in from_json


def test_nesting_at_the_limit_is_read() -> None:
    """Exactly MAX_DEPTH levels (the top-level list is one) are read, by both readers alike."""
    inner = MAX_DEPTH - 2  # the list of records, then the record itself
    text = '- {"v": ' + "[" * inner + "]" * inner + "}\n"
    assert load_json_lines(text) == yamlload._load(text)
    with pytest.raises(LoadError, match="nesting is deeper"):
        load_yaml('- {"v": ' + "[" * (inner + 1) + "]" * (inner + 1) + "}\n")


def test_json_lines_too_deep_for_json_are_left_to_yaml_without_recursing() -> None:
    """Depth is counted before json parses: nesting far past Python's recursion limit raises nothing."""
    assert load_json_lines('- {"v": ' + "[" * 100_000 + "]" * 100_000 + "}\n") is None


@pytest.mark.parametrize(
    "number",
    ["9" * 5000, "-" + "9" * 5000, "9223372036854775808", "-9223372036854775809", "1" + "0" * 400 + ".5"],
    ids=["5000-digits", "minus-5000-digits", "past-int64", "below-int64", "float-overflow"],
)
@pytest.mark.parametrize("form", ["json", "yaml", "block"])
def test_a_number_too_large_is_one_problem_in_both_readers(
    kz, tmp_path: Path, number: str, form: str
) -> None:
    """Numbers SQLite cannot hold (past 64 bits, or a decimal past float) are refused before conversion."""
    text = {
        "json": _json_line(number),
        "yaml": _flow_yaml(number),
        "block": "- id: layer-event\n  date: '2022-01-05'\n  extra: " + number + "\n",
    }[form]
    problem = _problem(kz, _layer(tmp_path, text))
    assert "number too large" in problem
    assert len(problem) < 200  # the number is shown cut short


@pytest.mark.parametrize("number", ["9223372036854775807", "-9223372036854775808"])
def test_the_largest_64_bit_integers_are_read(number: str) -> None:
    """The ends of SQLite's integer range are still numbers, in both readers."""
    text = f'- {{"v": {number}}}\n'
    assert load_json_lines(text) == yamlload._load(text) == [{"v": int(number)}]


def test_an_integer_past_64_bits_is_refused_by_name_not_by_sqlite(kz, tmp_path: Path) -> None:
    """A figure's value of 20 digits: kz validate refuses it, and no export reaches SQLite with it."""
    kb = tmp_path / "kb"
    kb.mkdir()
    for path in MINI_KB.iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name == "figures.yaml":
            text = text.replace("value: 12", "value: 99999999999999999999", 1)
        (kb / path.name).write_text(text, encoding="utf-8")
    result = kz("--data-dir", str(kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "figures.yaml:3: -: number too large" in result.stderr


@pytest.mark.parametrize("length", [1023, 1030, 5000])
def test_a_key_the_yaml_reader_refuses_is_refused_from_json_lines(length: int) -> None:
    """A key longer than YAML allows (1,024 characters with its quotes) is not read by json either."""
    text = "- " + json.dumps({"id": "x", "k" * length: 1}) + "\n"
    assert load_json_lines(text) is None
    with pytest.raises(LoadError):
        load_yaml(text)


def test_a_key_yaml_still_allows_is_read_alike() -> None:
    """At 1,022 characters (1,024 with its quotes) both readers read the key."""
    text = "- " + json.dumps({"id": "x", "k" * 1022: 1}) + "\n"
    assert load_json_lines(text) == yamlload._load(text) == [{"id": "x", "k" * 1022: 1}]


_EDGES = {
    "non-BMP": '- {"v": "\U0001f600"}\n',
    "surrogate pair escape": '- {"v": "\\ud83d\\ude00"}\n',
    "lone surrogate escape": '- {"v": "\\ud800"}\n',
    "NaN": '- {"v": NaN}\n',
    "Infinity": '- {"v": -Infinity}\n',
    "duplicate key": '- {"v": 1, "v": 1}\n',
    "minus zero": '- {"v": -0}\n',
    "minus zero decimal": '- {"v": -0.0}\n',
    "1e400": '- {"v": 1e400}\n',
    "decimal past float": '- {"v": ' + "9" * 400 + ".5}\n",
    "control escape": '- {"v": "\\u0001\\u001b"}\n',
    "control raw": '- {"v": "\x01"}\n',
    "DEL": '- {"v": "\x7f"}\n',
    "BOM first": '\ufeff- {"v": 1}\n',
    "BOM inside": '- {"v": "a\ufeff"}\n',
    "U+FFFE": '- {"v": "\ufffe"}\n',
    "NEL escape": '- {"v": "\\u0085"}\n',
    "line separator": '- {"v": "\u2028"}\n',
    "slash escape": '- {"v": "a\\/b"}\n',
    "empty key": '- {"": 1}\n',
    "20 digits": '- {"v": 99999999999999999999}\n',
}


@pytest.mark.parametrize("text", _EDGES.values(), ids=_EDGES.keys())
def test_both_readers_read_the_same_at_the_edges(text: str) -> None:
    """At each edge json reads what the YAML reader reads, or leaves the text to it: never a third answer."""
    try:
        slow: object = yamlload._load(text)
    except LoadError:
        slow = None
    fast = load_json_lines(text)
    assert fast is None or (slow is not None and repr(fast) == repr(slow)), (fast, slow)
    try:
        whole: object = load_yaml(text)
    except LoadError:
        whole = None
    assert repr(whole) == repr(slow)


# --- Names, queries and filter values: too long, or not UTF-8 ----------------------------------


def _run(
    args: list[bytes], stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real console script with byte arguments and byte input, as a shell passes them."""
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [kz_executable().encode(), *args],
        input=stdin,
        capture_output=True,
        env=full,
        timeout=120,
        check=False,
    )


_BYTE_MINI = [arg.encode() for arg in MINI]
_ENCODINGS = [
    {},
    {"LC_ALL": "C"},
    {"PYTHONIOENCODING": "ascii"},
    {"LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
]


@pytest.mark.parametrize("env", _ENCODINGS, ids=["default", "C", "ascii", "C-ascii"])
@pytest.mark.parametrize(
    "args",
    [
        [b"actor", b"\xff\xfe"],
        [b"place", b"east\xffford"],
        [b"source", b"\xc3"],
        [b"timeline", b"--actor", b"\xff"],
        [b"timeline", b"--tag", b"\xff"],
        [b"figures", b"--attributed-to", b"\xff"],
        [b"statements", b"--attributed-to", b"\xff"],
        [b"figures", b"\xff"],
        [b"cite", b"\xff"],
        [b"search", b"eastford \xff"],
    ],
    ids=lambda a: b" ".join(a).decode("ascii", "backslashreplace") if isinstance(a, list) else None,
)
def test_an_argument_that_is_not_utf8_matches_nothing(args: list[bytes], env: dict[str, str]) -> None:
    """Not valid UTF-8: a miss (exit 1), one kz: line that shows the bytes escaped, never a traceback."""
    result = _run([*_BYTE_MINI, *args], env=env)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == ExitCode.NO_MATCH, stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("kz: "), stderr
    assert "(not valid UTF-8)" in stderr, stderr
    assert re.search(r"\\x(ff|c3)", stderr), stderr  # the byte itself, escaped


@pytest.mark.parametrize("env", _ENCODINGS, ids=["default", "C", "ascii", "C-ascii"])
def test_a_batch_line_that_is_not_utf8_is_a_miss_and_the_batch_goes_on(env: dict[str, str]) -> None:
    """`kz actor -`: a line that is not UTF-8 is reported escaped; the lines after it are answered."""
    stdin = b"reyes\n\xff\xfe\n" + "Dána Reyés\nreyes\n".encode()
    result = _run([*_BYTE_MINI, b"actor", b"-", b"--fields", b"id", b"-f", b"tsv"], stdin, env)
    assert result.returncode == ExitCode.NO_MATCH
    assert result.stdout.decode().split("\n") == ["id", "dana-reyes", "dana-reyes", "dana-reyes", ""]
    assert result.stderr.decode().splitlines() == [
        "kz: no actor matches '\\xff\\xfe' (not valid UTF-8)",
        "kz: 1 of 4 actor names matched nothing (listed above)",
    ]


def _limit_memory() -> None:
    limit = 500 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_a_50_mb_batch_line_is_a_short_miss_within_a_small_memory_bound(tmp_path: Path) -> None:
    """A name longer than 1,000 characters matches nothing, found before any work on it (500 MB of memory)."""
    line = (b"abcdefghij" * 5_000_000) + b"\n"  # varied letters: doubled ones fold together
    process = subprocess.Popen(
        [kz_executable(), *MINI, "actor", "-", "--fields", "id", "-f", "tsv"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit_memory,
    )
    out, err = process.communicate(line + b"reyes\n", timeout=300)
    assert process.returncode == ExitCode.NO_MATCH, err[-2000:]
    assert out.decode().splitlines() == ["id", "dana-reyes"]
    lines = err.decode().splitlines()
    assert lines[1:] == ["kz: 1 of 2 actor names matched nothing (listed above)"], lines
    assert lines[0].startswith("kz: no actor matches 'abcdefghij"), lines[0][:200]
    assert lines[0].endswith("(longer than 1,000 characters)")
    assert len(lines[0]) < 200


_LONG = "abcdefghij" * 10_000


@pytest.mark.parametrize(
    "args",
    [
        ["actor", _LONG],
        ["actor", "reyes", _LONG],
        ["place", _LONG],
        ["source", _LONG],
        ["timeline", "--actor", _LONG],
        ["timeline", "--tag", _LONG],
        ["figures", _LONG],
        ["figures", "--attributed-to", _LONG],
        ["statements", "--attributed-to", _LONG],
        ["cite", _LONG],
        ["search", _LONG],
    ],
    ids=lambda a: " ".join(x if len(x) < 20 else "LONG" for x in a),
)
def test_a_long_name_query_or_filter_value_is_a_short_miss(kz, args: list[str]) -> None:
    """Longer than 1,000 characters: exit 1 and a kz: line that shows only the start of the text."""
    result = kz(*MINI, *args)
    assert result.code == ExitCode.NO_MATCH, result.stderr[-300:]
    last = result.stderr.strip().split("\n")[-1]
    assert last.startswith("kz: "), result.stderr[:400]
    assert len(result.stderr) < 400, result.stderr[:400]
    assert "longer than 1,000 characters" in result.stderr
