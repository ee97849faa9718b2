"""The verdict rules for figures, one fixture knowledge base per rule (tests/fixtures/rules/<rule>/).

Each rule is checked through the CLI (`kz disputes`, `kz figures`) on its fixture, and on
the compare functions themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kzcli import compare

RULES = Path(__file__).resolve().parent / "fixtures" / "rules"


def _disputes(kz, rule: str, *flags: str) -> dict[str, dict]:
    out = kz("--data-dir", str(RULES / rule), "disputes", *flags, "-f", "json").stdout
    return {d["id"]: d for d in json.loads(out)}


def _rows(kz, rule: str, *args: str) -> dict[str, dict]:
    out = kz("--data-dir", str(RULES / rule), "figures", *args, "--by-source", "-f", "json").stdout
    return {r["row"]: r for r in json.loads(out)}


def _figure(fid: str, metric: str, value: float, source: str, **more: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "metric": metric,
        "value": value,
        "qualifier": more.get("qualifier", "exact"),
        "unit": more.get("unit", "people"),
        "scope": more.get("scope", "total"),
        "as_of": more.get("as_of"),
        "as_of_qualifier": more.get("as_of_qualifier"),
        "place": None,
        "citations": [{"source": source, "paragraph": 1, "excerpt": "x"}],
    }


_TOTAL = {"total": {"id": "total", "title": "all", "parts": []}}
_SCOPES = _TOTAL | {"part": {"id": "part", "title": "a part", "part_of": "total", "parts": []}}


# --- a part that fits its whole ---------------------------------------------------------------


def test_a_part_that_fits_its_whole_is_an_agreement_not_a_dispute(kz) -> None:
    """Alpha's 208 protesters killed fit within beta's over 160 in all: an agreement (--agreements)."""
    assert "deaths-protesters-within-total" not in _disputes(kz, "fits")
    found = _disputes(kz, "fits", "--agreements")["deaths-protesters-within-total"]
    assert found["verdict"] == "agrees"
    assert found["explanation"] == "A's 208 (protesters) fits within B's over 160 (all)"
    assert found["subject"] == "deaths (protesters) within deaths (all)"


def test_a_part_within_an_open_ended_whole_fits() -> None:
    """A part of 500 within a whole of 'over 100' fits: the whole has no upper bound."""
    figures = [
        _figure("p", "deaths", 500, "a", scope="part"),
        _figure("w", "deaths", 100, "b", qualifier="over"),
    ]
    (found,) = compare.figure_comparisons(figures, _SCOPES)
    assert (found["id"], found["verdict"]) == ("deaths-part-within-total", "agrees")
    assert "fits within" in found["explanation"]


# --- a part too large -------------------------------------------------------------------------


def test_a_part_larger_than_its_whole_counted_the_same_day_contradicts(kz) -> None:
    """Alpha's 30 protesters injured cannot fit within beta's up to 20 injured in all, the same day."""
    found = _disputes(kz, "too-large")["injured-protesters-within-total"]
    assert found["verdict"] == "contradiction"
    assert (
        found["explanation"]
        == "the part is larger than the whole: A's 30 (protesters) within B's up to 20 (all)"
    )


def test_a_part_counted_after_its_whole_may_outgrow_it(kz) -> None:
    """Alpha's 500 protesters arrested, counted two days after beta's 300 in all: a difference of date."""
    found = _disputes(kz, "too-large")["arrests-protesters-within-total"]
    assert found["verdict"] == "differs"
    assert "counted later, the part is larger" in found["explanation"]
    assert "as of 2020-03-07" in found["explanation"]
    assert "as of 2020-03-05" in found["explanation"]


def test_a_running_part_counted_before_its_smaller_whole_contradicts() -> None:
    """A part of 50 on the 3rd cannot be larger than a whole of 40 on the 5th: counts only grow."""
    figures = [
        _figure("p", "deaths", 50, "a", scope="part", as_of="2020-03-03"),
        _figure("w", "deaths", 40, "b", as_of="2020-03-05"),
    ]
    (found,) = compare.figure_comparisons(figures, _SCOPES)
    assert found["verdict"] == "contradiction"


def test_an_undated_part_larger_than_a_dated_whole_contradicts_and_says_so() -> None:
    """No date explains a part too large: a contradiction, naming the side that gives no date."""
    figures = [
        _figure("p", "deaths", 50, "a", scope="part"),
        _figure("w", "deaths", 40, "b", as_of="2020-03-05"),
    ]
    (found,) = compare.figure_comparisons(figures, _SCOPES)
    assert found["verdict"] == "contradiction"
    assert found["explanation"].endswith("; a gives no date of counting")


# --- a ratio at two levels of detail ----------------------------------------------------------


def test_a_ratio_at_two_levels_of_detail_is_one_claim_that_agrees(kz) -> None:
    """Alpha's LPG almost doubled, beta's fuel prices doubled: one question, beta's less specific, agrees."""
    found = _disputes(kz, "levels", "--agreements")
    assert not any("-within-" in key for key in found)
    price = found["price-change-lpg"]
    assert price["verdict"] == "agrees"
    assert price["subject"] == "price change (liquefied petroleum gas)"
    want = "B's 2 times for fuel in general is less specific, and agrees with A's almost 2 times"
    assert price["explanation"] == want
    assert {c["scope"] for c in price["claims"]} == {"lpg", "fuel"}
    assert price not in _disputes(kz, "levels").values()


