"""The streaming cold build equals the whole-KB build row for row, and leaves every problem to validation."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import MINI_KB, REPO
from kzcli.errors import ExitCode, InvalidKB
from kzcli.index import store
from kzcli.index.compile import compile_kb
from kzcli.index.stream import Problem, insert, stream_into
from kzcli.kb import yamlload
from kzcli.kb.files import bundled_data_dir, read_kb
from kzcli.kb.yamlload import LineDict, LoadError, load_json_lines
from test_update import _rows

sys.path.insert(0, str(REPO / "bench"))
import synth  # bench/ is not a package: imported by path

COMPARE_KB = REPO / "tests" / "fixtures" / "compare" / "kb"


def _streamed(folder: Path) -> sqlite3.Connection:
    """The KB built by the stream alone: a Problem fails the test instead of falling back."""
    kb = read_kb([folder])
    conn = sqlite3.connect(":memory:")
    store._fill(conn, kb, lambda c: stream_into(c, kb, store.no_progress))
    return conn


def _whole(folder: Path) -> sqlite3.Connection:
    """The KB built the whole-KB way: validated at once, every row made, then inserted."""
    kb = read_kb([folder])
    rows = compile_kb(kb)
    conn = sqlite3.connect(":memory:")
    store._fill(conn, kb, lambda c: insert(c, rows))
    return conn


def _generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A generated KB of 700 events over three files, one a line of JSON each (the benchmark's form)."""
    monkeypatch.setattr(synth, "EVENTS_PER_FILE", 300)
    synth.synthesise(700, tmp_path / "synth")
    return tmp_path / "synth"


@pytest.mark.parametrize("which", ["bundled", "mini", "compare", "generated"])
def test_the_streamed_build_equals_the_whole_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """Every table, row for row: the bundled KB, the fixtures, and a generated KB split over files."""
    folder = {
        "bundled": bundled_data_dir(),
        "mini": MINI_KB,
        "compare": COMPARE_KB,
        "generated": _generated(tmp_path, monkeypatch) if which == "generated" else None,
    }[which]
    assert folder is not None
    assert _rows(_streamed(folder)) == _rows(_whole(folder))


def test_a_problem_stops_the_stream_and_validation_words_it(kz, tmp_path: Path) -> None:
    """An event naming an unknown actor: the stream stops, and kz reports it as validation always has."""
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    events = kb / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("actors: [", "actors: [nobody-at-all, ", 1))
    with pytest.raises(Problem):
        _streamed(kb)
    with pytest.raises(InvalidKB):
        _whole(kb)
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "unknown actor 'nobody-at-all'" in result.stderr


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
# Strings at YAML's edges: surrogates (written as \\ud800 escapes), a BOM, NEL, line separators,
# escapes, and words that json and YAML read apart.
_ODD_TEXT = st.text(
    st.characters(categories=("Cs", "Cc", "Cf", "Zl", "Zp")) | st.sampled_from('\ufeff\x85\U0001f600\\"/'),
    max_size=6,
) | st.sampled_from(["-0", "1e400", "NaN", "Infinity", "true", "null", "~", "&a", "*a", "a: b", "# c"])
_KEYS = (
    _TEXT | _ODD_TEXT | st.integers(1018, 1026).map(lambda n: "k" * n)
)  # YAML's longest key: 1,024 written
_NUMBERS = (
    st.integers(-(10**6), 10**6)
    | st.integers(-(2**64), 2**64)  # 64 bits and past
    | st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1])
    | st.floats()  # NaN and infinities too
    | st.sampled_from([-0.0, 1e308, 1e-320])
)


class _Huge:
    """An integer of more digits than Python converts (4,300), written as its digits."""

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"_Huge({len(self.digits)} digits)"


_HUGE = st.builds(_Huge, st.sampled_from(["9" * 4301, "-" + "1" * 5000, "1" + "0" * 400 + ".5"]))
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXT, _ODD_TEXT, _HUGE)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3)
)


class _Deep:
    """A value inside `levels` lists or mappings, written by _dumped (json.dumps itself would recurse)."""

    def __init__(self, levels: int, mapping: bool, inner: object) -> None:
        self.levels, self.mapping, self.inner = levels, mapping, inner


_DEEP = st.builds(_Deep, st.integers(90, 1200), st.booleans(), _SCALARS)


def _dumped(value: object, ascii_only: bool) -> str:
    """`value` as json.dumps writes it (the form the JSON-lines reader takes), deep nesting included."""
    if isinstance(value, _Deep):
        opening, closing = ('{"k": ', "}") if value.mapping else ("[", "]")
        return opening * value.levels + _dumped(value.inner, ascii_only) + closing * value.levels
    if isinstance(value, dict):
        fields = (f"{_dumped(key, ascii_only)}: {_dumped(item, ascii_only)}" for key, item in value.items())
        return "{" + ", ".join(fields) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dumped(item, ascii_only) for item in value) + "]"
    if isinstance(value, _Huge):
        return value.digits
    return json.dumps(value, ensure_ascii=ascii_only)


