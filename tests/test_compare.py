"""The comparison model, rule by rule, on a fixture KB with one case per rule (tests/fixtures/compare)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from kzcli import compare
from kzcli.errors import ExitCode

COMPARE_KB = Path(__file__).resolve().parent / "fixtures" / "compare" / "kb"
KB = ("--data-dir", str(COMPARE_KB))


def _comparisons(kz, *flags: str) -> dict[str, dict]:
    return {d["id"]: d for d in json.loads(kz(*KB, "disputes", *flags, "-f", "json").stdout)}


def _figures(kz, *args: str) -> dict[str, dict]:
    return {f["id"]: f for f in json.loads(kz(*KB, "figures", *args, "-f", "json").stdout)}


def _answers(kz, *args: str) -> str:
    """The closing lines of a figures table, whitespace folded."""
    table = kz(*KB, "figures", *args, "-f", "table", env={"COLUMNS": "400"}).stdout
    return " ".join(table.split("\nSources\n")[-1].split())


def test_a_sum_derived_from_one_sources_parts_is_shown_beside_the_others_and_marked(kz) -> None:
    """Alpha gives both parts of the toll: 10 + 2 = 12 stands beside beta's total, marked derived."""
    toll = _comparisons(kz, "--agreements")["deaths-total"]
    derived = [c for c in toll["claims"] if c["derived"]]
    assert len(derived) == 1
    assert derived[0]["value"] == 12
    assert derived[0]["figure"] is None
    assert derived[0]["source"] == "alpha"
    assert derived[0]["derived_from"] == ["killed-protesters-alpha", "killed-police-alpha"]
    assert "12, derived: 10 protesters + 2 police (A)" in _answers(kz, "deaths")


def test_a_derived_sum_is_never_a_figure_row(kz) -> None:
    """The per-figure table and JSON list only what the sources wrote; the sum lives in the comparison."""
    rows = _figures(kz, "deaths")
    assert set(rows) == {"killed-protesters-alpha", "killed-police-alpha", "killed-total-beta"}
    assert all(r["value"] != 12 for r in rows.values())


def test_a_bound_that_a_derived_sum_fits_agrees(kz) -> None:
    """Beta's 'over 10' and alpha's derived 12 agree: the sum fits the bound."""
    assert "B's over 10 fits A's 12, derived" in _comparisons(kz)["deaths-total"]["explanation"]


def test_an_open_metric_is_compared_only_with_its_caveat(kz) -> None:
    """Gamma's 40 'casualties' sits in the deaths row, with the caveat; the verdict is a difference."""
    toll = _comparisons(kz)["deaths-total"]
    assert toll["verdict"] == "differs"
    assert "“casualties”, which may include the injured" in toll["explanation"]
    assert "40 casualties, which may count the injured (G)" in _answers(kz, "--casualties")


def test_a_part_that_fits_its_whole_agrees_and_is_no_dispute(kz) -> None:
    """Alpha's 10 protesters killed fit within beta's total of over 10: an agreement, listed on request."""
    assert "deaths-protesters-within-total" not in _comparisons(kz)
    within = _comparisons(kz, "--agreements")["deaths-protesters-within-total"]
    assert within["verdict"] == "agrees"
    assert "A's 10 (protesters) fits within B's over 10 (all)" in within["explanation"]


def test_a_part_larger_than_its_whole_is_a_contradiction(kz) -> None:
    """Gamma's 30 police injured cannot fit within beta's 'up to 20' injured in all."""
    within = _comparisons(kz)["injured-police-within-total"]
    assert within["verdict"] == "contradiction"
    assert "the part is larger than the whole" in within["explanation"]
    answers = _answers(kz, "injured")
    assert (
        "part: injured (police) — 30 (G) — within its whole (injured-police-within-total): contradiction"
        in answers
    )


def test_one_value_worded_two_ways_agrees_and_is_listed_only_on_request(kz) -> None:
    """'Almost doubled' and 'doubled' agree; kz disputes lists agreements only with --agreements."""
    assert "price-change-fuel" not in _comparisons(kz)
    price = _comparisons(kz, "--agreements")["price-change-fuel"]
    assert price["verdict"] == "agrees"
    assert "one value worded two ways" in price["explanation"]


def test_values_that_cannot_both_be_true_contradict(kz) -> None:
    """500 soldiers against more than 900, both undated: a contradiction."""
    assert _comparisons(kz)["troops-unit-a"]["verdict"] == "contradiction"


def test_counts_at_different_dates_form_a_series_that_may_not_run_backwards(kz) -> None:
    """100 by 2 March then 300 by 4 March is a series; 50 on 5 March runs it backwards."""
    arrests = _comparisons(kz)["arrests-total"]
    assert arrests["verdict"] == "contradiction"
    assert (
        "a series over time: 100 as of 2020-03-02 (A), then 300 by 2020-03-04 (B)" in arrests["explanation"]
    )
    assert "the count runs backwards" in arrests["explanation"]
    assert [c["as_of"] for c in arrests["claims"]] == ["2020-03-02", "2020-03-04", "2020-03-05"]


