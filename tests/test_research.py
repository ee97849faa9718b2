"""Research features: sources side by side, originators, citations, charts, brief, gates, gaps, fields."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from conftest import MINI, assert_matches_golden, run_in_terminal, run_kz
from kzcli.errors import ExitCode


def test_by_source_matrix_has_a_row_per_scope_and_a_cell_per_source(kz) -> None:
    """JSON rows hold each source's figures; the table has one column per source key and a verdict."""
    rows = json.loads(kz(*MINI, "figures", "--deaths", "--by-source", "-f", "json").stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["subject"] == "deaths (total)"
    assert {s for s in row["cells"]} == {"alpha", "beta"}
    assert sorted(c["shown"] for c in row["cells"]["alpha"]) == ["12", "over 30"]
    # Beta's undated 12 against alpha's over 30 by 5 March: no date is not another date.
    assert (row["verdict"], row["disputed"]) == ("contradiction", True)
    assert "beta gives no date of counting" in row["explanation"]
    table = kz(*MINI, "--no-color", "figures", "--deaths", "--by-source", "-f", "table").stdout
    header = table.splitlines()[0].split()
    assert header[0] == "Compared"
    assert header[-1] == "Verdict"
    assert {"A", "beta"} <= set(header)
    assert "✗ contradiction" in table


def test_by_source_csv_has_one_row_per_figure_and_source(kz) -> None:
    """CSV flattens the matrix: one line per (figure, source), each with the row's verdict."""
    out = kz(*MINI, "figures", "--deaths", "--by-source", "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["figure"], r["source"]) for r in rows} == {
        ("deaths-official", "alpha"),
        ("deaths-volunteers", "alpha"),
        ("deaths-beta", "beta"),
    }
    assert {(r["verdict"], r["disputed"]) for r in rows} == {("contradiction", "true")}


def test_attributed_figures_show_originator_via_source_and_filter(kz) -> None:
    """A figure's originator shows as 'X, via KEY'; --attributed-to keeps only that originator's figures."""
    table = kz(*MINI, "--no-color", "figures", "--deaths", "-f", "table").stdout
    assert "City officials, via A" in table
    only = json.loads(kz(*MINI, "figures", "--attributed-to", "officials", "-f", "json").stdout)
    assert [f["id"] for f in only] == ["deaths-official"]
    assert only[0]["attributed_to"] == "city-officials"
    missing = kz(*MINI, "figures", "--attributed-to", "nobody-at-all")
    assert missing.code == ExitCode.NO_MATCH
    assert "no actor" in missing.stderr


def test_unknown_originator_is_a_validation_error(kz, mini_kb: Path) -> None:
    """attributed_to must name a declared actor; the error points at its line."""
    figures = mini_kb / "figures.yaml"
    figures.write_text(figures.read_text().replace("city-officials", "city-council"), encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "figures.yaml:7: deaths-official: attributed_to: unknown actor 'city-council'" in result.stderr


@pytest.mark.parametrize("style", ["text", "markdown", "bibtex", "csl-json"])
def test_cite_a_disputed_figure_cites_every_side(kz, style: str) -> None:
    """Each style names both documents, both paragraphs and both excerpts of a disputed figure."""
    result = kz(*MINI, "cite", "deaths-volunteers", "--style", style)
    assert result.code == ExitCode.OK
    for excerpt in ("Local volunteers counted over 30 deaths by 5 March.", "Officials said 12 people died."):
        assert excerpt in result.stdout
    assert "Alpha Report" in result.stdout
    if style == "csl-json":
        items = json.loads(result.stdout)
        assert {item["id"] for item in items} == {f"kz:deaths-volunteers:{n}" for n in (1, 2, 3)}
        assert all("paragraph" in item["note"] for item in items)
    if style == "bibtex":
        assert result.stdout.count("@misc{") == 3
        assert result.stdout.count("{") == result.stdout.count("}")


def test_cite_a_source_a_statement_and_a_disputed_date(kz) -> None:
    """Sources cite as documents; statements name their actor; a disputed date cites each claim."""
    source = kz(*MINI, "cite", "beta", "--style", "bibtex").stdout
    assert "@misc{kz:beta," in source
    assert "title = {Beta Notes}" in source
    statement = kz(*MINI, "cite", "reyes-worst-flood").stdout
    assert statement.startswith("Dana Reyes: ")
    event = kz(*MINI, "cite", "flood-reaches-eastford").stdout
    assert "dated 2020-03-03" in event
    assert "dated 2020-03-02" in event


def test_cite_an_unknown_id_exits_1_with_one_line(kz) -> None:
    """An id that names nothing is a one-line error, exit 1."""
    result = kz(*MINI, "cite", "no-such-fact")
    assert result.code == ExitCode.NO_MATCH
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("chart-figures-deaths", ("figures", "deaths", "--chart")),
        ("chart-timeline", ("timeline", "--chart", "--from", "2020-03-01", "--to", "2020-03-06")),
    ],
)
def test_charts_at_a_terminal_match_golden(name: str, args: tuple[str, ...]) -> None:
    """Drawn on a real pseudo-terminal 100 columns wide, each chart is exactly the reviewed file."""
    out = run_in_terminal(*MINI, *args, columns=100)
    assert_matches_golden(name, out)
    assert all(len(line) <= 100 for line in out.splitlines())


