"""The README's examples are real: each console block is what kz prints, and each pipeline runs.

A console block (```console) holds `$ kz ARGS` and the table kz draws at a 100-column terminal
without colour; a block that ends in `...` shows the first lines only. KZ_UPDATE_README=1
rewrites the blocks from real output (review the diff). In ```sh blocks every line that starts
with `kz` is run up to its first pipe or redirection and must succeed.
"""

from __future__ import annotations

import os
import re
import shlex

import pytest

from conftest import REPO

README = REPO / "README.md"
CONSOLE = re.compile(r"```console\n\$ kz (?P<args>[^\n]*)\n(?P<shown>.*?)```", re.DOTALL)
SHELL = re.compile(r"```sh\n(?P<body>.*?)```", re.DOTALL)
# Lines that need files of the reader's own (a layer, a list of ids, a metadata file), or that
# install something: they are shown, not run here.
NEEDS_OWN_FILES = ("--with mine", "< ids.txt", "--metadata", "completion ", "> ~", '> "$')


def _table(kz, args: str) -> str:
    # kz cite prints citations, not a table: it has --style and no --format.
    as_table = [] if args.startswith("cite ") else ["-f", "table"]
    result = kz("--no-color", *shlex.split(args), *as_table, env={"COLUMNS": "100"})
    assert result.code == 0, f"kz {args}: exit {result.code}: {result.stderr}"
    return result.stdout


def _console_blocks() -> list[tuple[str, str]]:
    return [(m["args"], m["shown"]) for m in CONSOLE.finditer(README.read_text(encoding="utf-8"))]


@pytest.mark.golden
@pytest.mark.parametrize(("args", "shown"), _console_blocks(), ids=[a for a, _ in _console_blocks()])
def test_each_console_example_is_what_kz_prints(kz, args: str, shown: str) -> None:
    """The table under `$ kz ARGS` is kz's real output (its first lines where the block ends in ...)."""
    real = _table(kz, args)
    if os.environ.get("KZ_UPDATE_README"):
        text = README.read_text(encoding="utf-8")
        kept = shown.endswith("...\n")
        new = "".join(real.splitlines(keepends=True)[: shown.count("\n") - 1]) + "...\n" if kept else real
        README.write_text(text.replace(f"$ kz {args}\n{shown}", f"$ kz {args}\n{new}", 1), encoding="utf-8")
        return
    if shown.endswith("...\n"):
        head = shown[: -len("...\n")]
        assert head, f"kz {args}: a README block shows nothing before its ..."
        assert real.startswith(head), f"kz {args}: the README's first lines differ"
    else:
        assert real == shown, f"kz {args}: the README shows other output (KZ_UPDATE_README=1 rewrites it)"


def _pipeline_commands() -> list[str]:
    found = []
    for block in SHELL.finditer(README.read_text(encoding="utf-8")):
        for line in block["body"].splitlines():
            if line.startswith("kz ") and not any(marker in line for marker in NEEDS_OWN_FILES):
                found.append(re.split(r"\s[|>]\s?|\s#", line)[0].strip())
    return found


@pytest.mark.parametrize("command", _pipeline_commands())
def test_each_pipeline_example_runs(kz, command: str) -> None:
    """The kz part of each pipeline example in the README exits 0 and prints something."""
    result = kz(*shlex.split(command)[1:])
    assert result.code == 0, f"{command}: exit {result.code}: {result.stderr}"
    assert result.stdout.strip(), f"{command}: printed nothing"


def test_the_readme_has_examples_to_check() -> None:
    """The patterns above still find the README's examples (a renamed fence would skip them all)."""
    assert len(_console_blocks()) >= 3
    assert len(_pipeline_commands()) >= 5
