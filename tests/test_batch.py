"""Many lookups in one call: several names, or `-` and one name a line on stdin."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from conftest import MINI, kz_executable, run_kz
from kzcli.errors import ExitCode


def test_several_names_give_one_json_line_each_in_order() -> None:
    """`kz actor A B -f jsonl`: one whole profile per line, in the order asked."""
    result = run_kz("actor", "tokayev", "Lukashenko", "-f", "jsonl")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in docs] == ["kassym-jomart-tokayev", "alexander-lukashenko"]
    assert all("events" in d and "sources" in d for d in docs)


@pytest.mark.hostile
def test_names_from_stdin_skip_blank_lines_and_report_misses() -> None:
    """`-` reads one name a line; a miss is one kz: line on stderr, the rest are answered, exit 1."""
    result = run_kz("actor", "-", "--fields", "id", "-f", "tsv", input="Tokayev\n\nnobody\nТокаев\n")
    assert result.returncode == ExitCode.NO_MATCH
    assert result.stdout.splitlines() == ["id", "kassym-jomart-tokayev", "kassym-jomart-tokayev"]
    assert result.stderr.splitlines() == [
        "kz: no actor matches 'nobody'",
        "kz: 1 of 3 actor names matched nothing (listed above)",
    ]


def test_batch_json_is_one_list_and_a_table_is_one_table() -> None:
    """JSON gathers the answers into one list; a table (or Markdown) is one table with a row each."""
    listed = json.loads(run_kz(*MINI, "actor", "reyes", "reyes", "-f", "json").stdout)
    assert [d["id"] for d in listed] == ["dana-reyes", "dana-reyes"]
    md = run_kz(*MINI, "place", "eastford", "eastford", "-f", "md").stdout
    assert md.count("| Id |") == 1
    assert md.count("| eastford |") == 2


def test_batch_csv_is_the_listing_line_of_each_answer() -> None:
    """CSV gives each answer's line of `kz sources`, under one header."""
    out = run_kz("source", "TWA", "CC", "-f", "csv", "--fields", "id,key,facts").stdout
    listing = run_kz("sources", "-f", "csv", "--fields", "id,key,facts").stdout.splitlines()
    line = {row.split(",")[1]: row for row in listing[1:]}
    assert out.splitlines() == [listing[0], line["TWA"], line["CC"]]
    assert line["TWA"].startswith("turbulent-week-analysis,TWA,")


def test_cite_several_ids_and_csl_json_is_one_list() -> None:
    """`kz cite A B -s csl-json` is one CSL-JSON list of each citation's items; an unknown id adds none."""
    both = json.loads(run_kz("cite", "csto-help-requested", "PG", "nope", "-s", "csl-json").stdout)
    one = json.loads(run_kz("cite", "csto-help-requested", "-s", "csl-json").stdout)
    source = json.loads(run_kz("cite", "PG", "-s", "csl-json").stdout)
    assert len(source) == 1
    assert both == one + source
    text = run_kz("cite", "deaths-total-chaos", "shoot-to-kill-order").stdout
    assert "deaths" in text
    assert "shoot" in text


def test_jsonl_streams_answers_before_stdin_ends() -> None:
    """An answer comes out as soon as its name is read, before the input is closed."""
    proc = subprocess.Popen(
        [kz_executable(), "actor", "-", "-f", "jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write("tokayev\n")
    proc.stdin.flush()
    started = time.monotonic()
    line = proc.stdout.readline()
    assert json.loads(line)["id"] == "kassym-jomart-tokayev"
    assert time.monotonic() - started < 30
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


@pytest.mark.hostile
@pytest.mark.parametrize("command", ["actor", "place", "source", "cite"])
def test_every_batch_command_reports_a_miss_without_stopping(command: str) -> None:
    """Each of the four commands answers the good names and exits 1 for the bad one."""
    good = {"actor": "tokayev", "place": "almaty", "source": "TWA", "cite": "csto-help-requested"}[command]
    result = run_kz(command, "no-such-thing", good)
    assert result.returncode == ExitCode.NO_MATCH
    assert result.stdout.strip()
    assert result.stderr.splitlines()[-1].startswith("kz: 1 of 2 ")
