"""Shared fixtures: an isolated cache, the fixture KB, and runners for the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from kzcli.cli import app

# CI runs a small, fast profile; KZ_HYPOTHESIS=thorough explores far more inputs locally.
settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("KZ_HYPOTHESIS", "ci"))

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MINI_KB = HERE / "fixtures" / "mini" / "kb"
MINI_TEXTS = HERE / "fixtures" / "mini" / "texts"
# The fixture KB as global options: kz(*MINI, "timeline").
MINI = ("--data-dir", str(MINI_KB))
GOLDEN = HERE / "golden"
SHARED_SOURCES = Path(os.environ.get("KZ_SOURCES_DIR", REPO.parent / "shared" / "sources"))


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the whole run, so the bundled index is built once."""
    return tmp_path_factory.mktemp("kz-cache")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, session_cache: Path) -> None:
    """Every test gets the shared test cache and none of the user's kz settings."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(session_cache))
    for name in ("KZ_DATA_DIR", "NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS", "PY_COLORS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def mini_kb(tmp_path: Path) -> Path:
    """A private copy of the fixture KB that a test may edit."""
    target = tmp_path / "kb"
    shutil.copytree(MINI_KB, target)
    return target


def retitle_event(kb: Path, title_yaml: str) -> None:
    """Give the fixture KB's 'Rescue teams arrive' event a new title, written as YAML."""
    events = kb / "events.yaml"
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace("title: Rescue teams arrive", f"title: {title_yaml}"), encoding="utf-8")


class Result:
    """What a kz run produced."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr


def cli_runner() -> CliRunner:
    """A CliRunner that keeps stderr apart (click before 8.2 mixed it into stdout unless told not to)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


@pytest.fixture
def kz() -> object:
    """Run kz in-process through Typer's CliRunner: kz("timeline", "-f", "json")."""
    runner = cli_runner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


def kz_executable() -> str:
    """The installed console script next to this interpreter."""
    script = Path(sys.executable).parent / ("kz.exe" if os.name == "nt" else "kz")
    if not script.exists():
        pytest.skip(f"no kz console script at {script}; install the package first")
    return str(script)


def run_kz(
    *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the real console script as a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [kz_executable(), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
        **kwargs,
    )


def run_in_terminal(*args: str, columns: int = 100, env: dict[str, str] | None = None) -> str:
    """Run the console script on a pseudo-terminal `columns` wide; what a terminal would show.

    No pager unless `env` names one: nobody is there to press q.
    """
    import pty

    leader, follower = pty.openpty()
    env = {
        **os.environ,
        "COLUMNS": str(columns),
        "LINES": "50",
        "TERM": "xterm",
        "KZ_PAGER": "cat",
        **(env or {}),
    }
    env.pop("_TYPER_FORCE_DISABLE_TERMINAL", None)
    proc = subprocess.Popen([kz_executable(), *args], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    proc.wait(timeout=60)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def assert_matches_golden(name: str, out: str) -> None:
    """`out` is exactly tests/golden/NAME.txt; KZ_UPDATE_GOLDEN=1 rewrites the file (review the diff)."""
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("KZ_UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
