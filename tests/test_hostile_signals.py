"""Signals reach every process kz starts: Ctrl-C ends kz with 130, SIGTERM with 143, quietly, never a hang.

A run the signal reaches before Python has set up, or after kz has finished, dies by
the signal itself; a shell reports that as 130 or 143 too, so the tallies accept it.
"""

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
from crash import block_yaml_kb, group_members, kz_argv, leftovers, signal_rounds, wait_group_gone

pytestmark = [pytest.mark.hostile, pytest.mark.subprocess]

# Announces, then slows, the loading of kz's modules, so a test can signal kz while it is still loading.
SLOW_LOADING = (
    "import sys, time\n"
    "class Slow:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'kzcli.cli.app':\n"
    "            sys.stderr.write('LOADING\\n'); sys.stderr.flush(); time.sleep(2)\n"
    "        return None\n"
    "sys.meta_path.insert(0, Slow())\n"
    "sys.argv[0] = 'kz'\n"
    "from kzcli.entry import main; main()\n"
)


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


@pytest.fixture(scope="module")
def block_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One block-YAML KB for the module: writing it costs more than a run of kz on it."""
    return block_yaml_kb(tmp_path_factory.mktemp("signals"), 2000)


def _with_worker(tmp_path: Path, kb: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A cold `kz validate` of a block-YAML KB, started and waited on until its forked worker runs."""
    env = {**os.environ, "KZ_CACHE_DIR": str(tmp_path / "cache"), "KZ_DATA_DIR": str(kb)}
    env.pop("KZ_DATA_PATH", None)
    proc = _start(kz_argv("validate"), env)
    deadline = time.monotonic() + 60
    while len(group_members(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert proc.poll() is None, "kz ended before its worker was seen"
    return proc, env


def _ended(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=20)
    return proc.returncode, err.decode()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_while_the_worker_runs_ends_kz_and_its_worker(
    tmp_path: Path, block_kb: Path, presses: int
) -> None:
    """Ctrl-C to the group (once, or again in the clean-up) while the YAML worker runs: exit 130, quietly."""
    proc, _env = _with_worker(tmp_path, block_kb)
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.02)
    code, err = _ended(proc)
    assert code == 130
    assert "Traceback" not in err
    assert wait_group_gone(proc.pid) == []


def test_sigterm_to_kz_alone_stops_its_worker_and_exits_143(tmp_path: Path, block_kb: Path) -> None:
    """SIGTERM to the main process alone (as a service manager sends): worker stopped, 143, no temporaries."""
    proc, _env = _with_worker(tmp_path, block_kb)
    os.kill(proc.pid, signal.SIGTERM)
    code, err = _ended(proc)
    assert code == 143
    assert "Traceback" not in err
    assert wait_group_gone(proc.pid) == []
    assert leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_kz_loads_ends_it_quietly(tmp_path: Path, sig: signal.Signals, expected: int) -> None:
    """A signal while kz's modules are still being imported: the documented exit, no traceback."""
    env = {**os.environ, "KZ_CACHE_DIR": str(tmp_path / "cache")}
    proc = _start([sys.executable, "-c", SLOW_LOADING, "timeline"], env)
    assert proc.stderr is not None
    assert proc.stderr.readline() == b"LOADING\n"
    os.kill(proc.pid, sig)
    code, err = _ended(proc)
    assert (code, err) == (expected, "")


def test_signals_at_random_moments_never_hang_or_print_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C, a double Ctrl-C and SIGTERM at random moments of `kz validate`: each ends, quietly, alone."""
    tally = signal_rounds(tmp_path, events=800, rounds=5, seed=5, command=("validate",))
    assert tally.hung == 0
    assert tally.tracebacks == 0
    assert tally.orphans == []
    assert set(tally.exits) <= {0, 130, 143, -signal.SIGINT, -signal.SIGTERM}, tally.exits