@given(
    st.lists(st.dictionaries(_KEYS, _VALUES | _DEEP, max_size=4), min_size=1, max_size=4),
    st.booleans(),
)
@example([{"small": 1e-05, "large": 1e16}], False)  # json writes exponents; kz's YAML reads them as text
@example([{"flag": True, "none": None}], False)
@example([{"control": "\x7f\x85"}], False)
@example([{"deep": _Deep(99, False, 1)}, {"deeper": _Deep(98, True, 1)}], False)  # at the limit
@example([{"deep": _Deep(5000, False, 1)}], False)  # past json's recursion
@example([{"number": _Huge("9" * 4400), "k" * 1023: 2**63}], False)
@example([{"surrogate": "\ud800", "pair": "\U0001f600"}], True)
def test_json_lines_read_as_yaml_reads_them_or_not_at_all(
    records: list[dict[str, object]], ascii_only: bool
) -> None:
    """One JSON object a line is read by json only where kz's YAML loader gives the very same values.

    Past the edges (deep nesting, huge numbers, long keys, odd strings) the two agree too: the
    YAML reader refuses in words (LoadError), and json leaves the text to it.
    """
    text = "".join(f"- {_dumped(r, ascii_only)}\n" for r in records)
    if not ascii_only and _SURROGATE.search(text):
        return  # not text a file can hold: kz reads files as UTF-8
    try:
        slow = yamlload._load(text)  # the YAML reader itself (load_yaml would take the json path too)
    except LoadError:
        slow = _REFUSED
    fast = load_json_lines(text, lined=True)
    if fast is None:
        return
    assert slow is not _REFUSED, "json took text the YAML loader refuses"
    assert _typed(fast) == _typed(slow)
    assert _lines(fast) == _lines(slow)


_REFUSED = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lines(value: object) -> object:
    """Where each mapping of a value stands, and each of its keys, as error messages would say."""
    if isinstance(value, LineDict):
        return (value.line, value.key_lines, {key: _lines(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_lines(item) for item in value]
    return None


def _typed(value: object) -> object:
    """A value with the type of every part of it spelled out (1 and 1.0 and True are not alike)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def test_an_empty_events_file_is_a_problem_as_validation_says(kz, tmp_path: Path) -> None:
    """An events file with nothing in it stops the stream; validation asks for [] instead."""
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    (kb / "events.yaml").write_text("", encoding="utf-8")
    with pytest.raises(Problem):
        _streamed(kb)
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "write [] for an empty list" in result.stderr


def test_a_worker_streams_part_of_the_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the threshold a forked worker takes the tail of the events; the index is the same row for row."""
    from kzcli.kb import yamlload

    folder = _generated(tmp_path, monkeypatch)
    whole = _rows(_whole(folder))
    monkeypatch.setattr(yamlload, "ITEMS_PER_PART", 40)
    monkeypatch.setattr(yamlload, "PARALLEL_THRESHOLD", 1)
    started = []
    import multiprocessing.process

    real_start = multiprocessing.process.BaseProcess.start
    monkeypatch.setattr(
        multiprocessing.process.BaseProcess, "start", lambda self: (started.append(self), real_start(self))[1]
    )
    assert _rows(_streamed(folder)) == whole
    assert started


def test_a_file_saved_during_a_build_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes built are the bytes fingerprinted: a file saved meanwhile makes kz read the KB again."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    events = kb / "events.yaml"
    calls = []

    def read_then_save(folders: list[Path]) -> object:
        found = read_kb(folders)
        if not calls:
            events.write_text(
                events.read_text(encoding="utf-8").replace("Rescue teams arrive", "Saved meanwhile")
            )
        calls.append(found)
        return found

    monkeypatch.setattr(store, "read_kb", read_then_save)
    titles = [json.loads(doc)["title"] for (doc,) in store.open_index([kb]).execute("SELECT doc FROM events")]
    assert len(calls) == 2
    assert "Saved meanwhile" in titles


def test_a_file_that_keeps_changing_is_one_kz_line(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved during the build and again during the second: kz stops with one line and exit 3, no traceback."""
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    events = kb / "events.yaml"

    def read_then_save(folders: list[Path]) -> object:
        found = read_kb(folders)
        events.write_text(events.read_text(encoding="utf-8") + "\n# saved\n", encoding="utf-8")
        return found

    monkeypatch.setattr(store, "read_kb", read_then_save)
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "changed while kz was reading it; run kz again" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("worker", [False, True], ids=["alone", "with-worker"])
def test_an_event_id_taken_twice_stops_the_stream(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    """Twin event ids in two files (one maybe the worker's): the stream stops, validation names both."""
    from kzcli.kb import yamlload

    folder = _generated(tmp_path, monkeypatch)
    if worker:
        monkeypatch.setattr(yamlload, "PARALLEL_THRESHOLD", 1)
    first = (folder / "events" / "0000.yaml").read_text(encoding="utf-8").splitlines(keepends=True)[0]
    last = folder / "events" / "0002.yaml"
    last.write_text(last.read_text(encoding="utf-8") + first, encoding="utf-8")
    with pytest.raises(Problem):
        _streamed(folder)
    result = kz("--data-dir", str(folder), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "duplicate id (first defined at events/0000.yaml:1)" in result.stderr
