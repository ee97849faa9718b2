"""The strict YAML loader refuses what PyYAML would accept silently."""

from __future__ import annotations

import time

import pytest

from kzcli.kb import yamlload
from kzcli.kb.yamlload import LoadError, load_yaml

pytestmark = pytest.mark.hostile


def test_yaml_11_words_and_dates_stay_text() -> None:
    """`no`, `on`, `yes` and ISO dates are read as the strings the author wrote."""
    data = load_yaml("a: no\nb: on\nc: yes\nd: 2022-01-05\ne: 010\nf: 1_000\ng: 1:30\n")
    assert data == {
        "a": "no",
        "b": "on",
        "c": "yes",
        "d": "2022-01-05",
        "e": "010",
        "f": "1_000",
        "g": "1:30",
    }


def test_plain_numbers_and_null_still_resolve() -> None:
    """Decimal integers, decimals and null keep their YAML meaning."""
    assert load_yaml("a: 12\nb: -3\nc: 1.5\nd: ~\ne:\n") == {"a": 12, "b": -3, "c": 1.5, "d": None, "e": None}


def test_duplicate_key_is_an_error_at_its_line() -> None:
    """A repeated key is reported at the second occurrence, naming the first."""
    with pytest.raises(LoadError) as caught:
        load_yaml("- id: a\n  title: x\n  title: y\n")
    assert caught.value.line == 3
    assert "duplicate key 'title' (first at line 2)" in caught.value.message


def test_merge_keys_have_no_merge_meaning() -> None:
    """`<<` is an ordinary text key (so the schema refuses it), never a merge."""
    assert load_yaml("<<: {a: 1}\nb: 2\n") == {"<<": {"a": 1}, "b": 2}


def test_aliases_are_refused() -> None:
    """Anchors with aliases are refused outright."""
    with pytest.raises(LoadError, match="aliases"):
        load_yaml("a: &x [1, 2]\nb: *x\n")


def test_billion_laughs_is_refused_quickly() -> None:
    """An alias-expansion bomb is refused well within a second."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join('*' + prev for _ in range(9))}]")
    started = time.perf_counter()
    with pytest.raises(LoadError, match="aliases"):
        load_yaml("\n".join(lines))
    assert time.perf_counter() - started < 1.0


def test_python_tags_are_refused_and_nothing_runs(tmp_path: object) -> None:
    """A python/object tag fails to construct; no code is executed."""
    with pytest.raises(LoadError, match=r"python/object/apply:os\.system' is not allowed"):
        load_yaml('!!python/object/apply:os.system ["echo pwned"]')


def test_syntax_error_has_one_based_line() -> None:
    """An unclosed flow sequence is reported on a 1-based line."""
    with pytest.raises(LoadError) as caught:
        load_yaml("a: 1\nb: [1, 2\n")
    assert caught.value.line >= 2


def test_mappings_remember_their_lines() -> None:
    """Records and their keys carry 1-based line numbers for error messages."""
    data = load_yaml("- id: a\n  title: x\n- id: b\n")
    assert data[1].line == 3
    assert data[0].key_lines == {"id": 1, "title": 2}


def test_explicit_core_tags_must_fit_their_type() -> None:
    """`!!int abc` is a load error at its line, not a crash; `!!int "12"` is 12."""
    with pytest.raises(LoadError, match="'abc' is not a valid int") as caught:
        load_yaml("a: 1\nb: !!int abc\n")
    assert caught.value.line == 2
    assert load_yaml('a: !!int "12"\nb: !!str 5\n') == {"a": 12, "b": "5"}


def _items(count: int, extra: str = "") -> str:
    """A top-level block sequence of `count` small records, with comments, blank lines and block text."""
    lines = ["# generated for a test", ""]
    for i in range(count):
        lines += [f"- id: item-{i}", f"  title: Item {i}", "  note: |", f"    line one of {i}", ""]
        lines += ["    - not an item"]
        lines += [f"  tags: [a, b{i}]", "  # a comment", ""]
    return "\n".join(lines) + extra


def _with_lines(value: object) -> object:
    """The data plus every mapping's own line and key lines, so two loads can be compared exactly."""
    if isinstance(value, list):
        return [_with_lines(v) for v in value]
    if isinstance(value, dict):
        inner = {k: _with_lines(v) for k, v in value.items()}
        return (getattr(value, "line", None), getattr(value, "key_lines", None), inner)
    return value


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make tiny texts take the part-by-part path (and the forked worker), three items a part."""
    monkeypatch.setattr(yamlload, "PART_THRESHOLD", 10)
    monkeypatch.setattr(yamlload, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(yamlload, "ITEMS_PER_PART", 3)


@pytest.mark.usefixtures("small_parts")
def test_loading_by_parts_gives_the_whole_file_result_and_lines() -> None:
    """A sequence loaded in parts (some in a forked worker) equals a whole-file parse, lines included."""
    text = _items(20)
    assert yamlload._item_parts(text) is not None
    assert _with_lines(load_yaml(text)) == _with_lines(yamlload._load(text))


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("- id: late\n  id: again\n", "duplicate key 'id'"),
        ("- &x {id: a}\n- *x\n", "aliases"),
        ("- id: [unclosed\n", "expected"),
        ("...\n- id: next-document\n", "document start"),
    ],
)
def test_an_error_in_a_late_part_is_reported_as_a_whole_parse_would(tail: str, message: str) -> None:
    """Errors found part by part are re-reported from the whole text: same message, same line."""
    text = _items(20, "\n" + tail)
    with pytest.raises(LoadError) as by_parts:
        load_yaml(text)
    with pytest.raises(LoadError) as whole:
        yamlload._load(text)
    assert message in by_parts.value.message
    assert (by_parts.value.line, by_parts.value.message) == (whole.value.line, whole.value.message)


@pytest.mark.usefixtures("small_parts")
def test_a_file_that_is_not_a_plain_sequence_is_parsed_whole() -> None:
    """A mapping at the top, or text with carriage returns, is never cut into parts."""
    assert yamlload._item_parts("events:\n" + _items(5)) is None
    assert yamlload._item_parts(_items(5).replace("\n", "\r\n")) is None
    assert load_yaml(_items(5).replace("\n", "\r\n")) == load_yaml(_items(5))
