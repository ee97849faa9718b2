"""The code's shape: small functions, imports that flow down the pipeline, a cache key kept by no one."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from kzcli.cli.app import _global_options
from kzcli.cli.argv import invoked_command

SRC = REPO / "src" / "kzcli"
MAX_FUNCTION_LINES = 60


def test_no_function_in_src_runs_past_a_screen() -> None:
    """Every function and method in src/ is at most 60 lines long, decorators aside."""
    long = [
        f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted(SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or 0) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_each_stage_imports_only_the_stages_below_it() -> None:
    """The import-linter contracts in pyproject.toml hold: kb, index, ask, show, cli over the base."""
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if linter is None:
        pytest.skip("lint-imports is not installed (pip install -e '.[test]')")
    done = subprocess.run([linter], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "0 broken" in done.stdout


def test_global_options_that_take_values_are_read_from_the_callback() -> None:
    """The command name is found after --with DIR and --data-dir DIR, which no list names by hand."""
    with_values, flags = _global_options()
    assert with_values == {"--data-dir", "--with"}
    assert flags == {"--no-color", "--no-pager", "--version"}
    assert (
        invoked_command(["--with", "x", "--data-dir", "y", "--no-color", "actor", "t"], with_values)
        == "actor"
    )


def _index_files(cache: Path) -> set[str]:
    return {p.name for p in cache.rglob("kz-index-*.sqlite")}


@pytest.mark.subprocess
def test_editing_any_build_module_rebuilds_the_index(tmp_path: Path) -> None:
    """A byte changed in a build module, in a private copy of the package, gives a new index."""
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy / "kzcli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "data", tmp_path / "data")
    cache = tmp_path / "cache"
    env = {"PYTHONPATH": str(copy), "KZ_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "kzcli", "actors", "-f", "json"]
    assert subprocess.run(run, env=env, capture_output=True, timeout=120, check=False).returncode == 0
    before = _index_files(cache)
    compiler = copy / "kzcli" / "index" / "compile.py"
    compiler.write_text(compiler.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert subprocess.run(run, env=env, capture_output=True, timeout=120, check=False).returncode == 0
    after = _index_files(cache)
    assert before
    assert after
    assert after != before
