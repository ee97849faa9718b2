"""Under any memory limit a build can start with, kz ends: an answer, or one `kz:` line and exit 6; no hang.

Below about 45 MiB CPython itself cannot import kz's libraries (its import machinery
fails with SystemError), so the limits start above that.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from crash import block_yaml_kb, kz_argv, leftovers, wait_group_gone
from synth import synthesise

pytestmark = [pytest.mark.hostile, pytest.mark.subprocess]

# Address-space limits in MiB, from below what Python needs to start kz to plenty.
LIMITS_MIB = [50, 70, 100, 150, 4000]


def _limited(mib: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (mib << 20, mib << 20))


def _run_limited(kb: Path, cache: Path, mib: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KZ_CACHE_DIR": str(cache), "KZ_DATA_DIR": str(kb)}
    env.pop("KZ_DATA_PATH", None)
    proc = subprocess.Popen(
        kz_argv(*args),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: _limited(mib),
        start_new_session=True,
    )
    _, err = proc.communicate(timeout=120)  # a hang fails the test here
    assert wait_group_gone(proc.pid) == [], f"{mib} MiB: a worker outlived kz"
    return subprocess.CompletedProcess(args, proc.returncode, "", err)


@pytest.mark.parametrize("shape", ["json-lines", "block-yaml"])
def test_every_memory_limit_ends_in_an_answer_or_one_line(tmp_path: Path, shape: str) -> None:
    """A cold build at each limit (forked worker on): exit 0, or 6 and one `kz:` line; no temporaries left."""
    if shape == "block-yaml":
        kb = block_yaml_kb(tmp_path, 800)
    else:
        synthesise(800, tmp_path / "kb")
        kb = tmp_path / "kb"
    codes = {}
    for mib in LIMITS_MIB:
        cache = tmp_path / f"cache-{mib}"
        done = _run_limited(kb, cache, mib, "validate" if shape == "block-yaml" else "timeline")
        codes[mib] = done.returncode
        if done.returncode != 0:
            assert done.returncode == 6, f"{mib} MiB: exit {done.returncode}: {done.stderr[-500:]}"
            assert done.stderr.startswith("kz: out of memory"), done.stderr
            assert done.stderr.count("\n") == 1, done.stderr
        assert leftovers(cache) == [], f"{mib} MiB left temporaries"
    assert codes[LIMITS_MIB[0]] == 6, codes
    assert codes[LIMITS_MIB[-1]] == 0, codes
