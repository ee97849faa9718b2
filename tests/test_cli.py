"""Every command, through Typer's CliRunner, in every output format."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import MINI, retitle_event
from kzcli.ask import lookups as queries
from kzcli.cli.app import _command_name, app
from kzcli.errors import ExitCode

LISTINGS = [
    ("timeline",),
    ("actors",),
    ("places",),
    ("figures",),
    ("figures", "--deaths"),
    ("sources",),
    ("search", "flood"),
    ("disputes",),
]
LOOKUPS = [("actor", "reyes"), ("place", "eastford"), ("source", "alpha")]
FORMATS = ["table", "tsv", "csv", "json", "jsonl", "md"]


@pytest.mark.parametrize("args", LISTINGS + LOOKUPS, ids=" ".join)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_command_answers_in_every_format(kz, args: tuple[str, ...], fmt: str) -> None:
    """Each listing and lookup exits 0 and prints something in each format."""
    result = kz(*MINI, *args, "-f", fmt)
    assert result.code == ExitCode.OK, result.stderr
    assert result.stdout.strip()
    assert result.stderr == ""


@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_json_listing_is_an_array_and_jsonl_one_object_a_line(kz, args: tuple[str, ...]) -> None:
    """Listings print a JSON array; jsonl prints the same records one per line."""
    as_json = json.loads(kz(*MINI, *args, "-f", "json").stdout)
    lines = kz(*MINI, *args, "-f", "jsonl").stdout.splitlines()
    assert isinstance(as_json, list)
    assert [json.loads(line) for line in lines] == as_json


@pytest.mark.parametrize("args", LISTINGS + LOOKUPS, ids=" ".join)
def test_tsv_and_csv_have_the_same_rows(kz, args: tuple[str, ...]) -> None:
    """Piped default is TSV with a header; CSV parses to the same cells."""
    tsv = kz(*MINI, *args).stdout.splitlines()
    rows = list(csv.reader(io.StringIO(kz(*MINI, *args, "-f", "csv").stdout)))
    assert [line.split("\t") for line in tsv] == rows
    assert all(len(row) == len(rows[0]) for row in rows)


def test_actor_json_is_one_object_with_events_and_sources(kz) -> None:
    """`kz actor NAME -f json` prints one object: schema fields plus events and sources."""
    doc = json.loads(kz(*MINI, "actor", "Mayor Reyes", "-f", "json").stdout)
    assert doc["id"] == "dana-reyes"
    assert doc["roles"][0]["citations"] == [
        {"source": "alpha", "paragraph": 3, "excerpt": "The mayor, Dana Reyes", "note": None, "speaker": None}
    ]
    assert [e["id"] for e in doc["events"]] == ["rescue-teams-arrive"]
    assert doc["statements"][0]["id"] == "reyes-worst-flood"
    assert doc["sources"] == ["alpha"]


@pytest.mark.parametrize(
    "spelling", ["dana-reyes", "DANA REYES", "Dána Reyés", "reyes", "mayor reyes", "Dana  Reyes!"]
)
def test_actor_matching_ignores_case_accents_and_punctuation(kz, spelling: str) -> None:
    """Ids, names and aliases match whatever the case, accents or punctuation."""
    doc = json.loads(kz(*MINI, "actor", spelling, "-f", "json").stdout)
    assert doc["id"] == "dana-reyes"


def test_ambiguous_actor_lists_candidates_and_exits_1(kz) -> None:
    """A name matching two actors lists both ids on stderr."""
    result = kz(*MINI, "actor", "da")
    assert result.code == ExitCode.NO_MATCH
    assert "dan-reed" in result.stderr
    assert "dana-reyes" in result.stderr
    assert result.stdout == ""


def test_unknown_actor_suggests_nearest_and_exits_1(kz) -> None:
    """An unknown name suggests the closest known one."""
    result = kz(*MINI, "actor", "dana reyez")
    assert result.code == ExitCode.NO_MATCH
    assert "did you mean dana-reyes" in result.stderr


def test_disputed_date_shows_every_claim(kz) -> None:
    """A disputed event carries each source's date; the table shows each and marks it with the dispute id."""
    events = json.loads(kz(*MINI, "timeline", "-f", "json").stdout)
    flood = next(e for e in events if e["id"] == "flood-reaches-eastford")
    assert flood["disputed"] is True
    assert {(c["date"], c["source"]) for c in flood["date_claims"]} == {
        ("2020-03-03", "alpha"),
        ("2020-03-02", "beta"),
    }
    table = kz(*MINI, "timeline", "-f", "table").stdout
    lines = table.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("2020-03-02 (beta)"))
    assert lines[first + 1].startswith("2020-03-03 (A)"), "each source's date on its own line"
    assert "✗ 1" in table
    assert "[1] ✗ date-flood-reaches-eastford (contradiction)" in table


