"""An edit updates the index in place: only changed pieces are read, and the result equals a full build."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from kzcli.errors import ExitCode
from kzcli.index import store
from kzcli.kb.files import bundled_data_dir, read_kb
from kzcli.kb.yamlload import top_level_items

EDITABLE = ("events.yaml", "actors.yaml", "places.yaml", "figures.yaml")


def _rows(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, as the index holds them (the build time aside)."""
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not name.startswith("search_")  # FTS5's own shadow tables: their rowids follow insertion order
    ]
    found = {}
    for table in tables:
        # An entry's rowid follows the order of insertion: what must match is which record owns entries.
        columns = "kind, record_id" if table == "entry_owners" else "*"
        rows = conn.execute(f"SELECT {columns} FROM {table}").fetchall()
        if table == "meta":
            rows = [row for row in rows if row[0] != "built_at"]
        found[table] = sorted(rows, key=repr)
    return found


def _owners_match(conn: sqlite3.Connection) -> bool:
    """Every search entry has exactly one owner row, naming the entry's own kind and record."""
    entries = conn.execute("SELECT count(*) FROM search").fetchone()[0]
    owners = conn.execute("SELECT count(*) FROM entry_owners").fetchone()[0]
    matched = conn.execute(
        "SELECT count(*) FROM entry_owners o JOIN search s"
        " ON s.rowid = o.entry AND s.kind = o.kind AND s.record_id = o.record_id"
    ).fetchone()[0]
    return bool(entries == owners == matched)


def _open(kb: Path) -> tuple[sqlite3.Connection, list[str]]:
    """The index of `kb` through the cache, and the stages its making went through."""
    stages: list[str] = []
    conn = store.open_index([kb], progress=lambda stage, _done, _total: stages.append(stage))
    return conn, stages


def _full_build(kb: Path) -> sqlite3.Connection:
    """The index of `kb` built from nothing, in memory."""
    return store._build(read_kb([kb]), None, store.no_progress)


def _items(path: Path) -> list[str]:
    items = top_level_items(path.read_text(encoding="utf-8"))
    assert items is not None
    return [text for _line, text in items]


def _write_items(path: Path, items: list[str]) -> None:
    path.write_text("".join(item if item.endswith("\n") else item + "\n" for item in items), encoding="utf-8")


def _as_item(record: dict[str, Any]) -> str:
    return "- " + json.dumps(record, ensure_ascii=False) + "\n"


@pytest.fixture
def indexed_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the bundled KB, already indexed in a private cache."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    kb = tmp_path / "kb"
    shutil.copytree(bundled_data_dir(), kb)
    _open(kb)[0].close()
    return kb


def _rewrite(path: Path, at: int, field: str, value: object) -> dict[str, Any]:
    """Set one field of the record at position `at` of a file; return the record as written."""
    items = _items(path)
    record = yaml.safe_load(items[at])[0]
    record[field] = value
    items[at] = _as_item(record)
    _write_items(path, items)
    return dict(record)


