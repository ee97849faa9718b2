"""The compiler's judging of one question stays bounded as its claims grow, and says exactly what judging
every pair would: the same verdict and the same notes, counted the same way."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO
from kzcli import compare
from kzcli.dates import date_range

sys.path.insert(0, str(REPO / "bench"))
import synth  # bench/ is not a package: imported by path

Record = dict[str, Any]
SOURCES = ("cc", "pg", "twa", "ecfr")
KEYS = {"cc": "CC", "pg": "PG", "twa": "TWA", "ecfr": "ECFR"}
SHARED_KEYS = {"cc": "CC", "pg": "CC", "twa": "TWA", "ecfr": "ECFR"}  # two sources named alike
QUALIFIERS = ("exact", "about", "over", "more_than", "at_least", "nearly", "almost", "up_to")
SCOPES = {
    "total": {"id": "total", "title": "total", "parts": ["protesters"]},
    "protesters": {"id": "protesters", "title": "protesters", "part_of": "total", "parts": []},
}


def _figure(
    number: int, metric: str, value: float, qualifier: str, unit: str, as_of: str | None, source: str
) -> Record:
    return {
        "id": f"f-{number}",
        "metric": metric,
        "scope": "total",
        "value": value,
        "qualifier": qualifier,
        "unit": unit,
        "as_of": as_of,
        "citations": [{"source": source, "paragraph": 1, "excerpt": "x"}],
    }


@st.composite
def claim_sets(
    draw: st.DrawFn,
    values: tuple[float, ...],
    qualifiers: tuple[str, ...] = QUALIFIERS,
    units: tuple[str, ...] = ("people", "people", "people", "soldiers"),
) -> list[Record]:
    """A few claims about one question: hedged values, dates or none, casualties beside deaths,
    now and then another unit, a derived sum, or two sources that share a key."""
    keys = draw(st.sampled_from((KEYS, SHARED_KEYS, {})))
    claims = []
    for number in range(draw(st.integers(0, 14))):
        figure = _figure(
            number,
            draw(st.sampled_from(("deaths", "deaths", "casualties"))),
            draw(st.sampled_from(values)),
            draw(st.sampled_from(qualifiers)),
            draw(st.sampled_from(units)),
            draw(st.sampled_from((None, "2022-01-06", "2022-01-08", "2022-01-08", "2022-01"))),
            draw(st.sampled_from(SOURCES)),
        )
        claim = compare.figure_claim(figure, keys)
        if draw(st.integers(0, 9)) == 0:
            claim = dict(claim, figure=None, derived=True, shown=claim["shown"] + ", derived: a + b")
        claims.append(claim)
    return claims


def reference_judge(claims: list[Record]) -> tuple[str, str]:
    """Every pair from two sources judged, i < j; notes worst first, each once, in the order met; a
    series said once; at most 12 notes, then how many more (or 'more' once 12 contradictions and one
    note more are met)."""
    found: dict[str, str] = {}
    series = 0
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if a["source"] != b["source"]:
                pair = compare._figure_pair(a, b)
                found.setdefault(pair.note, pair.verdict)
                series += pair.note.startswith("a series over time: ")
    if not found:
        return "agrees", "a single source"
    rank = {"contradiction": 0, "differs": 1, "slip": 2, "agrees": 3}
    contradictions = [n for n, v in found.items() if v == "contradiction"]
    if len(contradictions) >= 12 and len(found) > 12:
        return "contradiction", "; ".join(contradictions[:12]) + "; and more pairs of claims"
    notes = sorted(found, key=lambda n: rank[found[n]])
    if series > 1:
        dated = sorted((c for c in claims if c["as_of"]), key=lambda c: date_range(c["as_of"])[1])
        notes = [n for n in notes if not n.startswith("a series over time: ")]
        notes.append("a series over time: " + compare._series(dated))
    verdict = min(found.values(), key=rank.__getitem__)
    tail = f"; and {len(notes) - 12} more pairs of claims" if len(notes) > 12 else ""
    return verdict, "; ".join(notes[:12]) + tail


@pytest.mark.hostile
@given(claim_sets(values=(90.0, 100.0, 104.0, 160.0, 225.0)))
def test_judging_equals_every_pair_judged(claims: list[Record]) -> None:
    """Whatever the claims, judge_figures gives the verdict and notes of judging every pair."""
    assert compare.judge_figures(claims) == reference_judge(claims)


@pytest.mark.hostile
@given(
    claim_sets(values=(95.0, 100.0, 101.0, 104.0), qualifiers=("exact", "about", "about"), units=("people",))
)
def test_agreeing_claims_are_counted_not_paired(claims: list[Record]) -> None:
    """Claims that all agree are told without judging each pair, and exactly as judging each would."""
    judged = compare._agreeing_at_scale(claims)
    if judged is not None:
        assert judged == reference_judge(claims)
    assert compare.judge_figures(claims) == reference_judge(claims)


def test_agreeing_claims_are_counted_on_most_sets() -> None:
    """The counting answers for agreeing claims named one to one (not only for trivial sets)."""
    answered = 0
    for number in range(200):
        claims = [
            compare.figure_claim(
                _figure(
                    i,
                    "deaths",
                    100.0 + (number * 7 + i * 3) % 5,
                    "about",
                    "people",
                    None,
                    SOURCES[(number + i) % 4],
                ),
                KEYS,
            )
            for i in range(2 + number % 8)
        ]
        judged = compare._agreeing_at_scale(claims)
        answered += judged is not None
        assert judged is None or judged == reference_judge(claims)
    assert answered == 200


def test_six_thousand_agreeing_claims_are_judged_in_a_moment() -> None:
    """6,000 agreeing claims on one question (18 million pairs) are judged in well under a second or two."""
    claims = [
        compare.figure_claim(
            _figure(i, "deaths", 200 + i % 40, "about", "people", None, SOURCES[i % 4]), KEYS
        )
        for i in range(6000)
    ]
    start = time.perf_counter()
    verdict, why = compare.judge_figures(claims)
    assert time.perf_counter() - start < 5
    assert verdict == "agrees"
    assert why.endswith("more pairs of claims")


def _scoped(claims: list[Record], scope: str) -> list[Record]:
    return [dict(c, scope=scope) for c in claims]


def reference_within(parts: list[Record], wholes: list[Record]) -> tuple[str, str, list[Record]] | None:
    """Every part (sums aside) against every whole from another source of its metric: the worst verdict,
    each note once, the worst first and then in the order of the pairs, at most 12 and then how many
    more, and each claim once."""
    pairs = [
        (p, w)
        for p in parts
        for w in wholes
        if not p["derived"] and not w["derived"] and p["source"] != w["source"] and p["metric"] == w["metric"]
    ]
    if not pairs:
        return None
    judged = [compare._part_pair(p, w, SCOPES) for p, w in pairs]
    # The worst pairs are named first: a contradiction is never hidden behind a dozen fits.
    notes = list(dict.fromkeys(j.note for j in sorted(judged, key=lambda j: compare._RANK[j.verdict])))
    tail = f"; and {len(notes) - 12} more pairs of claims" if len(notes) > 12 else ""
    claims = list({id(c): c for pair in pairs for c in pair}.values())
    return compare.worst(j.verdict for j in judged), "; ".join(notes[:12]) + tail, claims


@pytest.mark.hostile
@given(
    claim_sets(values=(5.0, 90.0, 100.0, 160.0, 225.0)),
    claim_sets(values=(90.0, 100.0, 104.0, 160.0), qualifiers=("exact", "about", "over", "nearly")),
)
def test_parts_against_wholes_equal_every_pair_judged(parts: list[Record], wholes: list[Record]) -> None:
    """within_whole gives every pair's verdict, its notes up to the twelfth, and the claims in pair order."""
    parts, wholes = _scoped(parts, "protesters"), _scoped(wholes, "total")
    assert compare.within_whole(parts, wholes, SCOPES) == reference_within(parts, wholes)


