"""Terminal manners through the real console script: usage errors, global options, the pager, 80 columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import MINI, assert_matches_golden, run_in_terminal, run_kz
from kzcli.cli.argv import globals_first
from kzcli.errors import ExitCode

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["timeline", "--foo"], "kz: unknown option --foo"),
        (["timelin"], "kz: unknown command 'timelin'; did you mean timeline?"),
        (["actor"], "kz: missing NAME (see kz actor --help)"),
        (
            ["timeline", "-f", "xml"],
            "kz: --format: must be one of table, tsv, csv, json, jsonl, md, not 'xml'",
        ),
        (["export", "-f", "csv"], "kz: --format: must be one of json, sqlite, not 'csv'"),
        (["search", "x", "-n", "0"], "kz: --limit: must be"),
        (["timeline", "a", "b"], "kz: unexpected argument(s): a b"),
        (["timeline", "--from"], "kz: --from needs a value"),
        (["timeline", "\n", "\x1b[31m"], "kz: unexpected argument(s): \\x0a \\x1b[31m"),
    ],
)
def test_usage_errors_are_one_kz_line_and_exit_2(args: list[str], wanted: str) -> None:
    """A usage error: one "kz:" line on stderr with a hint, nothing on stdout, exit 2, no library wording."""
    result = run_kz(*args)
    assert result.returncode == ExitCode.USAGE
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(wanted)
    assert not any(word in result.stderr for word in ("Error:", "Usage:", "Value error", "Input should"))


@pytest.mark.parametrize("option", ["--no-color", "--no-pager"])
def test_global_flags_work_after_the_command(option: str) -> None:
    """`kz timeline --no-color` is `kz --no-color timeline`, as git allows."""
    after = run_kz(*MINI, "timeline", option, "-f", "tsv")
    before = run_kz(*MINI, option, "timeline", "-f", "tsv")
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout


def test_data_dir_works_after_the_command() -> None:
    """`--data-dir DIR` after the command picks the same knowledge base as before it."""
    mini = MINI[1]
    after = run_kz("actors", "--data-dir", mini, "-f", "json")
    assert after.returncode == 0, after.stderr
    assert [a["id"] for a in json.loads(after.stdout)] == [
        a["id"] for a in json.loads(run_kz(*MINI, "actors", "-f", "json").stdout)
    ]


def test_a_double_dash_keeps_what_follows_as_words() -> None:
    """After `--`, a word that looks like a global option stays an argument (searched for), not moved."""
    result = run_kz(*MINI, "search", "--", "--no-color")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("type\tid\t")


def _recording_pager(tmp_path: Path) -> tuple[str, Path]:
    record = tmp_path / "paged.txt"
    script = tmp_path / "pager.sh"
    script.write_text(f"#!/bin/sh\ncat > {record}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script), record


def test_a_long_table_at_a_terminal_goes_through_the_pager(tmp_path: Path) -> None:
    """KZ_PAGER receives a table taller than the screen; nothing else is written around it."""
    pager, record = _recording_pager(tmp_path)
    shown = run_in_terminal("timeline", "--no-color", env={"KZ_PAGER": pager, "LINES": "10"})
    assert "Date" in record.read_text(encoding="utf-8")
    assert "Date" not in shown


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-pager", "timeline"], {}),
        (["timeline", "--no-pager"], {}),
        (["timeline"], {"KZ_PAGER": "cat"}),
        (["actor", "reyes", *MINI], {"LINES": "200"}),
    ],
    ids=["--no-pager", "--no-pager-after", "cat", "fits-the-screen"],
)
def test_no_pager_when_told_or_when_the_answer_fits(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    """--no-pager, KZ_PAGER=cat, or an answer shorter than the screen: written straight to the terminal."""
    pager, record = _recording_pager(tmp_path)
    shown = run_in_terminal(*args, "--no-color", env={"KZ_PAGER": pager, "LINES": "10", **env})
    assert not record.exists()
    assert "Date" in shown


def test_pipes_are_never_paged(tmp_path: Path) -> None:
    """Output to a pipe is never paged, whatever PAGER says."""
    pager, record = _recording_pager(tmp_path)
    result = run_kz("timeline", env={"PAGER": pager, "KZ_PAGER": pager})
    assert result.stdout.startswith("id\t")
    assert not record.exists()


MARKS_SHOWN = {"contradiction": "✗", "differs": "≠", "agrees": "=", "slip": "!"}


@pytest.mark.parametrize(
    ("args", "kept_whole"),
    [
        (["figures", "--casualties"], ("metric", "shown", "scope")),
        (["timeline"], ("date",)),
        (["sources"], ("id", "key")),
        (["search", "csto"], ("id",)),
    ],
)
def test_tables_fit_80_columns_without_breaking_ids_or_numbers(
    args: list[str], kept_whole: tuple[str, ...]
) -> None:
    """At 80 columns no line is wider, and every id, value and date shown stands whole on one line."""
    lines = ANSI.sub("", run_in_terminal(*args, "--no-color", columns=80)).splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = json.loads(run_kz(*args, "-f", "json").stdout)
    values = {str(row[name]) for row in rows for name in kept_whole}
    assert [value for value in values if not any(value in line for line in lines)] == []


def test_disputes_at_80_columns_keep_ids_verdicts_and_paragraphs_whole() -> None:
    """At 80 columns each comparison's id and verdict stand whole, and each side's source and ¶ end a line."""
    lines = ANSI.sub("", run_in_terminal("disputes", "--agreements", "--no-color", columns=80)).splitlines()
    assert max(len(line) for line in lines) <= 80
    comparisons = json.loads(run_kz("disputes", "--agreements", "-f", "json").stdout)
    keys = {s["id"]: s["key"] for s in json.loads(run_kz("sources", "-f", "json").stdout)}
    for comparison in comparisons:
        assert any(line.startswith(comparison["id"] + " ") for line in lines), comparison["id"]
        verdict = f"{MARKS_SHOWN[comparison['verdict']]} {comparison['verdict']}"
        assert any(line.startswith(verdict) for line in lines), (comparison["id"], verdict)
        for claim in comparison["claims"]:
            cited = f"{keys[claim['source']]} {claim['paragraph']}"
            assert any(" ".join(line.split()).endswith(cited) for line in lines), (comparison["id"], cited)


def test_narrow_figures_say_which_columns_were_left_out() -> None:
    """The figures table at 80 columns leaves out Note first, and says so; an empty Place goes unmentioned."""
    shown = run_in_terminal("figures", "--casualties", "--no-color", columns=80)
    assert "Left out at this width: Note (" in shown
    assert "Place" not in shown.split("Sources\n")[0]
    assert "at least 160" in shown


@pytest.mark.golden
def test_80_column_golden() -> None:
    """The fixture's figures at 80 columns, exactly as reviewed."""
    assert_matches_golden("figures-80", run_in_terminal(*MINI, "figures", "--no-color", columns=80))