def _random_edit(kb: Path, rng: random.Random, step: int) -> str:
    """Change, add or delete one record of a random large kind; return what was done."""
    path = kb / rng.choice(EDITABLE)
    items = _items(path)
    at = rng.randrange(len(items))
    record = yaml.safe_load(items[at])[0]
    action = rng.choice(("change", "add", "delete"))
    if action == "change":
        for field in ("title", "summary", "name", "description", "note"):
            if isinstance(record.get(field), str):
                record[field] = f"{record[field]} (edit {step})"
                break
        else:
            record["value"] = record["value"] + 1
        items[at] = _as_item(record)
    elif action == "add":
        record["id"] = f"{record['id']}-copy-{step}"
        for i, statement in enumerate(record.get("statements") or []):
            statement["id"] = f"{statement['id']}-copy-{step}-{i}"
        items.insert(rng.randrange(len(items) + 1), _as_item(record))
    else:
        del items[at]
    _write_items(path, items)
    return f"{action} {record['id']} in {path.name}"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_random_series_of_edits_gives_the_full_build_row_for_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Records changed, added and deleted one after another: each updated index equals a full rebuild.

    A deletion may leave a reference dangling; then the update declines and the full
    build reports it, so the edit is put back. Most steps must take the update path.
    """
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    kb = tmp_path / "kb"
    shutil.copytree(bundled_data_dir(), kb)
    _open(kb)[0].close()
    rng = random.Random(seed)
    updated = 0
    for step in range(15):
        saved = {name: (kb / name).read_bytes() for name in EDITABLE}
        done = _random_edit(kb, rng, step)
        try:
            conn, stages = _open(kb)
        except Exception:  # a dangling reference: the full build refused it, as it should
            for name, data in saved.items():
                (kb / name).write_bytes(data)
            continue
        updated += "building the index" not in stages
        full = _full_build(kb)
        assert _rows(conn) == _rows(full), done
        assert _owners_match(conn), done
        conn.close()
        full.close()
    assert updated >= 8


def test_a_renamed_place_reaches_the_figures_that_name_it(indexed_kb: Path) -> None:
    """A figure's search text names its place: renaming the place updates the figure rows too."""
    kb = indexed_kb
    places = kb / "places.yaml"
    figures = (kb / "figures.yaml").read_text(encoding="utf-8")
    named = [f"place: {yaml.safe_load(item)[0]['id']}" in figures for item in _items(places)]
    _rewrite(places, named.index(True), "name", "Quokkatown")
    conn, stages = _open(kb)
    assert "building the index" not in stages
    assert _rows(conn) == _rows(_full_build(kb))


def test_one_changed_title_is_answered_from_an_updated_index(kz, indexed_kb: Path) -> None:
    """A retitled event is found by its new title, and the index was updated, not rebuilt."""
    kb = indexed_kb
    record = _rewrite(kb / "events.yaml", 3, "title", "Quokkas parade through the square")
    conn, stages = _open(kb)
    conn.close()
    assert "updating the index" in stages
    assert "building the index" not in stages
    found = kz("--data-dir", str(kb), "search", "quokkas", "-f", "json")
    assert [hit["id"] for hit in json.loads(found.stdout)] == [record["id"]]


def test_an_edit_to_a_small_kind_builds_in_full(indexed_kb: Path) -> None:
    """A change to sources.yaml is not taken piece by piece: the index is built again, as in full."""
    kb = indexed_kb
    sources = kb / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    conn, stages = _open(kb)
    assert "building the index" in stages
    assert _rows(conn) == _rows(_full_build(kb))


def test_deleting_a_named_actor_is_reported_as_a_full_build_reports_it(kz, indexed_kb: Path) -> None:
    """An actor that an event names cannot go quietly: the update declines and validation names the event."""
    kb = indexed_kb
    actors = kb / "actors.yaml"
    items = _items(actors)
    events = (kb / "events.yaml").read_text(encoding="utf-8")
    named = next(i for i, item in enumerate(items) if yaml.safe_load(item)[0]["id"] in events)
    gone = yaml.safe_load(items[named])[0]["id"]
    _write_items(actors, items[:named] + items[named + 1 :])
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert f"unknown actor {gone!r}" in result.stderr


def test_a_duplicate_id_added_by_an_edit_is_reported(kz, indexed_kb: Path) -> None:
    """A new record that reuses an id is refused with the full build's message, not taken in."""
    events = indexed_kb / "events.yaml"
    items = _items(events)
    _write_items(events, [*items, items[0]])
    result = kz("--data-dir", str(indexed_kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "duplicate id" in result.stderr


def test_a_problem_the_update_finds_goes_straight_to_validation(
    indexed_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit naming an unknown actor: no streamed build is tried, validation reports at once."""
    from kzcli.errors import InvalidKB
    from kzcli.index import stream

    def no_stream(*_args: object) -> None:
        raise AssertionError("a build was streamed for an edit already known to be invalid")

    monkeypatch.setattr(stream, "stream_into", no_stream)
    _rewrite(indexed_kb / "events.yaml", 0, "actors", ["nobody-at-all"])
    with pytest.raises(InvalidKB) as raised:
        _open(indexed_kb)
    assert any("unknown actor 'nobody-at-all'" in problem for problem in raised.value.problems)
