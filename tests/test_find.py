"""Finding anything by any name: spelling variants, aliases in search, notes, metadata, --evidence."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kzcli.kb.validate import verbatim_in
from kzcli.textnorm import name_key


@pytest.mark.parametrize(
    ("typed", "printed"),
    [("Aktau", "Aktaou"), ("Kokshetau", "Kokchetaou"), ("Shymkent", "Chymkent"), ("Muhtar", "Mukhtar")],
)
def test_transliteration_variants_fold_to_one_key(typed: str, printed: str) -> None:
    """French ou and ch, kh, ye and -iy fold the same way for what users type and what the texts print."""
    assert name_key(typed) == name_key(printed)


@pytest.mark.parametrize(("typed", "place"), [("Aktau", "aktaou"), ("Kokshetau", "kokchetaou")])
def test_a_place_is_found_by_its_usual_english_spelling(kz, typed: str, place: str) -> None:
    """`kz place Aktau` finds the texts' Aktaou, with no alias written down for it."""
    assert json.loads(kz("place", typed, "-f", "json").stdout)["id"] == place


def test_search_finds_other_spellings_of_a_name_and_says_why(kz) -> None:
    """Searching Belarus also finds the interview's Bielorussia, and the hit says it is an alias."""
    hits = json.loads(kz("search", "Belarus", "-n", "50", "-f", "json").stdout)
    aliased = [h for h in hits if h["why"] == "Bielorussia, an alias of Belarus"]
    assert aliased
    assert all("Bielorussia" in h["match"] for h in aliased)


@pytest.mark.parametrize(
    ("words", "kind", "record"),
    [
        ("month after", "source", "paris-globalist"),
        ("photo", "note", "almaty-city-hall-stormed"),
        ("caption", "dispute", "slip-ecfr-caption-year"),
        ("same day", "note", "government-dismissed"),
    ],
)
def test_notes_metadata_and_slips_can_be_searched(kz, words: str, kind: str, record: str) -> None:
    """Citation notes, a source's metadata and the slips within one text are all found by search."""
    hits = json.loads(kz("search", words, "-n", "50", "-f", "json").stdout)
    assert (kind, record) in {(h["type"], h["id"]) for h in hits}


def test_statements_take_evidence(kz) -> None:
    """`kz statements --evidence` gives each statement's paragraph and excerpt."""
    rows = list(csv.DictReader(io.StringIO(kz("statements", "--evidence", "-f", "csv").stdout)))
    assert rows
    assert all("¶" in r["evidence"] for r in rows)


def test_by_source_keeps_evidence(kz) -> None:
    """`kz figures --by-source --evidence` no longer drops the evidence: every line carries its citation."""
    rows = list(
        csv.DictReader(io.StringIO(kz("figures", "deaths", "--by-source", "--evidence", "-f", "csv").stdout))
    )
    assert rows
    assert all("¶" in r["evidence"] for r in rows)


def test_where_evidence_cannot_apply_kz_says_so(kz) -> None:
    """A chart or the brief cannot show excerpts: one line on stderr says so, and the answer still prints."""
    chart = kz("figures", "deaths", "--chart", "--evidence")
    assert chart.code == 0
    assert "--evidence does not apply to --chart" in chart.stderr
    brief = kz("brief", "--evidence")
    assert brief.code == 0
    assert "kz cite ID" in brief.stderr


def test_an_excerpt_may_join_spans_of_one_paragraph_in_order() -> None:
    """'January 5. … Tokayev issued' holds when both spans are in the paragraph in that order."""
    paragraph = "January 5. Special forces act. Tokayev issued a decree."
    assert verbatim_in("January 5. … Tokayev issued a decree.", paragraph)
    assert not verbatim_in("Tokayev issued … January 5.", paragraph)