def test_six_thousand_wholes_against_parts_are_judged_in_a_moment() -> None:
    """A whole given 6,000 times against a few parts is judged quickly and explained in a few lines."""
    wholes = [
        compare.figure_claim(
            _figure(i, "deaths", 200 + i % 40, "about", "people", None, SOURCES[i % 4]), KEYS
        )
        for i in range(6000)
    ]
    parts = _scoped(
        [
            compare.figure_claim(_figure(i, "deaths", 300 + i, "exact", "people", None, "cc"), KEYS)
            for i in range(3)
        ],
        "protesters",
    )
    start = time.perf_counter()
    judged = compare.within_whole(parts, _scoped(wholes, "total"), SCOPES)
    assert time.perf_counter() - start < 5
    assert judged is not None
    assert judged[0] == "contradiction"
    assert len(judged[1]) < 3000


def test_a_layer_of_agreeing_claims_is_built_without_judging_each_pair(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmark's layer of agreeing death figures (synth.one_question) over the bundled KB: the build
    judges a handful of pairs, not the 45,000 of 300 claims, and stores one bounded explanation."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    layer = tmp_path / "layer"
    synth.one_question(300, layer, agreeing=1.0)
    calls = [0]
    real = compare._figure_pair

    def counted(a: Record, b: Record) -> compare.Pair:
        calls[0] += 1
        return real(a, b)

    monkeypatch.setattr(compare, "_figure_pair", counted)
    disputes = kz("--with", str(layer), "disputes", "-f", "json")
    assert disputes.code == 0, disputes.stderr
    assert calls[0] < 1000
    (deaths,) = [c for c in json.loads(disputes.stdout) if c["id"] == "deaths-total"]
    assert deaths["verdict"] == "differs"  # the bundled casualties beside the deaths, with their caveat
    assert deaths["explanation"].startswith("PG counts “casualties”")
    assert deaths["explanation"].endswith("more pairs of claims")
