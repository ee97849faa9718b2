"""Your own knowledge base beside the bundled one: --with DIR and KZ_DATA_PATH layers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import MINI, MINI_KB
from kzcli.errors import ExitCode

OVERLAY_SOURCES = """\
- id: gamma
  key: G
  title: Gamma Field Notes
  publisher: null
  published: "2020-03"
  kind: commentary
  sha256: "1111111111111111111111111111111111111111111111111111111111111111"
"""

OVERLAY_EVENTS = """\
- id: shelters-open
  date: "2020-03-05"
  title: Shelters open in Eastford
  summary: Volunteers opened shelters after the flood, the notes say.
  places: [eastford]
  actors: [dana-reyes]
  citations:
    - source: gamma
      paragraph: 1
      excerpt: Shelters opened.
    - source: alpha
      paragraph: 3
      excerpt: Local volunteers counted over 30 deaths by 5 March.
"""

OVERLAY_ALIASES = """\
- id: dana-reyes
  aliases: [Councillor Dana]
"""


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    """A user's folder: one new source, one event citing it and a base source, one alias."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "sources.yaml").write_text(OVERLAY_SOURCES, encoding="utf-8")
    (folder / "events.yaml").write_text(OVERLAY_EVENTS, encoding="utf-8")
    (folder / "aliases.yaml").write_text(OVERLAY_ALIASES, encoding="utf-8")
    return folder


def test_with_adds_sources_facts_and_aliases_over_the_base(kz, overlay: Path) -> None:
    """--with DIR layers new records over the KB in use; they may cite base sources and actors."""
    events = json.loads(kz(*MINI, "--with", str(overlay), "timeline", "-f", "json").stdout)
    assert [e["id"] for e in events][-2:] == ["rescue-teams-arrive", "shelters-open"]
    assert len(events) == 4
    actor = kz(*MINI, "--with", str(overlay), "actor", "Councillor Dana", "-f", "json")
    assert actor.code == ExitCode.OK, actor.stderr
    assert json.loads(actor.stdout)["id"] == "dana-reyes"
    assert "Councillor Dana" in json.loads(actor.stdout)["aliases"]
    assert kz(*MINI, "actor", "Councillor Dana").code == ExitCode.NO_MATCH


def test_kz_data_path_is_a_path_list_of_layers(kz, overlay: Path, tmp_path: Path) -> None:
    """KZ_DATA_PATH works like PATH: each folder in it is a layer, empty entries are ignored."""
    env = {"KZ_DATA_PATH": os.pathsep.join(["", str(overlay)])}
    events = json.loads(kz(*MINI, "timeline", "-f", "json", env=env).stdout)
    assert "shelters-open" in {e["id"] for e in events}


def test_sources_show_the_folder_each_came_from(kz, overlay: Path) -> None:
    """kz sources names each source's folder: the base KB's, or the user's layer."""
    docs = {d["id"]: d for d in json.loads(kz(*MINI, "--with", str(overlay), "sources", "-f", "json").stdout)}
    assert docs["gamma"]["folder"] == str(overlay)
    assert docs["alpha"]["folder"] == str(MINI_KB)
    table = kz(*MINI, "--with", str(overlay), "--no-color", "sources", "-f", "table", env={"COLUMNS": "200"})
    assert str(overlay) in table.stdout
    bundled = kz("--no-color", "sources", "-f", "table", env={"COLUMNS": "200"}).stdout
    assert "bundled" in bundled


def test_an_id_clash_names_both_files(kz, overlay: Path) -> None:
    """A layer may not redefine an id: exit 3, and the message names both files by full path."""
    events = overlay / "events.yaml"
    events.write_text(OVERLAY_EVENTS.replace("shelters-open", "rescue-teams-arrive"), encoding="utf-8")
    result = kz(*MINI, "--with", str(overlay), "timeline")
    assert result.code == ExitCode.INVALID_KB
    clash = next(line for line in result.stderr.splitlines() if "duplicate id" in line)
    assert clash.startswith(
        f"{events}:1: rescue-teams-arrive: duplicate id (first defined at {MINI_KB / 'events.yaml'}:"
    )


def test_aliases_must_name_an_existing_actor_or_place(kz, overlay: Path) -> None:
    """An alias set for an id no layer defines is a validation error at its line."""
    (overlay / "aliases.yaml").write_text("- id: nobody\n  aliases: [No One]\n", encoding="utf-8")
    result = kz(*MINI, "--with", str(overlay), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert f"{overlay / 'aliases.yaml'}:1: nobody: id: no actor or place 'nobody'" in result.stderr


def test_a_missing_layer_folder_is_an_invalid_kb(kz, tmp_path: Path) -> None:
    """--with a folder that does not exist exits 3 with one line naming it."""
    result = kz(*MINI, "--with", str(tmp_path / "nowhere"), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "nowhere: knowledge-base folder does not exist" in result.stderr


def test_validate_checks_every_layer_together(kz, overlay: Path) -> None:
    """kz validate with --with validates the base and the layer as one KB."""
    result = kz(*MINI, "--with", str(overlay), "validate")
    assert result.code == ExitCode.OK, result.stderr
    assert "3 sources, 4 events" in result.stdout


def test_editing_a_layer_rebuilds_the_index(kz, overlay: Path) -> None:
    """A changed layer file is never served from a stale cache."""
    assert "shelters-open" in kz(*MINI, "--with", str(overlay), "timeline").stdout
    events = overlay / "events.yaml"
    events.write_text(
        OVERLAY_EVENTS.replace("Shelters open in Eastford", "Shelters opened"), encoding="utf-8"
    )
    out = kz(*MINI, "--with", str(overlay), "timeline", "-f", "json").stdout
    assert "Shelters opened" in {e["title"] for e in json.loads(out)}
