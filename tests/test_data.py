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
    return {d["id"]: d for d in json.loads(kz("disputes", "-f", "json").stdout)}


def _sides(dispute: dict) -> set[tuple[str, str]]:
    return {(c.get("shown") or c["date"], c["source"]) for c in dispute["claims"]}


def test_csto_request_date_is_disputed(kz) -> None:
    """The CSTO request: 5 January (evening) in one text, 6 January in another."""
    assert _sides(_disputes(kz)["date-csto-help-requested"]) == {
        ("2022-01-05", "turbulent-week-analysis"),
        ("2022-01-06", "chaos-and-crackdown"),
    }


def test_protests_reaching_almaty_is_disputed(kz) -> None:
    """Protests reach Almaty on 3 January in the chronology, around the 4th for the eyewitness."""
    assert _sides(_disputes(kz)["date-protests-reach-almaty"]) == {
        ("2022-01-03", "turbulent-week-analysis"),
        ("2022-01-04", "paris-globalist"),
    }


def test_arrest_counts_disagree_with_their_qualifiers(kz) -> None:
    """Arrests: nearly 10,000, almost 8,000 and nearly 4,000, each from its own source."""
    assert _sides(_disputes(kz)["arrests-total"]) == {
        ("nearly 10,000", "chaos-and-crackdown"),
        ("almost 8,000", "ecfr-five-days"),
        ("nearly 4,000", "turbulent-week-analysis"),
    }


def test_russian_troop_numbers_disagree(kz) -> None:
    """Russian troops: more than 3,000 paratroopers versus 2,500 soldiers."""
    assert _sides(_disputes(kz)["troops-russia"]) == {
        ("more than 3,000", "mcgill-kazakh-protests"),
        ("2,500", "turbulent-week-analysis"),
    }


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
