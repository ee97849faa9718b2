"""Crash tests in the spirit of SQLite's: kill kz at random moments; the next run must be right and clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from crash import crash_rounds, group_members, kz_argv, wait_group_gone  # bench/ is not a package
from synth import synthesise

pytestmark = [pytest.mark.hostile, pytest.mark.subprocess]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_build_leaves_no_worker(tmp_path: Path, sig: signal.Signals) -> None:
    """When only the main process of a cold build dies (SIGKILL or SIGTERM), its forked worker dies too."""
    synthesise(1500, tmp_path / "kb")
    env = {**os.environ, "KZ_CACHE_DIR": str(tmp_path / "cache"), "KZ_DATA_DIR": str(tmp_path / "kb")}
    proc = subprocess.Popen(
        kz_argv("timeline"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(group_members(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the build ended before its worker was seen"
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    assert wait_group_gone(proc.pid) == []


def test_random_kills_of_builds_and_exports_recover(tmp_path: Path) -> None:
    """Builds and exports SIGKILLed at random: right answers next run, no temp files, no processes left."""
    tally = crash_rounds(tmp_path, events=600, kills=4, seed=7)
    assert tally.kills >= 1
    assert tally.wrong == []
    assert tally.leftover == []
    assert tally.orphans == []
    assert tally.recovered == 4
