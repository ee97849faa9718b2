"""The bundled knowledge base: valid, verbatim, and the known disagreements kept apart."""

from __future__ import annotations

import json

import pytest

from conftest import SHARED_SOURCES
from kzcli.errors import ExitCode


def test_bundled_kb_validates_with_every_excerpt_verbatim(kz) -> None:
    """Every excerpt appears verbatim in its cited paragraph of the source text."""
    if not SHARED_SOURCES.is_dir():
        pytest.skip(f"source texts not found at {SHARED_SOURCES} (set KZ_SOURCES_DIR)")
    result = kz("validate", "--sources-dir", str(SHARED_SOURCES))
    assert result.code == ExitCode.OK, result.stderr


def _disputes(kz) -> dict[str, dict]:
    return {d["id"]: d for d in json.loads(kz("disputes", "--agreements", "-f", "json").stdout)}


def _sides(dispute: dict) -> set[tuple[str, str]]:
    return {(c.get("shown") or c["date"], c["source"]) for c in dispute["claims"]}


def test_csto_request_date_is_a_contradiction(kz) -> None:
    """The CSTO request: 5 January in one text, 6 January in another; PG's 'by 7 January' fits both."""
    dispute = _disputes(kz)["date-csto-help-requested"]
    assert _sides(dispute) == {
        ("2022-01-05", "turbulent-week-analysis"),
        ("2022-01-06", "chaos-and-crackdown"),
        ("by 2022-01-07", "paris-globalist"),
    }
    assert dispute["verdict"] == "contradiction"


def test_protests_reaching_almaty_around_a_day_agrees(kz) -> None:
    """Almaty: 3 January in the chronology, 'around' the 4th for the eyewitness; the two agree."""
    dispute = _disputes(kz)["date-protests-reach-almaty"]
    assert _sides(dispute) == {
        ("2022-01-03", "turbulent-week-analysis"),
        ("around 2022-01-04", "paris-globalist"),
    }
    assert dispute["verdict"] == "agrees"


def test_arrest_counts_disagree_with_their_qualifiers(kz) -> None:
    """Arrests: nearly 10,000 and almost 8,000 in all; TWA's nearly 4,000 demonstrators is a part."""
    disputes = _disputes(kz)
    assert _sides(disputes["arrests-total"]) == {
        ("nearly 10,000", "chaos-and-crackdown"),
        ("almost 8,000", "ecfr-five-days"),
    }
    assert ("nearly 4,000", "turbulent-week-analysis") in _sides(disputes["arrests-protesters-within-total"])


def test_russian_troop_numbers_disagree(kz) -> None:
    """Russian troops: more than 3,000 paratroopers, a part, cannot fit within 2,500 soldiers in all."""
    dispute = _disputes(kz)["troops-russia-paratroopers-within-russia"]
    assert _sides(dispute) == {
        ("more than 3,000", "mcgill-kazakh-protests"),
        ("2,500", "turbulent-week-analysis"),
    }
    assert dispute["verdict"] == "contradiction"


def test_security_force_deaths_disagree(kz) -> None:
    """Security forces killed: 16 in one text, 19 in another."""
    assert _sides(_disputes(kz)["deaths-security-forces"]) == {
        ("16", "chaos-and-crackdown"),
        ("19", "mcgill-kazakh-protests"),
    }


@pytest.mark.parametrize(
    ("figure", "value", "qualifier", "source"),
    [
        ("deaths-total-chaos", 160, "over", "chaos-and-crackdown"),
        ("arrests-ecfr", 8000, "almost", "ecfr-five-days"),
        ("troops-csto-chaos", 2000, "over", "chaos-and-crackdown"),
        ("injured-police-turbulent-week", 400, "nearly", "turbulent-week-analysis"),
    ],
)
def test_qualifiers_survive_into_json(kz, figure: str, value: int, qualifier: str, source: str) -> None:
    """A hedged figure keeps its qualifier and its source in machine output."""
    rows = json.loads(kz("figures", "--metric", figure.split("-")[0], "-f", "json").stdout)
    row = next(r for r in rows if r["id"] == figure)
    assert (row["value"], row["qualifier"], row["citations"][0]["source"]) == (value, qualifier, source)


def test_death_toll_wordings_are_compared_not_merged(kz) -> None:
    """225 'casualties', over 160 killed and MJPS's derived 227 are set side by side, each as worded."""
    dispute = _disputes(kz)["deaths-total"]
    claims = {(c["metric"], c["shown"], c["source"], c["derived"]) for c in dispute["claims"]}
    assert claims == {
        ("casualties", "225", "paris-globalist", False),
        ("deaths", "over 160", "chaos-and-crackdown", False),
        ("deaths", "227, derived: 208 protesters + 19 security forces", "mcgill-kazakh-protests", True),
    }
    assert dispute["verdict"] == "differs"
    assert "may include the injured" in dispute["explanation"]


