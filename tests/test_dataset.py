"""`kz export -f sqlite`: a designed dataset that sqlite3, sqlite-utils and datasette read as it is."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from conftest import MINI, run_kz
from kzcli.errors import ExitCode

TABLES = {
    "sources": {"id", "key", "title", "publisher", "published", "kind", "sha256"},
    "events": {"id", "era", "date", "date_qualifier", "end_date", "title", "summary", "tags", "disputed"},
    "actors": {"id", "name", "kind", "aliases", "description", "disputed"},
    "places": {"id", "name", "kind", "aliases", "region", "note"},
    "figures": {
        "id",
        "metric",
        "value",
        "qualifier",
        "unit",
        "shown",
        "scope",
        "as_of",
        "place",
        "attributed_to",
    },
    "statements": {"id", "actor", "actor_name", "date", "summary"},
    "citations": {"record_type", "record_id", "source", "paragraph", "excerpt", "note"},
    "event_actors": {"event", "actor"},
    "event_places": {"event", "place"},
    "comparison_claims": {"comparison", "source", "paragraph", "shown", "value"},
}
LINKS = {
    ("event_actors", "actor", "actors"),
    ("event_actors", "event", "events"),
    ("event_places", "place", "places"),
    ("citations", "source", "sources"),
    ("figures", "attributed_to", "actors"),
    ("statements", "actor", "actors"),
    ("comparison_claims", "comparison", "comparisons"),
    ("date_claims", "event", "events"),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundled KB exported once, with its metadata.json, through the real console script."""
    folder = tmp_path_factory.mktemp("export")
    db, meta = folder / "kz.db", folder / "metadata.json"
    result = run_kz("export", "-f", "sqlite", "-o", str(db), "--metadata", str(meta))
    assert result.returncode == 0, result.stderr
    return db, meta


def _columns(db: sqlite3.Connection, table: str) -> dict[str, str]:
    return {row[1]: row[2] for row in db.execute(f"PRAGMA table_info([{table}])")}


def test_each_kind_has_its_table_with_typed_columns(exported: tuple[Path, Path]) -> None:
    """One table per record kind, with the JSON's field names; numbers and flags are typed, not JSON text."""
    db = sqlite3.connect(exported[0])
    for table, wanted in TABLES.items():
        assert wanted <= set(_columns(db, table)), table
    assert _columns(db, "figures")["value"] == "NUMERIC"
    assert _columns(db, "events")["disputed"] == "INTEGER"
    value, shown = db.execute("SELECT value, shown FROM figures WHERE id = 'deaths-total-chaos'").fetchone()
    assert (value, shown) == (160, "over 160")
    assert "doc" not in _columns(db, "figures")


def test_links_declare_foreign_keys_that_all_resolve(exported: tuple[Path, Path]) -> None:
    """Link tables declare their foreign keys, and every one of them points at a row."""
    db = sqlite3.connect(exported[0])
    declared = {
        (table, row[3], row[2])
        for table in {t for t, _, _ in LINKS}
        for row in db.execute(f"PRAGMA foreign_key_list([{table}])")
    }
    assert declared >= LINKS
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_full_text_search_is_in_the_form_datasette_detects(exported: tuple[Path, Path]) -> None:
    """`events_fts` is an FTS5 table with content=[events], and a match narrows the events."""
    db = sqlite3.connect(exported[0])
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'events_fts'").fetchone()
    assert "USING FTS5" in sql
    assert "content=[events]" in sql
    search = "SELECT rowid FROM events_fts WHERE events_fts MATCH 'almaty'"
    matched = db.execute(f"SELECT count(*) FROM events WHERE rowid IN ({search})").fetchone()[0]
    assert 0 < matched < db.execute("SELECT count(*) FROM events").fetchone()[0]


@pytest.mark.parametrize("view", ["figures_with_sources", "dispute_claims", "events_with_actors"])
def test_views_answer_the_common_questions(exported: tuple[Path, Path], view: str) -> None:
    """Each view runs and returns rows."""
    db = sqlite3.connect(exported[0])
    assert db.execute(f"SELECT count(*) FROM [{view}]").fetchone()[0] > 0


def test_a_figure_row_joins_its_source_title_and_excerpt(exported: tuple[Path, Path]) -> None:
    """figures_with_sources sets a figure beside its source's key, paragraph and verbatim excerpt."""
    db = sqlite3.connect(exported[0])
    columns = "shown, source_key, paragraph, excerpt"
    row = db.execute(
        f"SELECT {columns} FROM figures_with_sources WHERE figure = 'deaths-total-chaos'"
    ).fetchone()
    assert row[:3] == ("over 160", "CC", 5)
    assert "Over 160" in row[3]


def test_no_absolute_path_anywhere(exported: tuple[Path, Path]) -> None:
    """No text cell of any table names a folder of this machine."""
    db = sqlite3.connect(exported[0])
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    home, here = os.path.expanduser("~"), str(Path(__file__).resolve().parents[1])
    for table in tables:
        for row in db.execute(f"SELECT * FROM [{table}]"):
            for cell in row:
                assert not (
                    isinstance(cell, str) and (here in cell or cell.startswith((home, "/work", "/tmp")))
                )


def test_metadata_describes_every_column(exported: tuple[Path, Path]) -> None:
    """metadata.json has the title, licence and sources, and a description for each column of each table."""
    meta = json.loads(exported[1].read_text(encoding="utf-8"))
    assert meta["license"] == "MIT"
    assert "CC: Chaos and crackdown in Kazakhstan" in meta["source"]
    tables = meta["databases"]["kz"]["tables"]
    db = sqlite3.connect(exported[0])
    for table in ("events", "figures", "citations", "comparison_claims"):
        described = tables[table]["columns"]
        assert set(described) == set(_columns(db, table))
        assert all(text and text != name for name, text in described.items())
    assert "until" not in tables["figures"]["columns"]["as_of"]
    assert "date the number refers to" in tables["figures"]["columns"]["as_of"]


def test_export_files_get_the_users_normal_mode(tmp_path: Path) -> None:
    """Under umask 022 the dataset and its metadata are 0644, like any file the user makes."""
    db, meta = tmp_path / "d.db", tmp_path / "m.json"
    old = os.umask(0o022)
    try:
        assert run_kz(*MINI, "export", "-f", "sqlite", "-o", str(db), "--metadata", str(meta)).returncode == 0
    finally:
        os.umask(old)
    assert (db.stat().st_mode & 0o777, meta.stat().st_mode & 0o777) == (0o644, 0o644)


def test_metadata_without_sqlite_is_a_usage_error(tmp_path: Path) -> None:
    """--metadata with a JSON export is one kz: line and exit 2, and writes nothing."""
    result = run_kz(
        "export", "-f", "json", "-o", str(tmp_path / "x.json"), "--metadata", str(tmp_path / "m.json")
    )
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.strip().splitlines() == ["kz: --metadata describes an SQLite dataset; add -f sqlite"]
    assert list(tmp_path.iterdir()) == []


def test_an_existing_metadata_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Without --force, an existing metadata.json stops the export at once: no database appears either."""
    meta = tmp_path / "metadata.json"
    meta.write_text("{}", encoding="utf-8")
    result = run_kz(*MINI, "export", "-f", "sqlite", "-o", str(tmp_path / "d.db"), "--metadata", str(meta))
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.startswith("kz: ")
    assert not (tmp_path / "d.db").exists()
    assert meta.read_text(encoding="utf-8") == "{}"
