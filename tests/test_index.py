"""The compiled index: rebuilt when the KB changes, robust to a broken cache."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import kzcli.index.store
from conftest import MINI_KB, kz_executable

pytestmark = pytest.mark.hostile


def _titles(kz, kb: Path) -> list[str]:
    return [e["title"] for e in json.loads(kz("--data-dir", str(kb), "timeline", "-f", "json").stdout)]


def test_edit_between_runs_is_never_stale(kz, mini_kb: Path) -> None:
    """Changing a YAML file, even to the same size, gives the new answer at once."""
    assert "Rescue teams arrive" in _titles(kz, mini_kb)
    events = mini_kb / "events.yaml"
    events.write_text(
        events.read_text(encoding="utf-8").replace("Rescue teams arrive", "Rescue teams ARRIVE"),
        encoding="utf-8",
    )
    assert "Rescue teams ARRIVE" in _titles(kz, mini_kb)


def test_invalid_edit_fails_instead_of_serving_old_index(kz, mini_kb: Path) -> None:
    """A KB broken after a good run exits 3; the earlier index is not used."""
    assert kz("--data-dir", str(mini_kb), "timeline").code == 0
    (mini_kb / "places.yaml").write_text("- id: [\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "timeline")
    assert result.code == 3
    assert "places.yaml:" in result.stderr


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_cache_file_is_rebuilt(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """A truncated, garbage or empty cache file is replaced by a fresh build."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path))
    expected = _titles(kz, MINI_KB)
    (cached,) = tmp_path.glob("kz-index-*.sqlite")
    data = cached.read_bytes()
    cached.write_bytes(
        {"truncate": data[: len(data) // 2], "garbage": os.urandom(len(data)), "empty": b""}[damage]
    )
    assert _titles(kz, MINI_KB) == expected
    assert cached.read_bytes()[:16] == b"SQLite format 3\x00"


def test_unwritable_cache_falls_back_to_memory(kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache dir that is a file (so cannot be created) still gives an answer."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("KZ_CACHE_DIR", str(blocker / "cache"))
    assert "Rescue teams arrive" in _titles(kz, MINI_KB)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_cache_dir_falls_back_to_memory(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only cache folder still gives an answer."""
    tmp_path.chmod(0o500)
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path))
    try:
        assert "Rescue teams arrive" in _titles(kz, MINI_KB)
    finally:
        tmp_path.chmod(0o700)


def test_concurrent_cold_starts_all_succeed(tmp_path: Path) -> None:
    """Twenty kz processes on one cold cache all succeed, print the same, and leave no temp file."""
    env = {**os.environ, "KZ_CACHE_DIR": str(tmp_path / "cache"), "KZ_DATA_DIR": str(MINI_KB)}
    procs = [
        subprocess.Popen(
            [kz_executable(), "timeline", "-f", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for _ in range(20)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 20
    assert len({out for out, _ in outputs}) == 1
    assert all(err == "" for _, err in outputs)
    assert list((tmp_path / "cache").glob(".kz-tmp-*.tmp")) == []
    assert len(list((tmp_path / "cache").glob("kz-index-*.sqlite"))) == 1


def _age(kb: Path, seconds: int = 60) -> None:
    """Backdate every file's mtime, as if edited a while ago."""
    for path in kb.iterdir():
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - seconds * 1_000_000_000))


def test_unchanged_files_are_not_reread(kz, mini_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once stamped, a warm lookup finds its index from file sizes and times, without reading the KB."""
    _age(mini_kb)
    expected = _titles(kz, mini_kb)

    def no_reading(folder: Path) -> None:
        raise AssertionError(f"read {folder} although nothing changed")

    monkeypatch.setattr(kzcli.index.store, "read_kb", no_reading)
    assert _titles(kz, mini_kb) == expected


def test_edit_that_restores_mtime_is_still_seen(kz, mini_kb: Path) -> None:
    """An edit whose tool resets the old mtime still changes ctime, so the index is rebuilt."""
    _age(mini_kb)
    assert "Rescue teams arrive" in _titles(kz, mini_kb)
    events = mini_kb / "events.yaml"
    info = events.stat()
    events.write_text(
        events.read_text(encoding="utf-8").replace("teams arrive", "teams ARRIVE"), encoding="utf-8"
    )
    os.utime(events, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert "Rescue teams ARRIVE" in _titles(kz, mini_kb)


def test_a_day_inside_the_longest_event_lists_it(kz) -> None:
    """The timeline bounds its scan by the longest event's span: a day in that span still finds the event."""
    events = json.loads(kz("timeline", "--background", "-f", "json").stdout)
    spans = [(e["date"], e.get("end_date") or e["date"], e["id"]) for e in events]
    first, last, longest = max(spans, key=lambda s: (len(range(int(s[0][:4]), int(s[1][:4]) + 1)), s[2]))
    middle = f"{(int(first[:4]) + int(last[:4])) // 2}-06-15"
    shown = json.loads(kz("timeline", "--from", middle, "--to", middle, "-f", "json").stdout)
    assert longest in [e["id"] for e in shown]
