"""The installed console script in real processes: pipes, locales, exit codes, imports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI_KB, kz_executable, run_kz
from kzcli.errors import ExitCode

pytestmark = pytest.mark.subprocess


@pytest.mark.hostile
def test_head_closes_pipe_quietly() -> None:
    """`kz timeline | head -1` ends with no traceback and no 'Exception ignored' line."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    command = f"'{kz_executable()}' timeline --evidence | head -n 1; echo \"rc=${{PIPESTATUS[0]}}\" >&2"
    for _ in range(3):
        done = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert done.stdout.startswith("id\tdate")
        assert "Traceback" not in done.stderr
        assert "Exception ignored" not in done.stderr
        assert done.stderr.strip().splitlines()[-1] in {"rc=0", f"rc={ExitCode.OUTPUT}"}


def _big_kb(folder: Path, events: int) -> Path:
    """The fixture KB plus many events, so output outgrows a pipe's buffer."""
    shutil.copytree(MINI_KB, folder)
    with (folder / "events.yaml").open("a", encoding="utf-8") as out:
        for i in range(events):
            out.write(
                f'\n- id: filler-{i}\n  date: "2020-03-04"\n  title: Filler event number {i}\n'
                "  summary: Padding so the output is larger than a pipe buffer holds.\n"
                "  citations:\n    - source: alpha\n      paragraph: 4\n"
                "      excerpt: Rescue teams from the capital arrived on 4 March 2020.\n"
            )
    return folder


@pytest.mark.hostile
def test_closed_pipe_exit_code_is_4(tmp_path: Path) -> None:
    """When the reader goes away before kz finishes writing, kz exits 4 silently."""
    kb = _big_kb(tmp_path / "kb", 1500)
    assert run_kz("--data-dir", str(kb), "validate").returncode == ExitCode.OK
    proc = subprocess.Popen(
        [kz_executable(), "--data-dir", str(kb), "timeline", "--evidence"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait(timeout=60) == ExitCode.OUTPUT
    assert proc.stderr.read() == b""


@pytest.mark.hostile
def test_full_disk_is_exit_4_with_message() -> None:
    """Writing to /dev/full gives exit 4 and one clear line."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [kz_executable(), "timeline"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == ExitCode.OUTPUT
    assert done.stderr.strip() == "kz: cannot write output: No space left on device"


@pytest.mark.hostile
@pytest.mark.parametrize(
    "env",
    [{"LC_ALL": "C", "LANG": "C"}, {"PYTHONIOENCODING": "ascii"}, {"TERM": "dumb"}, {"NO_COLOR": "1"}],
    ids=["LC_ALL=C", "ascii", "TERM=dumb", "NO_COLOR"],
)
def test_odd_environments_still_answer(env: dict[str, str]) -> None:
    """Plain locales and ASCII-only stdout print the timeline without error."""
    done = run_kz("timeline", "-f", "table", env=env)
    assert done.returncode == ExitCode.OK, done.stderr
    assert "date-csto-help-requested (contradiction)" in " ".join(done.stdout.split())
    assert "TWA" in done.stdout
    assert done.stderr == ""


def test_piped_default_is_plain_tsv() -> None:
    """With stdout a pipe, the default is TSV: no colour, no box drawing."""
    done = run_kz("timeline")
    assert done.stdout.startswith("id\tdate\t")
    assert "\x1b" not in done.stdout
    assert "─" not in done.stdout


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("actor", "zzzz-no-such-actor"), ExitCode.NO_MATCH),
        (("timeline", "--from", "nonsense"), ExitCode.USAGE),
        (("no-such-command",), ExitCode.USAGE),
        (("--data-dir", "/nonexistent/kb", "timeline"), ExitCode.INVALID_KB),
        (("timeline",), ExitCode.OK),
    ],
)
def test_real_exit_codes(args: tuple[str, ...], code: int) -> None:
    """The documented exit codes reach the shell, with no traceback."""
    done = run_kz(*args)
    assert done.returncode == code
    assert "Traceback" not in done.stderr


def test_python_m_kzcli_works() -> None:
    """`python -m kzcli` runs the same CLI."""
    done = subprocess.run(
        [sys.executable, "-m", "kzcli", "actor", "tokayev", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert json.loads(done.stdout)["id"] == "kassym-jomart-tokayev"


_PROBE = """
import sys
from kzcli.entry import main
sys.argv = ["kz", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
finally:
    watched = ("yaml", "rich", "kzcli.kb.schema", "kzcli.kb.validate", "kzcli.index.compile")
    heavy = sorted(m for m in watched if m in sys.modules)
    print("LOADED:" + ",".join(heavy), file=sys.stderr)
"""


def _loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(li for li in done.stderr.splitlines() if li.startswith("LOADED:"))
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


@pytest.mark.parametrize(
    "args",
    [
        ("actor", "tokayev", "-f", "json"),
        ("timeline",),
        ("figures", "--casualties"),
        ("search", "almaty"),
        ("disputes", "-f", "json"),
    ],
)
def test_warm_lookup_imports_no_yaml_schema_or_rich(args: tuple[str, ...]) -> None:
    """On a warm cache, lookups import neither yaml, the schema, nor rich."""
    _loaded("timeline")  # warm the cache
    assert _loaded(*args) == []


def test_only_terminal_tables_import_rich() -> None:
    """A table (the terminal format) is the one output that loads rich."""
    _loaded("timeline")
    assert _loaded("timeline", "-f", "table") == ["rich"]


def test_cold_cache_builds_then_warm_reuses(tmp_path: Path) -> None:
    """A cold run compiles the KB (yaml loaded); the next run reads the cache only."""
    env = {"KZ_CACHE_DIR": str(tmp_path / "cache"), "KZ_DATA_DIR": str(MINI_KB)}
    os.environ.update(env)
    try:
        assert "yaml" in _loaded("timeline")
        assert _loaded("timeline") == []
        assert len(list((tmp_path / "cache").glob("kz-index-*.sqlite"))) == 1
    finally:
        for key in env:
            os.environ.pop(key)


def test_completion_offers_actor_ids() -> None:
    """Shell completion of an actor name comes from the index."""
    done = run_kz(env={"_KZ_COMPLETE": "complete_bash", "COMP_WORDS": "kz actor kass", "COMP_CWORD": "2"})
    assert "kassym-jomart-tokayev" in done.stdout
