"""Every value limit is checked before the value is used: depth, integer size, name length, encoding.

Both readers of a knowledge-base file (json for one JSON object a line, kz's YAML otherwise) refuse
the same things in the same words; a name, query or filter value that is too long or not UTF-8
matches nothing, in a short message, before any work is done on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MINI, MINI_KB
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
