"""Answers that do not depend on how the index was made, and views whose cost does not grow with the
square of a question's claims."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO
from kzcli import compare
from kzcli.ask import lookups
from kzcli.dates import date_range
from kzcli.index import store, stream
from kzcli.index.compile import compile_kb
from kzcli.kb import yamlload
from kzcli.kb.files import bundled_data_dir, read_kb
from kzcli.show.views import source_keys

sys.path.insert(0, str(REPO / "bench"))
import synth  # bench/ is not a package: imported by path

# Low enough that a 700-event KB's searches rank only some of their matches, as 30,000 events do.
RANKED = 40


def _generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A generated KB of 700 events over three files, one a line of JSON each (the benchmark's form)."""
    monkeypatch.setattr(synth, "EVENTS_PER_FILE", 300)
    synth.synthesise(700, tmp_path / "synth")
    return tmp_path / "synth"


def _streamed_with_worker(folder: Path, monkeypatch: pytest.MonkeyPatch, late: str) -> sqlite3.Connection:
    """The KB streamed with a worker forced on; `late` ('worker' or 'main') starts its batches late."""
    monkeypatch.setattr(yamlload, "ITEMS_PER_PART", 40)
    monkeypatch.setattr(yamlload, "PARALLEL_THRESHOLD", 1)
    main = os.getpid()
    real_unit = stream._Stream.unit
    slept: list[bool] = []

    def unit(self: Any, *args: Any) -> Any:
        in_main = os.getpid() == main
        if (late == "main") == in_main and not slept:
            slept.append(True)
            time.sleep(0.5)
        return real_unit(self, *args)

    monkeypatch.setattr(stream._Stream, "unit", unit)
    kb = read_kb([folder])
    conn = sqlite3.connect(":memory:")
    store._fill(conn, kb, lambda c: stream.stream_into(c, kb, store.no_progress))
    monkeypatch.setattr(stream._Stream, "unit", real_unit)
    return conn


def _whole(folder: Path) -> sqlite3.Connection:
    kb = read_kb([folder])
    rows = compile_kb(kb)
    conn = sqlite3.connect(":memory:")
    store._fill(conn, kb, lambda c: stream.insert(c, rows))
    return conn


def _answers(conn: sqlite3.Connection) -> list[Any]:
    """Searches whose matches are more than are ranked, as `kz search -f json` would answer them."""
    return [lookups.search(conn, words, 20) for words in ("river treaty", "river", "border summit")]


def _entries(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT rowid, kind, record_id, label, body FROM search ORDER BY rowid").fetchall()


@pytest.mark.hostile
def test_search_answers_the_same_whatever_order_the_worker_inserted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds with a worker, its batches landing first or last, and a whole build: one search answer.

    Search ranks at most RANKED_AT_MOST matches, those with the lowest rowids; an entry's
    rowid must therefore come from the entry, not from when its batch arrived.
    """
    monkeypatch.setattr(lookups, "RANKED_AT_MOST", RANKED)
    folder = _generated(tmp_path, monkeypatch)
    worker_late = _streamed_with_worker(folder, monkeypatch, late="worker")
    main_late = _streamed_with_worker(folder, monkeypatch, late="main")
    whole = _whole(folder)
    first = _answers(worker_late)
    assert all(bounded == RANKED for _hits, bounded in first)
    assert _answers(main_late) == first
    assert _answers(whole) == first
    assert _entries(worker_late) == _entries(main_late) == _entries(whole)


@pytest.mark.hostile
def test_search_after_an_edit_answers_as_a_full_build(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event retitled, one added and one deleted: the updated index's search is a fresh build's."""
    monkeypatch.setattr(lookups, "RANKED_AT_MOST", RANKED)
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    folder = _generated(tmp_path, monkeypatch)
    store.open_index([folder]).close()
    target = sorted(folder.glob("events/*.yaml"))[0]
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    added = lines[1].replace('"id": "event-', '"id": "event-added-', 1)
    lines[0] = lines[0].replace('"title": "', '"title": "River treaty ', 1)
    target.write_text("".join([lines[0], added, *lines[3:]]), encoding="utf-8")
    stages: list[str] = []
    updated = store.open_index([folder], progress=lambda stage, _done, _total: stages.append(stage))
    assert "updating the index" in stages
    assert "building the index" not in stages
    fresh = _whole(folder)
    assert _answers(updated) == _answers(fresh)
    assert _entries(updated) == _entries(fresh)
    answer = kz("--data-dir", str(folder), "search", "river treaty", "-f", "json")
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "fresh-cache"))
    assert kz("--data-dir", str(folder), "search", "river treaty", "-f", "json").stdout == answer.stdout
    assert json.loads(answer.stdout)


# --- one question, one verdict, at a bounded cost ------------------------------------------------


