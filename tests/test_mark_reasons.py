"""A mark carries its reason: which comparison, what it is about, and its subject; --strict and the
timeline's date note count only the comparisons about what the view shows (fixtures/marks)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kzcli import compare
from kzcli.errors import ExitCode

KB = ("--data-dir", str(Path(__file__).resolve().parent / "fixtures" / "marks" / "kb"))


def _events(kz) -> dict[str, dict]:
    """The fixture's timeline as JSON, by event id."""
    return {e["id"]: e for e in json.loads(kz(*KB, "timeline", "-f", "json").stdout)}


def test_a_mark_names_its_comparison_what_it_is_about_and_its_subject(kz) -> None:
    """The strike's date is agreed; its mark is the fuel comparison's, said to be about a name."""
    stored = {c["id"]: c for c in json.loads(kz(*KB, "disputes", "--agreements", "-f", "json").stdout)}
    for event in _events(kz).values():
        for mark in event["disputes"]:
            comparison = stored[mark["id"]]
            assert mark == {
                "id": comparison["id"],
                "kind": comparison["kind"],
                "verdict": comparison["verdict"],
                "subject": comparison["subject"],
                "about": compare.about_of(comparison["kind"]),
            }
    strike = _events(kz)["strike-begins"]
    assert [(m["id"], m["about"]) for m in strike["disputes"]] == [("which-fuel", "name")]
    assert compare.about_of("date") == "date"
    assert compare.about_of("figure") == "value"


def test_tables_and_citations_say_what_a_mark_is_about(kz) -> None:
    """The timeline's list of marks and kz cite give each comparison's subject beside its id."""
    table = kz(*KB, "timeline", "-f", "table", env={"COLUMNS": "300"}).stdout
    assert "✗ which-fuel (contradiction) — name: Which fuel's price rose" in table
    assert "✗ date-troops-called (contradiction) — date: Troops called in" in table
    cited = kz(*KB, "cite", "strike-begins").stdout
    assert "contradiction (which-fuel, name: Which fuel's price rose): " in cited
    # The strike's citations are its agreed dates: not "every side" of the fuel question.
    assert "in dispute" not in cited.splitlines()[0]
    assert "(in dispute: every side is cited)" in kz(*KB, "cite", "troops-called").stdout.splitlines()[0]


def test_timeline_strict_counts_only_date_contradictions_and_names_them(kz) -> None:
    """Two events are sides of a contradiction, one about its date: --strict names that one only."""
    answer = kz(*KB, "timeline", "--strict")
    assert answer.code == ExitCode.DISPUTED
    assert "1 event date shown is one side of a contradiction: date-troops-called " in answer.stderr
    assert "which-fuel" not in answer.stderr
    only_strike = kz(*KB, "timeline", "--strict", "--to", "2020-03-02")
    assert only_strike.code == ExitCode.OK, only_strike.stderr  # its only contradiction is about the fuel
    table = kz(*KB, "timeline", "-f", "table", env={"COLUMNS": "300"}).stdout
    assert "1 event date is in dispute between sources" in table


def test_figures_strict_counts_only_value_contradictions(kz) -> None:
    """The price figures agree in value; the fuel comparison that contradicts does not fail --strict."""
    figures = json.loads(kz(*KB, "figures", "-f", "json").stdout)
    assert all(compare.contradicted(f["disputes"]) for f in figures)  # each is a side of the fuel's
    assert not any(compare.contradicted(f["disputes"], compare.ABOUT_VALUE) for f in figures)
    assert kz(*KB, "figures", "--strict").code == ExitCode.OK
    summary = json.loads(kz(*KB, "figures", "--summary", "-f", "json").stdout)
    assert [(m["metric"], m["in_dispute"]) for m in summary] == [("price_change", 0)]


def test_kz_schema_documents_the_new_fields_of_marks_and_rows(kz) -> None:
    """Each field note names a field its shape declares, and kz schema --output prints it beside the field."""
    from kzcli.show import shapes

    printed = kz("schema", "--output").stdout
    for (shape, field), note in shapes.FIELD_NOTES.items():
        assert field in shapes.SHAPES[shape], (shape, field)
        assert f"  {field}: {shapes.SHAPES[shape][field]}  ({note})" in printed
    assert {("mark", "about"), ("mark", "subject"), ("matrix_row", "within")} <= set(shapes.FIELD_NOTES)


def test_statement_marks_say_what_their_comparison_is_about(kz) -> None:
    """kz statements and the actor's profile name the slip that marks a statement, with its subject."""
    said = "! slip-alpha-minister (slip) — Alpha prints the minister's words with a doubled word."
    for argv in (["statements"], ["actor", "minister"]):
        table = kz(*KB, *argv, "-f", "table", env={"COLUMNS": "300"}).stdout
        assert said in table, argv


def test_csv_says_what_each_dispute_is_about_in_the_order_of_the_ids(kz) -> None:
    """The dispute_about column pairs with the dispute column: the strike's is a name, the troops' a date."""
    import csv
    import io

    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(kz(*KB, "timeline", "-f", "csv").stdout))}
    assert (rows["strike-begins"]["dispute"], rows["strike-begins"]["dispute_about"]) == (
        "which-fuel",
        "name",
    )
    assert (rows["troops-called"]["dispute"], rows["troops-called"]["dispute_about"]) == (
        "date-troops-called",
        "date",
    )


def test_disputes_strict_fails_on_a_listed_contradiction_only(kz, tmp_path: Path) -> None:
    """kz disputes --strict (its --help example) exits 5 naming the contradictions, 0 when there is none."""
    answer = kz(*KB, "disputes", "--strict")
    assert answer.code == ExitCode.DISPUTED
    assert "2 comparisons listed are a contradiction: date-troops-called, which-fuel" in answer.stderr
    fits = tmp_path / "kb"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "rules" / "nested-wholes" / "kb", fits)
    figures = fits / "figures.yaml"
    figures.write_text(
        figures.read_text(encoding="utf-8").replace("value: 20,", "value: 40,"), encoding="utf-8"
    )
    assert kz("--data-dir", str(fits), "disputes", "--strict").code == ExitCode.OK