def test_a_series_that_rises_is_a_difference_not_a_contradiction() -> None:
    """Without the backward count, the two dated counts differ only in their date of counting."""
    figures = [
        _figure("a", 100, "2020-03-02", "alpha"),
        _figure("b", 300, "2020-03-04", "beta"),
    ]
    (found,) = compare.figure_comparisons(figures, {})
    assert found["verdict"] == "differs"


def test_a_verdict_on_many_claims_names_the_worst_pairs_and_says_there_are_more() -> None:
    """Forty claims make hundreds of pairs: the explanation keeps the worst few and says there are more."""
    figures = [_figure(f"f{i}", 100 + 50 * i, None, f"source-{i % 4}") for i in range(40)]
    (found,) = compare.figure_comparisons(figures, {})
    notes = found["explanation"].split("; ")
    assert found["verdict"] == "contradiction"
    assert len(notes) == compare.MAX_NOTES + 1
    assert notes[-1].startswith("and ")
    assert notes[-1].endswith(" more pairs of claims")


def _figure(fid: str, value: int, as_of: str | None, source: str) -> dict:
    return {
        "id": fid,
        "metric": "arrests",
        "value": value,
        "qualifier": "exact",
        "unit": "people",
        "scope": "total",
        "as_of": as_of,
        "place": None,
        "citations": [{"source": source, "paragraph": 1, "excerpt": "x"}],
    }


def test_a_bound_that_fits_a_date_agrees(kz) -> None:
    """'By 5 March' fits 3 March: the bridge's dates agree."""
    bridge = _comparisons(kz, "--agreements")["date-bridge-closed"]
    assert bridge["verdict"] == "agrees"
    assert {c["shown"] for c in bridge["claims"]} == {"2020-03-03", "by 2020-03-05"}


def test_a_bound_that_excludes_a_date_contradicts(kz) -> None:
    """'By 4 March' cannot hold if the mayor resigned on 6 March."""
    assert _comparisons(kz)["date-mayor-resigns"]["verdict"] == "contradiction"


@pytest.mark.parametrize(
    ("claim", "span"),
    [
        (("2022-01-11", "by", None), ("0001-01-01", "2022-01-11")),
        (("2022-01-04", "around", None), ("2022-01-03", "2022-01-05")),
        (("2022-01", None, None), ("2022-01-01", "2022-01-31")),
        (("2022-01-04", None, "2022-01-05"), ("2022-01-04", "2022-01-05")),
        (("2022-01-10", "after", None), ("2022-01-10", "9999-12-31")),
    ],
)
def test_a_date_claim_allows_the_days_its_precision_says(claim: tuple, span: tuple) -> None:
    """A bound, 'around', a month and a span each allow their own range of days."""
    assert compare.date_span(*claim) == span


@pytest.mark.parametrize(
    ("value", "qualifier", "inside", "outside"),
    [(160, "over", 161, 160), (400, "nearly", 380, 401), (20, "up_to", 0, 21), (2, "exact", 2, 2.1)],
)
def test_a_hedged_value_allows_the_values_its_word_says(value, qualifier, inside, outside) -> None:
    """'Over 160' excludes 160; 'nearly 400' excludes 401; 'up to 20' excludes 21."""
    low, high = compare.value_range(value, qualifier)
    assert low <= inside <= high
    assert not low <= outside <= high


def test_a_question_answered_in_words_is_compared_and_cited_on_each_side(kz) -> None:
    """Which fuel: diesel (alpha) against fuel in general (beta), with the recorded verdict."""
    fuel = _comparisons(kz)["which-fuel"]
    assert (fuel["kind"], fuel["verdict"]) == ("name", "differs")
    assert {(c["shown"], c["source"], c["paragraph"]) for c in fuel["claims"]} == {
        ("diesel", "alpha", 3),
        ("fuel", "beta", 4),
    }


def test_a_slip_within_one_text_is_listed_and_exported(kz) -> None:
    """Gamma's two dates for the resignation are a slip: listed by kz disputes and in the export."""
    slip = _comparisons(kz)["slip-gamma-dates"]
    assert (slip["kind"], slip["verdict"], slip["explanation"]) == ("slip", "slip", "self-contradiction")
    exported = json.loads(kz(*KB, "export").stdout)
    assert "slip-gamma-dates" in {c["id"] for c in exported["comparisons"]}
    assert {s["id"] for s in exported["scopes"]} >= {"total", "force"}


def test_background_is_left_out_by_default_and_said_so(kz) -> None:
    """The 2011 toll and strike are background: out of the default answer, back with --background."""
    assert "killed-earlier-alpha" not in _figures(kz, "deaths")
    assert "killed-earlier-alpha" in _figures(kz, "deaths", "--background")
    table = kz(*KB, "figures", "deaths", "-f", "table", env={"COLUMNS": "300"}).stdout
    assert "1 background figure (before or after the January 2022 unrest) left out; --background" in table
    events = [e["id"] for e in json.loads(kz(*KB, "timeline", "-f", "json").stdout)]
    assert "old-strike" not in events
    ranged = json.loads(kz(*KB, "timeline", "--from", "2011", "--to", "2011", "-f", "json").stdout)
    assert [e["id"] for e in ranged] == ["old-strike"]
    assert [e["era"] for e in ranged] == ["background"]