def _all_pairs_judge(claims: list[dict[str, Any]]) -> tuple[str, str]:
    """The judging as it was: every pair of claims from two sources, all their notes, then the worst."""
    pairs = [
        compare._figure_pair(a, b)
        for i, a in enumerate(claims)
        for b in claims[i + 1 :]
        if a["source"] != b["source"]
    ]
    if not pairs:
        return "agrees", "a single source"
    verdict = compare.worst(p.verdict for p in pairs)
    notes = [p.note for p in sorted(pairs, key=lambda p: compare._RANK[p.verdict])]
    series = [n for n in notes if n.startswith(compare._SERIES)]
    if len(series) > 1:
        dated_claims = sorted((c for c in claims if c.get("as_of")), key=lambda c: date_range(c["as_of"])[1])
        notes = [n for n in notes if not n.startswith(compare._SERIES)]
        notes.append(compare._SERIES + compare._series(dated_claims))
    return verdict, compare._noted(list(dict.fromkeys(notes)))


def _shown(explanation: str) -> tuple[list[str], bool]:
    """The notes an explanation names, and whether it says more pairs were compared."""
    notes = explanation.split("; ")
    more = notes[-1].startswith("and ") and notes[-1].endswith(" more pairs of claims")
    return (notes[:-1], True) if more else (notes, False)


_CLAIM = st.builds(
    lambda i, metric, value, qualifier, day, source: compare.figure_claim(
        {
            "id": f"f{i}",
            "metric": metric,
            "value": value,
            "qualifier": qualifier,
            "unit": "people",
            "scope": "total",
            "as_of": f"2022-01-{day:02d}" if day else None,
            "citations": [{"source": source, "paragraph": 1, "excerpt": "x"}],
        }
    ),
    st.integers(0, 10**6),
    st.sampled_from(["deaths", "casualties", "protesters"]),
    st.integers(1, 40),
    st.sampled_from(["exact", "about", "over", "nearly", "almost", "at_least", "up_to"]),
    st.integers(0, 12),
    st.sampled_from(["s1", "s2", "s3"]),
)


@given(st.lists(_CLAIM, max_size=30))
def test_the_bounded_judging_says_what_judging_every_pair_says(claims: list[dict[str, Any]]) -> None:
    """The verdict and the first MAX_NOTES notes are those of every pair judged; a tail stays a tail."""
    fast_verdict, fast_why = compare.judge_figures(claims)
    slow_verdict, slow_why = _all_pairs_judge(claims)
    assert fast_verdict == slow_verdict
    (fast, fast_more), (slow, slow_more) = _shown(fast_why), _shown(slow_why)
    assert fast == slow
    assert fast_more == slow_more
    if not fast_why.endswith("; and more pairs of claims"):
        assert fast_why == slow_why


@pytest.mark.parametrize("which", ["bundled", "compare"])
def test_the_stored_comparisons_are_those_of_every_pair_judged(which: str) -> None:
    """Bundled KB and compare fixtures: every stored figure comparison is what all-pairs judging gives.

    A question joined by less specific claims (a ratio at two levels of detail) has the verdict of
    every pair: its own claims' pairs, and each less specific claim beside each of them.
    """
    folder = bundled_data_dir() if which == "bundled" else REPO / "tests" / "fixtures" / "compare" / "kb"
    conn = store.open_index([folder])
    figures = lookups.figures(conn, lookups.metrics(conn))
    scopes = lookups.scopes(conn)
    slots = compare.slot_claims(figures, scopes, source_keys(lookups.source_docs(conn)))
    stored = lookups.figure_comparisons(conn)
    judged = [key for key, claims in slots.items() if key in stored]
    assert judged
    for key in judged:
        broader = compare.broader_claims(slots[key][0], slots, scopes)
        if not broader:
            assert (stored[key]["verdict"], stored[key]["explanation"]) == _all_pairs_judge(slots[key]), key
            continue
        own = [_all_pairs_judge(slots[key])[0]] if len({c["source"] for c in slots[key]}) > 1 else []
        across = [
            compare._level_pair(g, c).verdict
            for g in broader
            for c in slots[key]
            if g["source"] != c["source"]
        ]
        assert stored[key]["verdict"] == compare.worst(own + across), key


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of pair judgements, kept in calls[0]."""
    calls = [0]
    real = compare._figure_pair

    def counted(a: dict[str, Any], b: dict[str, Any]) -> compare.Pair:
        calls[0] += 1
        return real(a, b)

    monkeypatch.setattr(compare, "_figure_pair", counted)
    return calls


@pytest.mark.hostile
def test_three_thousand_claims_on_one_question_cost_a_bounded_number_of_pairs(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,000 death figures on one question: the build judges a bounded number of pairs, a view none."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    layer = tmp_path / "layer"
    synth.one_question(3000, layer)
    calls = _counted(monkeypatch)
    built = kz("--with", str(layer), "figures", "deaths", "-f", "json")
    assert built.code == 0, built.stderr
    assert calls[0] < 100_000  # every pair would be 3.6 million
    calls[0] = 0
    for argv in (["figures", "deaths"], ["figures", "deaths", "--by-source"], ["brief"]):
        assert kz("--with", str(layer), *argv, "-f", "json").code == 0
    assert kz("--with", str(layer), "figures", "deaths", "--chart").code == 0
    assert calls[0] == 0