@pytest.mark.subprocess
def test_charts_in_a_pipe_are_plain_ascii() -> None:
    """Piped, a chart uses ASCII only, keeps the qualifier marker, and no escape codes."""
    out = run_kz(*MINI, "figures", "deaths", "--chart", env={"COLUMNS": "100"}).stdout
    assert out.isascii()
    assert "\x1b" not in out
    assert re.search(r"#+> over 30", out)
    strip = run_kz(*MINI, "timeline", "--chart", "--from", "2020-03-01", "--to", "2020-03-06").stdout
    assert strip.isascii()
    assert "Wed 04 Mar  ####" in strip


def test_chart_json_is_the_drawn_data(kz) -> None:
    """-f json with --chart gives the bars (figures) or the days (timeline) as records."""
    bars = json.loads(kz(*MINI, "figures", "deaths", "--chart", "-f", "json").stdout)
    assert {(b["key"], b["shown"]) for b in bars} == {("A", "12"), ("A", "over 30"), ("beta", "12")}
    days = json.loads(
        kz(*MINI, "timeline", "--chart", "--from", "2020-03-02", "--to", "2020-03-04", "-f", "json").stdout
    )
    assert [(d["date"], d["events"], d["in_dispute"]) for d in days] == [
        ("2020-03-02", 0, 1),
        ("2020-03-03", 0, 1),
        ("2020-03-04", 1, 0),
    ]


@pytest.mark.subprocess
def test_brief_fits_one_screen_and_every_number_is_cited() -> None:
    """At 100 columns the brief is at most 40 lines; every item holding a digit carries a [KEY]."""
    out = run_in_terminal("brief", columns=100)
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= 40
    assert all(len(line) <= 100 for line in lines)
    items: list[str] = []
    for line in lines[1:]:
        if line.startswith("    ") and items:
            items[-1] += " " + line.strip()  # a wrapped continuation belongs to the item above
        else:
            items.append(line)
    sources_at = next(i for i, item in enumerate(items) if item == "Sources")
    for item in items[:sources_at]:
        if re.search(r"\d", item):
            cited = r"\[[^\]]*\b(PG|CC|MJPS|TWA|ECFR)\]|\((?:[^()]*, via )?(PG|CC|MJPS|TWA|ECFR)[,)]"
            assert re.search(cited, item), item


def test_brief_json_has_each_section(kz) -> None:
    """The brief as JSON: what happened, key dates, key actors and figures, each with sources."""
    data = json.loads(kz("brief", "-f", "json").stdout)
    assert set(data) >= {"what_happened", "key_dates", "key_actors", "figures"}
    assert all(item["sources"] for item in data["what_happened"] + data["key_dates"])


def test_min_sources_keeps_facts_with_enough_sources(kz) -> None:
    """--min-sources 2 keeps only the event two sources support."""
    events = json.loads(kz(*MINI, "timeline", "--min-sources", "2", "-f", "json").stdout)
    assert [e["id"] for e in events] == ["flood-reaches-eastford"]
    assert json.loads(kz(*MINI, "figures", "--deaths", "--min-sources", "2", "-f", "json").stdout) == []
    assert kz(*MINI, "timeline", "--min-sources", "0").code == ExitCode.USAGE


