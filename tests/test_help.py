"""Help and completion that know kz: panels, plain metavars, examples, environment, names in any script."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from conftest import MINI, kz_executable, run_kz
from kzcli.cli.app import _command_name, app

COMMANDS = sorted(_command_name(c) for c in app.registered_commands)
PLAIN = {"_TYPER_FORCE_DISABLE_TERMINAL": "1", "COLUMNS": "100"}


def test_top_help_lists_commands_in_panels_with_environment_and_exit_codes() -> None:
    """`kz --help` groups commands by panel and lists the environment variables and exit codes."""
    out = run_kz("--help", env=PLAIN).stdout
    panels = [line for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert panels == ["Options:", "Lookups:", "Research:", "The knowledge base:", "Shell:", "Environment:",
                      "Exit codes:", "Examples:"]  # fmt: skip
    for name in ("KZ_DATA_DIR", "KZ_DATA_PATH", "KZ_CACHE_DIR", "KZ_PAGER", "NO_COLOR"):
        assert name in out
    assert re.search(r"^  5 +--strict", out, re.MULTILINE)
    assert "..." not in out.split("\n", 1)[1], "a command's description was cut off"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_examples_and_plain_metavars(command: str) -> None:
    """Each command's help ends with examples of itself and names values in words, never Python types."""
    out = run_kz(command, "--help", env=PLAIN).stdout
    examples = out.split("Examples:\n", 1)[1]
    assert all(line.strip().startswith(f"kz {command}") for line in examples.splitlines() if line.strip())
    assert not re.search(r"<[a-z][^>]*>|\{[a-z]+\}|\[\[|list\[str\]", out)


def _complete(words: str, shell: str = "bash") -> list[str]:
    env = {**os.environ, "_KZ_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env |= {
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
    else:
        env |= {"_TYPER_COMPLETE_ARGS": words, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    result = subprocess.run(
        [kz_executable()], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stderr == ""
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        ("kz actor tok", "kassym-jomart-tokayev"),
        ("kz actor Тока", "kassym-jomart-tokayev"),
        ("kz actor kassym", "kassym-jomart-tokayev"),
        ("kz timeline --actor nazarb", "nursultan-nazarbayev"),
        ("kz place amalty", "almaty"),
        ("kz figures dea", "deaths"),
        ("kz figures --metric arr", "arrests"),
        ("kz schema eve", "events"),
        ("kz cite csto-h", "csto-help-requested"),
        ("kz source chaos", "chaos-and-crackdown"),
        ("kz completion ", "zsh"),
    ],
)
def test_completion_offers_ids_for_names_aliases_metrics_kinds_and_cite_ids(words: str, offered: str) -> None:
    """Completion knows kz's names in any script and spelling, and offers the id the command takes."""
    assert offered in _complete(words)


def test_completion_offers_nothing_rather_than_file_names_for_an_id() -> None:
    """A name that matches nothing completes to nothing: no file names where an id is expected."""
    assert [line for line in _complete("kz actor zzzz") if line] == []
    # Typer answers zsh's empty completions with `_files`; kz's zsh script drops that answer.
    assert _complete("kz actor zzzz", "zsh") == ["_files"]
    assert "[[ $answer == _files ]] || eval" in run_kz("completion", "zsh").stdout


def test_fish_completion_shows_the_name_beside_the_id() -> None:
    """fish shows each id with its name as the description."""
    offered = _complete("kz place alm", "fish")
    assert [line.split()[-1] for line in offered if line.startswith("almaty")] == ["Almaty"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_never_fall_back_to_files(shell: str) -> None:
    """`kz completion SHELL` prints a script naming kz, with no file-name fallback."""
    script = run_kz("completion", shell).stdout
    assert "_KZ_COMPLETE=complete_" + shell in script
    assert "-o default" not in script
    assert "_files" not in script.replace("== _files", "")


def test_bash_script_completes_in_a_real_bash() -> None:
    """Sourced into bash, the script fills COMPREPLY for `kz actor tok`."""
    script = run_kz("completion", "bash").stdout
    program = f"""{script}
COMP_WORDS=(kz actor tok); COMP_CWORD=2; _kz_complete kz; printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    bin_dir = os.path.dirname(kz_executable())
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", "-c", program], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.split() == ["kassym-jomart-tokayev"]


def test_completion_uses_the_data_dir_given() -> None:
    """Completion reads the knowledge base named by --data-dir on the same line."""
    assert "dana-reyes" in _complete(f"kz {' '.join(MINI)} actor dan")
