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

from conftest import REPO
from kzcli.ask import lookups
from kzcli.index import store, stream
from kzcli.index.compile import compile_kb
from kzcli.kb import yamlload
from kzcli.kb.files import read_kb

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