def test_a_less_specific_ratio_that_does_not_meet_differs_in_scope() -> None:
    """Fuel in general up 2 times beside one fuel up 3 times: a difference of scope, not a contradiction."""
    scopes = {
        "fuel": {"id": "fuel", "title": "fuel in general", "parts": []},
        "lpg": {"id": "lpg", "title": "LPG", "part_of": "fuel", "parts": []},
    }
    figures = [
        _figure("g", "price_change", 2, "a", unit="times", scope="fuel"),
        _figure("s", "price_change", 3, "b", unit="times", scope="lpg"),
    ]
    (found,) = compare.figure_comparisons(figures, scopes)
    assert (found["id"], found["verdict"]) == ("price-change-lpg", "differs")
    assert (
        "a's 2 times for fuel in general is less specific, and does not meet b's 3 times"
        in found["explanation"]
    )
    assert compare.derived_sums(figures, scopes) == []
    assert compare.shared_question_ids(figures, scopes) == {}


def test_part_and_whole_are_only_for_counts() -> None:
    """within_whole and whole_slot leave a ratio alone; a count keeps its whole."""
    ratio = compare.figure_claim(_figure("r", "price_change", 2, "a", unit="times", scope="part"))
    count = compare.figure_claim(_figure("c", "deaths", 2, "a", scope="part"))
    whole = compare.figure_claim(_figure("w", "price_change", 2, "b", unit="times"))
    assert compare.within_whole([ratio], [whole], _SCOPES) is None
    assert compare.whole_slot(ratio, _SCOPES) is None
    assert compare.whole_slot(count, _SCOPES) == "deaths-total"


# --- an undated count against a dated one -----------------------------------------------------


def test_an_undated_count_against_a_dated_one_contradicts(kz) -> None:
    """Alpha's undated 16 against beta's 19 by 11 March: no date is not another date, so they contradict."""
    found = _disputes(kz, "undated")["deaths-security-forces"]
    assert found["verdict"] == "contradiction"
    assert found["explanation"] == "B's 19 against A's 16; A gives no date of counting"
    assert "counted at different dates" not in found["explanation"]


def test_an_undated_count_that_meets_a_dated_one_agrees() -> None:
    """An undated 'about 20' and a dated 19 meet: they agree, and nothing is said of the date."""
    figures = [
        _figure("a", "deaths", 20, "a", qualifier="about"),
        _figure("b", "deaths", 19, "b", as_of="2020-03-11"),
    ]
    (found,) = compare.figure_comparisons(figures, {})
    assert found["verdict"] == "agrees"
    assert "date" not in found["explanation"]


def test_two_dated_counts_still_form_a_series() -> None:
    """Two stated dates do explain a rise: 16 on the 5th then 19 on the 11th is a series, a difference."""
    pair = compare._figure_pair(
        compare.figure_claim(_figure("a", "deaths", 16, "a", as_of="2020-03-05")),
        compare.figure_claim(_figure("b", "deaths", 19, "b", as_of="2020-03-11")),
    )
    assert pair.verdict == "differs"
    assert pair.note.startswith("a series over time")


# --- a casualty count beside deaths -----------------------------------------------------------


def test_casualty_counts_are_labelled_casualties_beside_deaths(kz) -> None:
    """Casualties keep their name: the part reads 'casualties (civilians) within casualties (all)', the
    total names both metrics, and the caveat stays."""
    found = _disputes(kz, "casualties", "--agreements")
    within = found["deaths-civilians-within-total"]
    assert within["subject"] == "casualties (civilians) within casualties (all)"
    assert (within["verdict"], within["explanation"]) == (
        "agrees",
        "A's at least 30 (civilians) fits within B's 45 (all)",
    )
    total = found["deaths-total"]
    assert total["subject"] == "deaths (all) beside casualties (all)"
    assert total["verdict"] == "differs"
    assert "“casualties”, which may include the injured" in total["explanation"]
    rows = _rows(kz, "casualties", "--casualties")
    assert rows["deaths-civilians"]["subject"] == "casualties (civilians)"
    assert rows["deaths-total"]["subject"] == "deaths (all) beside casualties (all)"


