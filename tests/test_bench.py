"""The benchmark's KB generator must keep producing a valid KB that kz answers from."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import REPO
from kzcli.errors import ExitCode

sys.path.insert(0, str(REPO / "bench"))
from synth import synthesise  # bench/ is not a package: imported by path


def test_generated_kb_validates_and_answers(kz, tmp_path: Path) -> None:
    """A 200-event generated KB passes validation (excerpts included) and lookups find its records."""
    counts = synthesise(200, tmp_path / "kb")
    kb = ("--data-dir", str(tmp_path / "kb"))
    checked = kz("validate", str(tmp_path / "kb"), "--sources-dir", str(tmp_path / "kb" / "texts"))
    assert checked.code == ExitCode.OK, checked.stderr
    assert len(json.loads(kz(*kb, "timeline", "-f", "json").stdout)) == counts["events"] == 200
    assert json.loads(kz(*kb, "actor", "actor-7", "-f", "json").stdout)["id"] == "actor-7"
    figures = json.loads(kz(*kb, "figures", "--deaths", "-f", "json").stdout)
    assert figures
    assert {f["metric"] for f in figures} == {"deaths"}
    assert json.loads(kz(*kb, "search", "river", "-n", "5", "-f", "json").stdout)


def test_generator_is_deterministic(tmp_path: Path) -> None:
    """The same N writes the same files, so benchmark runs compare like with like."""
    synthesise(50, tmp_path / "a")
    synthesise(50, tmp_path / "b")
    for name in ("events.yaml", "actors.yaml", "figures.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_large_generated_kb_splits_its_events_into_files(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past EVENTS_PER_FILE, synth writes events/NNNN.yaml slices, and kz reads them as one kind."""
    import synth

    monkeypatch.setattr(synth, "EVENTS_PER_FILE", 50)
    synthesise(120, tmp_path / "kb")
    assert sorted(p.name for p in (tmp_path / "kb" / "events").iterdir()) == [
        "0000.yaml",
        "0001.yaml",
        "0002.yaml",
    ]
    assert not (tmp_path / "kb" / "events.yaml").exists()
    events = kz(
        "--data-dir", str(tmp_path / "kb"), "timeline", "--background", "-f", "json", "--fields", "id"
    )
    assert len(json.loads(events.stdout)) == 120