def test_timeline_orders_partial_dates_first_and_filters_by_range(kz) -> None:
    """A year-only date sorts before that year's days; --from/--to select overlapping events."""
    ids = [e["id"] for e in json.loads(kz(*MINI, "timeline", "-f", "json").stdout)]
    assert ids == ["flood-season", "flood-reaches-eastford", "rescue-teams-arrive"]
    ranged = json.loads(kz(*MINI, "timeline", "--from", "2020-03-04", "--to", "2020-03", "-f", "json").stdout)
    assert [e["id"] for e in ranged] == ["flood-season", "rescue-teams-arrive"]


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--actor", "reyes", ["rescue-teams-arrive"]),
        ("--place", "east ford", ["flood-reaches-eastford", "rescue-teams-arrive"]),
        ("--source", "beta", ["flood-reaches-eastford"]),
        ("--tag", "relief", ["rescue-teams-arrive"]),
    ],
)
def test_timeline_filters(kz, option: str, value: str, expected: list[str]) -> None:
    """--actor, --place, --source and --tag keep only linked events."""
    events = json.loads(kz(*MINI, "timeline", option, value, "-f", "json").stdout)
    assert [e["id"] for e in events] == expected


def test_empty_listing_exits_0(kz) -> None:
    """A filter that matches nothing is an empty listing, not an error."""
    result = kz(*MINI, "timeline", "--from", "1900", "--to", "1901", "-f", "json")
    assert result.code == ExitCode.OK
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("timeline", "--from", "2022-13"), "--from: '2022-13' is not a date"),
        (("timeline", "--from", "2021", "--to", "2020"), "--from 2021 is after --to 2020"),
        (("search", "!!!"), "give at least one word"),
        (("timeline", "-f", "xml"), "xml"),
        (("export", "--format", "sqlite"), "needs --output FILE"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(kz, args: tuple[str, ...], message: str) -> None:
    """Bad option values exit 2 with a message and no traceback."""
    result = kz(*MINI, *args)
    assert result.code == ExitCode.USAGE
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_filter_value_exits_1(kz) -> None:
    """An unknown --actor is a failed lookup."""
    result = kz(*MINI, "timeline", "--actor", "nobody at all")
    assert result.code == ExitCode.NO_MATCH
    assert "no actor matches 'nobody at all'" in result.stderr


def test_figures_keep_qualifiers_and_state_disagreement(kz) -> None:
    """Values keep their qualifier; the closing line sets each claim side by side, with a verdict."""
    table = " ".join(kz(*MINI, "figures", "--deaths", "-f", "table", env={"COLUMNS": "300"}).stdout.split())
    assert "over 30" in table
    assert (
        "deaths (total) — over 30 (A, as of 2020-03-05) · 12 (City officials, via A) · 12 (beta)"
        " — contradiction:" in table
    )
    rows = json.loads(kz(*MINI, "figures", "--deaths", "-f", "json").stdout)
    volunteers = next(r for r in rows if r["id"] == "deaths-volunteers")
    assert (volunteers["value"], volunteers["qualifier"], volunteers["as_of"]) == (30, "over", "2020-03-05")


def test_figures_summary_gives_one_row_per_metric_with_numbers(kz) -> None:
    """`kz figures --summary`: a row per metric, its count, the range as numbers and as shown, its sources."""
    rows = {r["metric"]: r for r in json.loads(kz(*MINI, "figures", "--summary", "-f", "json").stdout)}
    assert rows["deaths"]["figures"] == 3
    assert (rows["deaths"]["low"], rows["deaths"]["high"]) == (12, 30)
    assert (rows["deaths"]["low_shown"], rows["deaths"]["high_shown"]) == ("12", "over 30")
    assert rows["troops"]["sources"] == ["beta"]


def test_bare_figures_have_the_same_row_shape_as_casualties(kz) -> None:
    """A bare `kz figures` lists figures, each row shaped like `kz figures --casualties`'s."""
    bare = json.loads(kz(*MINI, "figures", "-f", "json").stdout)
    deaths = json.loads(kz(*MINI, "figures", "--casualties", "-f", "json").stdout)
    assert {tuple(row) for row in bare} == {tuple(row) for row in deaths}
    assert {row["metric"] for row in bare} == {"deaths", "troops"}


def test_unknown_metric_exits_1_and_lists_known(kz) -> None:
    """--metric with no figures names the metrics that exist."""
    result = kz(*MINI, "figures", "--metric", "weather")
    assert result.code == ExitCode.NO_MATCH
    assert "known metrics: deaths, troops" in result.stderr


def test_disputes_list_each_side_with_citation(kz) -> None:
    """Both the date dispute and the figure dispute appear, each side cited."""
    items = {d["id"]: d for d in json.loads(kz(*MINI, "disputes", "-f", "json").stdout)}
    assert set(items) == {"date-flood-reaches-eastford", "deaths-total"}
    sides = {(c["shown"], c["source"], c["paragraph"]) for c in items["deaths-total"]["claims"]}
    assert ("over 30", "alpha", 3) in sides
    assert ("12", "beta", 1) in sides


def test_sources_count_facts_and_source_lists_them(kz) -> None:
    """`kz sources` counts citing facts; `kz source ID` lists them with paragraphs."""
    counts = {s["id"]: s["facts"] for s in json.loads(kz(*MINI, "sources", "-f", "json").stdout)}
    assert counts == {"alpha": 10, "beta": 4}
    detail = json.loads(kz(*MINI, "source", "A", "-f", "json").stdout)
    assert detail["id"] == "alpha"
    assert {"type": "figure", "id": "deaths-official", "paragraph": 2} in [
        {k: c[k] for k in ("type", "id", "paragraph")} for c in detail["cited_by"]
    ]


def test_search_ranks_hits_with_type_and_id(kz) -> None:
    """Search finds records and excerpts, each hit naming its type and id."""
    hits = json.loads(kz(*MINI, "search", "volunteers", "-f", "json").stdout)
    assert {(h["type"], h["id"]) for h in hits} >= {("excerpt", "deaths-volunteers")}
    prefix = json.loads(kz(*MINI, "search", "rescu", "-f", "json").stdout)
    assert prefix[0]["id"] == "rescue-teams-arrive"


def test_search_with_too_many_matches_ranks_a_bounded_set_and_says_so(kz, monkeypatch) -> None:
    """Past RANKED_AT_MOST matches, only the first ones are ranked, and stderr says so; stdout stays clean."""
    everything = json.loads(kz(*MINI, "search", "the", "-n", "100", "-f", "json").stdout)
    assert len(everything) > 3
    assert kz(*MINI, "search", "the", "-f", "json").stderr == ""
    monkeypatch.setattr(queries, "RANKED_AT_MOST", 3)
    bounded = kz(*MINI, "search", "the", "-n", "100", "-f", "json")
    hits = json.loads(bounded.stdout)
    assert len(hits) == 3
    assert {h["id"] for h in hits} <= {h["id"] for h in everything}
    assert bounded.stderr.startswith("kz: note: more than 3 entries match;")
    assert bounded.code == ExitCode.OK


def test_evidence_adds_paragraph_and_excerpt(kz) -> None:
    """--evidence adds an evidence column holding ¶ and the verbatim excerpt."""
    plain = kz(*MINI, "timeline").stdout.splitlines()[0].split("\t")
    rows = list(csv.reader(io.StringIO(kz(*MINI, "timeline", "--evidence", "-f", "csv").stdout)))
    assert rows[0] == [*plain, "evidence"]
    assert "alpha ¶4: “Rescue teams from the capital arrived on 4 March 2020.”" in rows[-1][-1]


def test_table_has_source_keys_and_legend(kz) -> None:
    """Tables show short source keys, and a legend maps each key to title and publisher."""
    table = kz(*MINI, "timeline", "-f", "table").stdout
    assert "A, beta" in table or "beta, A" in table
    assert "A     alpha: Alpha Report, Alpha Press" in table
    assert "beta  beta: Beta Notes, publisher not stated" in table


def test_export_json_contract(kz) -> None:
    """`kz export` prints one object with kb metadata, every record list, scopes and every comparison."""
    doc = json.loads(kz(*MINI, "export").stdout)
    assert set(doc) == {"kb", "sources", "events", "actors", "places", "figures", "scopes", "comparisons"}
    assert set(doc["kb"]) == {"version", "fingerprint", "counts"}
    assert doc["kb"]["counts"]["events"] == len(doc["events"]) == 3


def test_export_sqlite_opens_and_never_overwrites(kz, tmp_path: Path) -> None:
    """The SQLite export is a real database; an existing file is refused without --force."""
    target = tmp_path / "kb.sqlite"
    assert kz(*MINI, "export", "-f", "sqlite", "-o", str(target)).code == ExitCode.OK
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone() == (3,)
    again = kz(*MINI, "export", "-f", "sqlite", "-o", str(target))
    assert again.code == ExitCode.USAGE
    assert "already exists" in again.stderr
    assert kz(*MINI, "export", "-f", "sqlite", "-o", str(target), "--force").code == ExitCode.OK


def test_version_names_kb_fingerprint_and_fact_count(kz) -> None:
    """--version gives kz's version, the KB fingerprint and its fact count."""
    out = kz(*MINI, "--version").stdout
    assert out.startswith("kz ")
    assert "facts (2 sources, 3 events, 3 actors, 1 places, 4 figures, 1 statements)" in out


def test_bare_kz_shows_help(kz) -> None:
    """Running kz with no command prints the help and exits 0."""
    result = kz()
    assert result.code == ExitCode.OK
    assert "timeline" in result.stdout


def test_every_command_has_help(kz) -> None:
    """Meta-test: each registered command has a docstring and a working --help."""
    names = [_command_name(c) for c in app.registered_commands]
    assert len(names) >= 12
    for name in names:
        result = kz(name, "--help")
        assert result.code == ExitCode.OK, name
        assert "Usage:" in result.stdout
        assert len(result.stdout.splitlines()) > 4, name


def test_kb_text_is_never_markup(kz, mini_kb: Path) -> None:
    """Summaries holding rich markup or escapes print literally, in tables too."""
    retitle_event(mini_kb, '"[red]Rescue[/red] [/] :sun: \\x1b]0;pwn\\x07 teams"')
    table = kz("--data-dir", str(mini_kb), "timeline", "-f", "table").stdout
    assert "[red]Rescue[/red] [/] :sun:" in table
    assert "\x1b" not in table
    assert "\\x1b]0;pwn\\x07" in table
    doc = json.loads(kz("--data-dir", str(mini_kb), "timeline", "-f", "json").stdout)
    assert doc[-1]["title"] == "[red]Rescue[/red] [/] :sun: \x1b]0;pwn\x07 teams"


def test_tsv_escapes_tabs_and_newlines(kz, mini_kb: Path) -> None:
    """Tabs, newlines and backslashes inside a field cannot break the TSV row."""
    retitle_event(mini_kb, '"Rescue\\tteams\\narrive \\\\ now"')
    lines = kz("--data-dir", str(mini_kb), "timeline").stdout.splitlines()
    assert len(lines) == 4
    assert "Rescue\\tteams\\narrive \\\\ now" in lines[-1]


def test_ids_win_over_spelling_folds(kz, mini_kb: Path) -> None:
    """An exact id always names its own record, even when folding would make it ambiguous."""
    actors = mini_kb / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    actors.write_text(
        text.replace("- id: dan-reed\n  name: Dan Reed", "- id: dana-reyess\n  name: Dana Reyess")
    )
    result = kz("--data-dir", str(mini_kb), "actor", "dana-reyes", "-f", "json")
    assert json.loads(result.stdout)["id"] == "dana-reyes"


def test_digits_are_not_folded_like_doubled_letters() -> None:
    """'Kassym' folds to 'kasym', but '77' stays '77'."""
    from kzcli.textnorm import name_key

    assert name_key("Kassym") == "kasym"
    assert name_key("actor-77") == "actor 77"


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Токаев", "Tokayev"),
        ("Тоқаев", "Tokayev"),
        ("Қасым-Жомарт Тоқаев", "Kassym-Jomart Tokayev"),
        ("Назарбаев", "Nazarbayev"),
        ("Алматы", "Almaty"),
        ("Жаңаөзен", "Zhanaozen"),
        ("Нұр-Сұлтан", "Nur-Sultan"),
    ],
)
def test_cyrillic_and_kazakh_spellings_fold_to_the_latin_key(cyrillic: str, latin: str) -> None:
    """Russian and Kazakh Cyrillic names land on the same key as the texts' Latin spelling."""
    from kzcli.textnorm import name_key

    assert name_key(cyrillic) == name_key(latin)


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("actor", "Токаев", "kassym-jomart-tokayev"),
        ("actor", "Тоқаев", "kassym-jomart-tokayev"),
        ("actor", "Назарбаев", "nursultan-nazarbayev"),
        ("place", "Алматы", "almaty"),
    ],
)
def test_lookups_accept_cyrillic_names(kz, kind: str, name: str, expected: str) -> None:
    """`kz actor Токаев` and `kz place Алматы` find the bundled records."""
    result = kz(kind, name, "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    assert json.loads(result.stdout)["id"] == expected


@pytest.mark.parametrize("given", ["PG", "pg", "paris-globalist"])
def test_cite_takes_a_source_by_its_id_or_its_key(kz, given: str) -> None:
    """`kz cite PG` (the key every table prints, any case) cites the same source as its id does."""
    result = kz("cite", given, "--style", "bibtex")
    assert result.code == ExitCode.OK, result.stderr
    assert result.stdout.startswith("@misc{kz:paris-globalist,")