def test_a_casualties_part_is_filed_under_casualties_in_the_table(kz) -> None:
    """`kz figures --casualties` names the part by what it counts, never 'part: deaths (civilians)'."""
    folder = str(RULES / "casualties")
    table = kz("--data-dir", folder, "figures", "--casualties", "-f", "table", env={"COLUMNS": "300"}).stdout
    assert "part: casualties (civilians)" in table
    assert "deaths (civilians)" not in table


def test_slot_subject_names_each_metric_once_firm_first() -> None:
    """One metric reads as itself; deaths and casualties together read 'deaths (…) beside casualties (…)'."""
    casualties = compare.figure_claim(_figure("c", "casualties", 5, "a"))
    deaths = compare.figure_claim(_figure("d", "deaths", 4, "b"))
    assert compare.slot_subject([casualties], _TOTAL) == "casualties (all)"
    assert (
        compare.slot_subject([casualties, deaths, deaths], _TOTAL) == "deaths (all) beside casualties (all)"
    )


# --- dates that date different things ---------------------------------------------------------


def test_sides_that_date_different_things_are_grouped_and_said_once() -> None:
    """Three sources, two meanings: each meaning is said once, with every source that dates it."""
    event = {
        "id": "rule-begins",
        "title": "Rule begins",
        "date_claims": [
            {"date": "1990", "source": "p", "paragraph": 1, "excerpt": "x", "refers_to": "coming to power"},
            {
                "date": "1991",
                "source": "t",
                "paragraph": 1,
                "excerpt": "x",
                "refers_to": "leading the country",
            },
            {
                "date": "1991",
                "source": "m",
                "paragraph": 1,
                "excerpt": "x",
                "refers_to": "leading the country",
            },
        ],
    }
    found = compare.date_comparison(event)
    assert found is not None
    assert found["verdict"] == "differs"
    assert found["explanation"].count("the sources date different things") == 1
    assert "p: coming to power (1990); t and m: leading the country (1991)" in found["explanation"]


_RATIO = st.builds(
    lambda value, qualifier, scope, source: _figure(
        f"r{value}{qualifier}{scope}{source}",
        "price_change",
        value,
        source,
        qualifier=qualifier,
        unit="times",
        scope=scope,
    ),
    st.integers(1, 6),
    st.sampled_from(["exact", "about", "over", "nearly", "almost", "at_least", "up_to"]),
    st.sampled_from(["fuel", "lpg"]),
    st.sampled_from(["s1", "s2", "s3"]),
)
_LEVELS = {
    "fuel": {"id": "fuel", "title": "fuel in general", "parts": []},
    "lpg": {"id": "lpg", "title": "LPG", "part_of": "fuel", "parts": []},
}


@given(st.lists(_RATIO, min_size=1, max_size=25))
def test_a_question_with_less_specific_claims_has_the_verdict_of_every_pair(figures: list[dict]) -> None:
    """The verdict told from the extremes is the worst of every pair: the specific claims against each
    other, and each less specific claim from another source beside each of them."""
    slots = compare.slot_claims(figures, _LEVELS)
    claims = slots.get("price-change-lpg", [])
    broader = compare.broader_claims(claims[0], slots, _LEVELS) if claims else []
    if not claims or len({c["source"] for c in claims + broader}) < 2:
        return
    pairs = [
        compare._figure_pair(a, b).verdict
        for i, a in enumerate(claims)
        for b in claims[i + 1 :]
        if a["source"] != b["source"]
    ]
    pairs += [
        compare._level_pair(g, c).verdict for g in broader for c in claims if g["source"] != c["source"]
    ]
    assert compare.judge_levels(claims, broader)[0] == compare.worst(pairs)


# --- a date of counting read from context ---------------------------------------------------------


def test_an_inferred_date_of_counting_is_marked_in_every_view_of_its_question(kz) -> None:
    """Beta's 'by 11 March' is read from context: its claim says why, and each view marks it '(inferred)'."""
    found = _disputes(kz, "inferred-date")["deaths-security-forces"]
    beta = next(c for c in found["claims"] if c["source"] == "beta")
    assert beta["inferred"].startswith("date of counting: The sentence dates")
    alpha = next(c for c in found["claims"] if c["source"] == "alpha")
    assert alpha["inferred"] is None
    table = kz("--data-dir", str(RULES / "inferred-date"), "disputes", "-f", "table", env={"COLUMNS": "120"})
    assert "by 2020-03-11 (inferred)" in table.stdout
    figures = kz("--data-dir", str(RULES / "inferred-date"), "figures", "deaths", "-f", "table")
    assert "by 2020-03-11 (inferred))" in " ".join(figures.stdout.split())
    cell = _rows(kz, "inferred-date", "deaths")["deaths-security-forces"]["cells"]["beta"][0]
    assert cell["inferred"] == beta["inferred"]