def test_every_format_carries_the_dispute_mark_and_id(kz) -> None:
    """A fact in dispute says so in JSON, CSV and the table, with the comparison's id."""
    troops = _figures(kz, "troops")["troops-alpha"]
    assert troops["disputed"] is True
    mark = {"id": "troops-unit-a", "kind": "figure", "verdict": "contradiction"}
    mark |= {"subject": "troops (unit A)", "about": "value"}
    assert mark in troops["disputes"]
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(kz(*KB, "figures", "troops", "-f", "csv").stdout))}
    assert (rows["troops-alpha"]["dispute"], rows["troops-alpha"]["verdict"]) == (
        "troops-unit-a",
        "contradiction",
    )
    table = kz(*KB, "figures", "troops", "-f", "table", env={"COLUMNS": "200"}).stdout
    assert "✗ 1" in table
    assert "[1] ✗ troops-unit-a (contradiction)" in table
    agreeing = _figures(kz, "price_change")["price-alpha"]
    assert [{k: m[k] for k in ("id", "kind", "verdict", "about")} for m in agreeing["disputes"]] == [
        {"id": "which-fuel", "kind": "name", "verdict": "differs", "about": "name"}
    ]


def test_strict_refuses_contradictions_only(kz) -> None:
    """--strict exits 5 for a contradicted figure; an agreement or a difference passes."""
    assert kz(*KB, "figures", "troops", "--strict").code == ExitCode.DISPUTED
    assert kz(*KB, "figures", "price_change", "--strict").code == ExitCode.OK


def _by_source_inputs(folder: Path = COMPARE_KB) -> tuple[list[dict], dict, dict[str, str], dict[str, dict]]:
    """Every figure of a KB, its scopes, source keys and the compiler's stored comparisons."""
    from kzcli.ask import lookups
    from kzcli.index import store
    from kzcli.show.views import source_keys

    conn = store.open_index([folder])
    figures = lookups.figures(conn, lookups.metrics(conn))
    keys = source_keys(lookups.source_docs(conn))
    return figures, lookups.scopes(conn), keys, lookups.figure_comparisons(conn)


@pytest.mark.parametrize("which", ["compare", "bundled"])
def test_the_by_source_rows_read_the_stored_verdicts_without_changing_a_word(which: str) -> None:
    """Each row shows its question's stored comparison word for word, and its part's within its whole."""
    from kzcli.ask import summaries
    from kzcli.kb.files import bundled_data_dir

    figures, scopes, keys, stored = _by_source_inputs(
        COMPARE_KB if which == "compare" else bundled_data_dir()
    )
    assert stored
    rows = summaries.by_source(figures, scopes, keys, stored)
    for row in rows:
        own = stored.get(row["row"])
        assert (row["verdict"], row["explanation"]) == (
            (own["verdict"], own["explanation"]) if own else (None, None)
        )
        for within in row["within"]:
            assert within["verdict"] == stored[within["id"]]["verdict"]
        assert row["subset"] is None  # every figure is shown, so every row shows all its question's claims
    assert {row["row"] for row in rows if row["verdict"]} == {k for k in stored if "-within-" not in k}


def test_a_stored_verdict_serves_its_question_whatever_claims_a_view_shows() -> None:
    """One question, one verdict: a view showing only some of a question's claims shows its stored verdict."""
    from kzcli.ask import summaries

    figures, scopes, keys, stored = _by_source_inputs()
    marked = {key: dict(doc, explanation="from the index") for key, doc in stored.items()}
    rows = summaries.by_source(figures, scopes, keys, marked)
    assert any(row["explanation"] == "from the index" for row in rows)
    question = next(row["row"] for row in rows if row["explanation"] == "from the index")
    one_less = [f for f in figures if f["id"] != stored[question]["records"][0]]
    again = {row["row"]: row for row in summaries.by_source(one_less, scopes, keys, marked)}
    if question in again:  # the question still has a claim shown: it keeps its verdict, said to be over more
        assert again[question]["explanation"] == "from the index"
        assert again[question]["subset"]["shown"] < again[question]["subset"]["of"]


def test_sources_that_date_different_things_are_grouped_and_each_meaning_said_once() -> None:
    """Three date claims, two of one meaning: each meaning said once with its sources, no pair note."""
    claim = {"paragraph": 1, "excerpt": "x"}
    event = {
        "id": "rule-begins",
        "title": "Rule begins",
        "date_claims": [
            {**claim, "source": "a", "date": "1990", "refers_to": "when he came to power"},
            {**claim, "source": "b", "date": "1991", "refers_to": "when the state became independent"},
            {**claim, "source": "c", "date": "1991", "refers_to": "when the state became independent"},
        ],
    }
    found = compare.date_comparison(event, {"a": "A", "b": "B", "c": "C"})
    assert found is not None
    assert found["verdict"] == "differs"
    why = found["explanation"]
    assert why.count("when the state became independent") == 1, why
    assert "B and C: when the state became independent (1991)" in why
    assert "give the same date" not in why