def test_nazarbayev_years_in_power_disagree(kz) -> None:
    """Twenty years in power (interview) against nearly 30 (briefing): a contradiction."""
    assert _disputes(kz)["years-in-power-nazarbayev"]["verdict"] == "contradiction"
    assert _sides(_disputes(kz)["years-in-power-nazarbayev"]) == {
        ("20 years", "paris-globalist"),
        ("nearly 30 years", "chaos-and-crackdown"),
    }


def test_nazarbayev_start_of_rule_disagrees(kz) -> None:
    """In power since 1990 (interview) against leading the independent country from 1991: two offices."""
    dispute = _disputes(kz)["date-nazarbayev-takes-power"]
    assert dispute["verdict"] == "differs"
    assert "date different things" in dispute["explanation"]
    assert _sides(dispute) == {
        ("1990", "paris-globalist"),
        ("1991", "turbulent-week-analysis"),
        ("1991", "mcgill-kazakh-protests"),
    }


def test_every_source_backs_at_least_ten_facts(kz) -> None:
    """Each of the five texts is cited by ten or more facts."""
    counts = {s["id"]: s["facts"] for s in json.loads(kz("sources", "-f", "json").stdout)}
    assert len(counts) == 5
    assert min(counts.values()) >= 10, counts


def test_every_actor_is_found_by_id_name_and_each_alias(kz) -> None:
    """Every spelling recorded for an actor leads back to that actor."""
    actors = json.loads(kz("actors", "-f", "json").stdout)
    assert len(actors) >= 40
    for actor in actors:
        for spelling in [actor["id"], actor["name"], *actor["aliases"]]:
            found = kz("actor", spelling, "-f", "json")
            assert found.code == ExitCode.OK, (spelling, found.stderr)
            assert json.loads(found.stdout)["id"] == actor["id"], spelling


def test_every_place_is_found_by_each_spelling(kz) -> None:
    """Every spelling recorded for a place leads back to that place."""
    for place in json.loads(kz("places", "-f", "json").stdout):
        for spelling in [place["id"], place["name"], *place["aliases"]]:
            assert json.loads(kz("place", spelling, "-f", "json").stdout)["id"] == place["id"], spelling


# Facts checked by reading the source text: (event id, date, a citing source).
CHECKED_EVENTS = [
    ("lpg-price-cap-lifted", "2022-01-01", "chaos-and-crackdown"),
    ("protests-begin-zhanaozen", "2022-01-02", "turbulent-week-analysis"),
    ("protests-begin-zhanaozen", "2022-01-02", "mcgill-kazakh-protests"),
    ("aktaou-protests", "2022-01-03", "turbulent-week-analysis"),
    ("gas-price-cut-announced", "2022-01-04", "turbulent-week-analysis"),
    ("state-of-emergency", "2022-01-05", "turbulent-week-analysis"),
    ("tokayev-takes-security-council", "2022-01-05", "chaos-and-crackdown"),
    ("internet-shutdown", "2022-01-05", "paris-globalist"),
    ("russian-troops-arrive", "2022-01-06", "turbulent-week-analysis"),
    ("shoot-to-kill-order", "2022-01-07", "mcgill-kazakh-protests"),
    ("day-of-mourning", "2022-01-10", "turbulent-week-analysis"),
    ("troop-withdrawal-announced", "2022-01-10", "turbulent-week-analysis"),
    ("reform-speech", "2022-01-11", "ecfr-five-days"),
    ("turkic-states-summit", "2022-01-11", "turbulent-week-analysis"),
    ("capital-renamed-nur-sultan", "2019-03", "chaos-and-crackdown"),
    ("dariga-removed-senate-chair", "2020-05", "chaos-and-crackdown"),
    ("belarus-protests-2020", "2020-05", "mcgill-kazakh-protests"),
    ("eu-partnership-agreement", "2015", "chaos-and-crackdown"),
    ("yelbasy-status-granted", "2010", "turbulent-week-analysis"),
    ("csto-founded", "1992", "chaos-and-crackdown"),
]

# (figure id, value, qualifier, source).
CHECKED_FIGURES = [
    ("deaths-protesters-mcgill", 208, "exact", "mcgill-kazakh-protests"),
    ("deaths-security-forces-mcgill", 19, "exact", "mcgill-kazakh-protests"),
    ("casualties-total-paris-globalist", 225, "exact", "paris-globalist"),
    ("casualties-civilians-turbulent-week", 160, "at_least", "turbulent-week-analysis"),
    ("arrests-chaos", 10000, "nearly", "chaos-and-crackdown"),
    ("arrests-turbulent-week", 4000, "nearly", "turbulent-week-analysis"),
    ("troops-russia-mcgill", 3000, "more_than", "mcgill-kazakh-protests"),
    ("troops-other-csto-turbulent-week", 100, "exact", "turbulent-week-analysis"),
    ("aircraft-russia-mcgill", 70, "over", "mcgill-kazakh-protests"),
    ("territory-kazakhstan", 2724902, "exact", "turbulent-week-analysis"),
    ("population-kazakhstan", 19000000, "almost", "turbulent-week-analysis"),
    ("population-share-muslim", 70, "exact", "turbulent-week-analysis"),
    ("reserves-rank-oil-world", 11, "exact", "turbulent-week-analysis"),
    ("wealth-nazarbayev-family-real-estate", 785000000, "at_least", "chaos-and-crackdown"),
    ("age-nazarbayev-transfer", 79, "exact", "turbulent-week-analysis"),
    ("deaths-oil-strike-2011", 16, "at_least", "chaos-and-crackdown"),
]