def test_strict_exits_5_after_printing_when_a_shown_fact_is_disputed(kz) -> None:
    """--strict prints the answer, then exits 5 if a shown fact is one side of a contradiction, else 0."""
    disputed = kz(*MINI, "timeline", "--strict", "-f", "json")
    assert disputed.code == ExitCode.DISPUTED == 5
    assert len(json.loads(disputed.stdout)) == 3
    assert "1 event date shown is one side of a contradiction" in disputed.stderr
    # Beta's undated toll against alpha's dated one: a missing date explains nothing, so they contradict.
    assert kz(*MINI, "figures", "--deaths", "--strict").code == ExitCode.DISPUTED
    assert kz(*MINI, "figures", "--troops", "--strict").code == ExitCode.OK
    assert kz(*MINI, "timeline", "--from", "2020-03-04", "--strict").code == ExitCode.OK


def test_gaps_list_single_source_facts_loose_dates_and_metadata(kz) -> None:
    """kz gaps names what a contributor could strengthen, one record per gap."""
    found = {(g["type"], g["id"], g["gap"]) for g in json.loads(kz(*MINI, "gaps", "-f", "json").stdout)}
    assert ("event", "rescue-teams-arrive", "single source") in found
    assert ("event", "flood-season", "date not to the day") in found
    assert ("source", "beta", "metadata not stated") in found
    assert ("source", "alpha", "metadata inferred") in found
    assert ("event", "flood-reaches-eastford", "single source") not in found


def test_fields_select_and_order_columns_in_every_format(kz) -> None:
    """--fields keeps the named fields in the given order: JSON keeps types, CSV and TSV keep the header."""
    records = json.loads(kz(*MINI, "timeline", "--fields", "date,id,places", "-f", "json").stdout)
    assert list(records[0]) == ["date", "id", "places"]
    assert isinstance(records[0]["places"], list)
    header = kz(*MINI, "figures", "--deaths", "--fields", "id,shown", "-f", "csv").stdout.splitlines()[0]
    assert header == "id,shown"
    assert kz(*MINI, "actors", "--fields", "name", "-f", "tsv").stdout.splitlines()[:2] == [
        "name",
        "City officials",
    ]
    table = kz(*MINI, "--no-color", "sources", "--fields", "id", "-f", "table").stdout
    assert "alpha" in table
    assert "Alpha Report" not in table


def test_unknown_field_is_a_usage_error_listing_the_names(kz) -> None:
    """A field that does not exist exits 2 and names the available ones."""
    result = kz(*MINI, "timeline", "--fields", "id,colour")
    assert result.code == ExitCode.USAGE
    assert "unknown field 'colour'; available: id, date" in result.stderr


@pytest.mark.subprocess
def test_bare_fields_lists_the_available_names() -> None:
    """`--fields` with no value prints one field name per line, whatever follows it."""
    for args in (("timeline", "--fields"), ("timeline", "--fields", "-f", "json")):
        result = run_kz(*MINI, *args)
        assert result.returncode == ExitCode.OK, result.stderr
        assert result.stdout.splitlines()[:3] == ["id", "date", "date_qualifier"]


def test_schema_codebook_and_json_schema_come_from_the_models(kz) -> None:
    """kz schema names every field with its vocabulary; --json-schema KIND is a JSON Schema for that file."""
    book = kz("schema").stdout
    assert "attributed_to (optional)" in book
    assert "one of: exact, about, over" in book
    schema = json.loads(kz("schema", "--json-schema", "figures").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "array"
    assert kz("schema", "--json-schema").code == ExitCode.USAGE
    assert kz("schema", "nonsense").code == ExitCode.USAGE


@pytest.mark.subprocess
@pytest.mark.parametrize("columns", [60, 80, 100])
def test_bundled_charts_fit_the_terminal_width(columns: int) -> None:
    """No chart line of the bundled KB is wider than the terminal, so nothing wraps."""
    for args in (("timeline", "--chart"), ("figures", "arrests", "troops", "--chart")):
        out = run_in_terminal(*args, columns=columns)
        assert max(len(line) for line in out.splitlines()) <= columns, args


def test_statements_show_originator_via_source_and_filter(kz) -> None:
    """kz statements shows each claim as 'Actor, via KEY'; --attributed-to keeps one actor's."""
    table = kz(*MINI, "--no-color", "statements", "-f", "table").stdout
    assert "Dana Reyes, via A" in table
    only = json.loads(kz(*MINI, "statements", "--attributed-to", "reyes", "-f", "json").stdout)
    assert [s["id"] for s in only] == ["reyes-worst-flood"]
    assert only[0]["actor"] == "dana-reyes"
    assert json.loads(kz(*MINI, "statements", "--attributed-to", "city officials", "-f", "json").stdout) == []
