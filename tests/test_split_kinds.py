"""A kind kept in many files: `events/*.yaml` beside or instead of `events.yaml`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import MINI_KB
from kzcli.errors import ExitCode


def _split(target: Path, keep_file: bool) -> Path:
    """The fixture KB with its events split over events/ (and, if asked, one left in events.yaml)."""
    shutil.copytree(MINI_KB, target)
    records = (target / "events.yaml").read_text(encoding="utf-8").split("\n- id: ")
    texts = [records[0], *("- id: " + r for r in records[1:])]
    (target / "events").mkdir()
    (target / "events" / "a.yaml").write_text(texts[0].rstrip() + "\n", encoding="utf-8")
    (target / "events" / "b.yaml").write_text("\n".join(texts[1:-1]).rstrip() + "\n", encoding="utf-8")
    if keep_file:
        (target / "events.yaml").write_text(texts[-1].rstrip() + "\n", encoding="utf-8")
    else:
        (target / "events" / "c.yaml").write_text(texts[-1].rstrip() + "\n", encoding="utf-8")
        (target / "events.yaml").unlink()
    return target


@pytest.mark.parametrize("keep_file", [False, True], ids=["folder-only", "folder-beside-file"])
def test_split_events_answer_as_one_file_does(kz, tmp_path: Path, keep_file: bool) -> None:
    """Events split over events/*.yaml (and events.yaml) give the same timeline as one events.yaml."""
    split = _split(tmp_path / "kb", keep_file)
    whole = kz("--data-dir", str(MINI_KB), "timeline", "--background", "-f", "json").stdout
    parts = kz("--data-dir", str(split), "timeline", "--background", "-f", "json").stdout
    assert json.loads(parts) == json.loads(whole)


def test_a_duplicate_id_across_split_files_names_both(kz, tmp_path: Path) -> None:
    """The same id in two files under events/ is an invalid KB naming both files with their folder."""
    split = _split(tmp_path / "kb", keep_file=False)
    shutil.copy(split / "events" / "c.yaml", split / "events" / "d.yaml")
    result = kz("validate", str(split))
    assert result.code == ExitCode.INVALID_KB
    assert "events/d.yaml:1:" in result.stderr
    assert "first defined at events/c.yaml:1" in result.stderr


def test_editing_one_split_file_rebuilds_the_index(kz, tmp_path: Path) -> None:
    """A change in one file under events/ is seen by the next lookup."""
    split = _split(tmp_path / "kb", keep_file=False)
    before = kz(
        "--data-dir", str(split), "timeline", "--background", "-f", "json", "--fields", "title"
    ).stdout
    part = split / "events" / "a.yaml"
    title = json.loads(before)
    old = next(t["title"] for t in title if t["title"] in part.read_text(encoding="utf-8"))
    part.write_text(
        part.read_text(encoding="utf-8").replace(old, "Renamed in a split file"), encoding="utf-8"
    )
    after = kz("--data-dir", str(split), "timeline", "--background", "-f", "json", "--fields", "title").stdout
    assert "Renamed in a split file" in after


def test_other_folders_are_not_read(kz, tmp_path: Path) -> None:
    """A folder that is not a kind's (source texts, notes) is left alone, YAML inside it or not."""
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    (kb / "texts").mkdir()
    (kb / "texts" / "notes.yaml").write_text("not: a kz file\n", encoding="utf-8")
    assert kz("validate", str(kb)).code == 0