def test_search_marks_matched_words_at_a_terminal() -> None:
    """At a colour terminal the matched words are highlighted; piped, the snippet is plain."""
    shown = run_in_terminal("search", "almaty", "-n", "3")
    assert "\x1b[1;31mAlmaty\x1b[0m" in shown
    piped = run_kz("search", "almaty", "-n", "3", "-f", "tsv").stdout
    assert "\x1b" not in piped
    assert "\ue000" not in piped
    hit = json.loads(run_kz("search", "almaty", "-n", "1", "-f", "json").stdout)[0]
    start, end = hit["matched"][0]
    assert hit["match"][start:end].casefold() in {"almaty", "amalty"}


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["timeline", "--no-color"], ["--no-color", "timeline"]),
        (
            ["--data-dir", "timeline", "timeline", "--no-pager"],
            ["--data-dir", "timeline", "--no-pager", "timeline"],
        ),
        (
            ["actor", "tok", "--data-dir=x", "--with", "y", "-f", "json"],
            ["--data-dir=x", "--with", "y", "actor", "tok", "-f", "json"],
        ),
        (["search", "--", "--no-color"], ["search", "--", "--no-color"]),
        (["--no-color"], ["--no-color"]),
    ],
)
def test_global_options_move_before_the_command(argv: list[str], wanted: list[str]) -> None:
    """Only global options after the command move, with their values; `--` and a value like a command stay."""
    assert globals_first(argv, {"--data-dir", "--with"}, {"--no-color", "--no-pager"}) == wanted