@pytest.mark.parametrize(("event_id", "date", "source"), CHECKED_EVENTS)
def test_checked_event_dates(kz, event_id: str, date: str, source: str) -> None:
    """Each event carries the date the text gives and cites that text."""
    events = {e["id"]: e for e in json.loads(kz("timeline", "--background", "-f", "json").stdout)}
    event = events[event_id]
    assert event["date"] == date
    assert source in {c["source"] for c in event["citations"]}


@pytest.mark.parametrize(("figure_id", "value", "qualifier", "source"), CHECKED_FIGURES)
def test_checked_figures(kz, figure_id: str, value: int, qualifier: str, source: str) -> None:
    """Each figure keeps the text's number, its hedge word and its source."""
    export = json.loads(kz("export").stdout)
    figure = next(f for f in export["figures"] if f["id"] == figure_id)
    assert (figure["value"], figure["qualifier"]) == (value, qualifier)
    assert [c["source"] for c in figure["citations"]] == [source]


def test_every_actor_profile_renders_as_table_and_json(kz) -> None:
    """`kz actor ID` works for every actor in table and JSON form, listing its sources."""
    for actor in json.loads(kz("actors", "-f", "json").stdout):
        table = kz("actor", actor["id"], "-f", "table")
        assert table.code == ExitCode.OK, actor["id"]
        assert actor["name"] in table.stdout
        doc = json.loads(kz("actor", actor["id"], "-f", "json").stdout)
        assert doc["sources"], actor["id"]


def test_every_metric_lists_its_figures_with_an_answer_line(kz) -> None:
    """`kz figures --metric M` works for every metric; every figure's value is in a closing answer line."""
    metrics = [row["metric"] for row in json.loads(kz("figures", "--background", "-f", "json").stdout)]
    assert len(metrics) >= 15
    for metric in metrics:
        rows = json.loads(kz("figures", "--metric", metric, "--background", "-f", "json").stdout)
        assert rows
        assert {r["metric"] for r in rows} == {metric}
        table = kz("figures", "--metric", metric, "--background", "-f", "table", env={"COLUMNS": "400"})
        answers = table.stdout.split("\nSources\n")[-1]
        for row in rows:
            assert row["shown"] in answers, (metric, row["id"])


def test_casualty_table_says_plainly_that_death_tolls_disagree(kz) -> None:
    """The closing lines of `kz figures --casualties` answer each question, parts under the total, each
    labelled with the metric its texts count: casualties are never filed as deaths."""
    table = " ".join(kz("figures", "--casualties", "-f", "table", env={"COLUMNS": "400"}).stdout.split())
    assert (
        "deaths (all) beside casualties (all) — 227, derived: 208 protesters + 19 security forces"
        " (MJPS, by 2022-01-11 (inferred)) · 225 casualties, which may count the injured"
        " (PG, by 2022-01-15 (inferred))"
        " · over 160 (CC) — differs:" in table
    )
    assert (
        "part: deaths (security forces) — 19 (MJPS, by 2022-01-11 (inferred)) · 16 (CC) — contradiction:"
        " MJPS's 19"
        " against CC's 16; CC gives no date of counting" in table
    )
    assert "part: casualties (civilians) — at least 160 casualties" in table
    assert "part: deaths (civilians)" not in table


def test_a_quoted_speaker_keeps_their_words_shown_by_default(kz) -> None:
    """Lukashenko's “at the gates” stays in his words, in the statement and in the Quoted column."""
    rows = {
        r["id"]: r for r in json.loads(kz("statements", "--attributed-to", "lukashenko", "-f", "json").stdout)
    }
    assert "“at the gates”" in rows["lukashenko-nato-at-the-gates"]["summary"]
    table = kz("statements", "--attributed-to", "lukashenko", "-f", "table", env={"COLUMNS": "200"}).stdout
    assert "Quoted" in table.splitlines()[0]
    assert "“at the gates”" in table


def test_an_answer_emptied_by_the_background_rule_says_so_on_stderr(kz) -> None:
    """Years in power are background: the default answer is empty, and stderr says how to see them."""
    result = kz("figures", "--metric", "years_in_power", "-f", "json")
    assert json.loads(result.stdout) == []
    assert "2 background figures" in result.stderr
    assert "--background" in result.stderr
