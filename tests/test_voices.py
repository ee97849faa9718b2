"""Who speaks in each paragraph, inferred marks, and the facts no record cites (issue 23).

The voices fixture is an interview (introduction, a question, Mara Quist's answer over two
paragraphs) and a report that names a post but not the person in it. `bad/` is the same KB with
two faults: her figure credited to the magazine, and the link between the texts left unmarked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import HERE, SHARED_SOURCES
from kzcli.ask.coverage import found_in
from kzcli.errors import ExitCode
from kzcli.kb.inference import date_written, names_it, unmarked
from kzcli.kb.speakers import SpeakerCheck

VOICES = HERE / "fixtures" / "voices"
GOOD, BAD, TEXTS = VOICES / "kb", VOICES / "bad", VOICES / "texts"
ON_GOOD = ("--data-dir", str(GOOD))


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(GOOD, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("kz:")]


def test_the_voices_fixture_is_valid_with_its_texts(kz) -> None:
    """Every answer credited to its speaker, the question uncited, the link and the read date marked."""
    result = kz("validate", str(GOOD), "--sources-dir", str(TEXTS))
    assert result.code == ExitCode.OK, result.stderr


def test_a_misattributed_answer_and_an_unmarked_link_are_each_one_error(kz) -> None:
    """The bad fixture is refused (exit 3) with exactly two lines, one for each fault."""
    result = kz("validate", str(BAD), "--sources-dir", str(TEXTS))
    assert result.code == ExitCode.INVALID_KB
    problems = _problems(result.stderr)
    assert len(problems) == 2, problems
    answer, link = sorted(problems, key=lambda line: "ivo-lark" in line)
    assert "figures.yaml:" in answer
    assert "families-left-harbour-review: citations.0:" in answer
    assert "harbour-review paragraph 3 is Mara Quist's answer" in answer
    assert "attributed to 'the-harbour-review'" in answer
    assert "actors.yaml:" in link
    assert "ivo-lark: roles.0.citations.1:" in link
    assert "flood-report paragraph 2 does not name Ivo Lark" in link
    assert "{link: why}" in link


def test_a_question_cited_as_evidence_is_refused_unless_the_record_is_about_it(kz, tmp_path: Path) -> None:
    """Citing the question for a fact is an error; `speaker: question` marks a record about the question."""
    kb = _copy(tmp_path)
    question = """    - source: harbour-review
      paragraph: 2
      excerpt: Was the old town flooded before the harbour?
"""
    _edit(kb / "events.yaml", "      excerpt: The water reached the old town on 3 March 2020\n", "")
    _edit(kb / "events.yaml", "      speaker: mara-quist\n", "")
    _edit(kb / "events.yaml", "    - source: harbour-review\n      paragraph: 3\n", question)
    refused = kz("validate", str(kb))
    assert refused.code == ExitCode.INVALID_KB
    assert _problems(refused.stderr) == [
        f"{kb / 'events.yaml'}:7: old-town-flooded: citations.0: harbour-review paragraph 2 is a question, "
        "no evidence of a fact (speaker: question marks a record about it)"
    ]
    _edit(kb / "events.yaml", "      paragraph: 2\n", "      paragraph: 2\n      speaker: question\n")
    assert kz("validate", str(kb)).code == ExitCode.OK


def test_a_speaker_naming_another_person_is_refused(kz, tmp_path: Path) -> None:
    """`speaker` must name the answer's own actor, and only an answer has one."""
    kb = _copy(tmp_path)
    _edit(kb / "events.yaml", "speaker: mara-quist", "speaker: ivo-lark")
    _edit(
        kb / "actors.yaml",
        "      excerpt: Mara Quist, a ferry pilot",
        "      speaker: mara-quist\n      excerpt: Mara Quist, a ferry pilot",
    )
    result = kz("validate", str(kb))
    assert result.code == ExitCode.INVALID_KB
    problems = _problems(result.stderr)
    assert any("harbour-review paragraph 3 is Mara Quist's answer, not 'ivo-lark''s" in p for p in problems)
    assert any(
        "speaker: harbour-review paragraph 1 is the introduction, not an answer" in p for p in problems
    )
    assert len(problems) == 2, problems


def test_every_build_refuses_an_answer_with_no_speaker(kz, tmp_path: Path) -> None:
    """Not only kz validate: a lookup on a KB whose event credits no one for an answer exits 3."""
    kb = _copy(tmp_path)
    _edit(kb / "events.yaml", "      speaker: mara-quist\n", "")
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "old-town-flooded: citations.0: harbour-review paragraph 3 is Mara Quist's answer" in result.stderr
    assert "(speaker: mara-quist)" in result.stderr


def test_an_edit_that_drops_a_speaker_is_refused_by_the_update_too(kz, tmp_path: Path) -> None:
    """After a first build, an edited event is checked like a new KB: no quiet incremental update."""
    kb = _copy(tmp_path)
    assert kz("--data-dir", str(kb), "timeline").code == ExitCode.OK
    _edit(kb / "events.yaml", "      speaker: mara-quist\n", "")
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "old-town-flooded: citations.0: harbour-review paragraph 3 is Mara Quist's answer" in result.stderr


def test_a_date_read_from_context_must_be_marked(kz, tmp_path: Path) -> None:
    """'By the next night' writes no date: the event's date unmarked is an error naming the date."""
    kb = _copy(tmp_path)
    _edit(kb / "events.yaml", "  inferred:\n", "  x-inferred:\n")
    _edit(kb / "events.yaml", "  x-inferred:\n    date:", "  note:")
    text = (kb / "events.yaml").read_text(encoding="utf-8")
    (kb / "events.yaml").write_text(text.split("  note:")[0], encoding="utf-8")
    result = kz("validate", str(kb), "--sources-dir", str(TEXTS))
    assert result.code == ExitCode.INVALID_KB
    assert _problems(result.stderr) == [
        f"{kb / 'events.yaml'}:12: bridge-closed: date: no cited paragraph writes 2020-03-04; "
        "a date read from context is marked (inferred: {date: why})"
    ]


def test_inferred_names_only_the_record_s_fields_or_link(kz, tmp_path: Path) -> None:
    """A mark on a field the record does not have is a schema error, not a silent label."""
    kb = _copy(tmp_path)
    _edit(kb / "actors.yaml", "    link: The report", "    colour: The report")
    result = kz("validate", str(kb))
    assert result.code == ExitCode.INVALID_KB
    assert "ivo-lark: record: inferred names unknown fields: colour" in result.stderr


def test_the_source_profile_shows_who_speaks_beside_each_paragraph(kz) -> None:
    """The facts table has a Speaker column; JSON gives each citing fact its paragraph's voice."""
    table = kz(*ON_GOOD, "source", "harbour-review", "-f", "table").stdout
    assert "Speaker" in table.split("Facts citing this source")[1].splitlines()[1]
    assert "Mara Quist's answer" in table
    assert "introduction" in table
    doc = json.loads(kz(*ON_GOOD, "source", "harbour-review", "-f", "json").stdout)
    voices = {(c["paragraph"], c["speaker"]) for c in doc["cited_by"]}
    assert voices == {(1, "introduction"), (3, "Mara Quist's answer"), (4, "Mara Quist's answer")}
    flat = kz(*ON_GOOD, "source", "harbour-review", "-f", "tsv").stdout
    assert "voice ¶3, 4\tMara Quist's answer" in flat
    plain = json.loads(kz(*ON_GOOD, "source", "flood-report", "-f", "json").stdout)
    assert {c["speaker"] for c in plain["cited_by"]} == {None}


def test_the_inferred_mark_shows_in_table_json_and_cite(kz) -> None:
    """The read date is '(inferred)' in the timeline, an `inferred` object in JSON, a reason in kz cite."""
    table = kz(*ON_GOOD, "timeline", "-f", "table").stdout
    row = next(line for line in table.splitlines() if "Bridge closed" in line)
    assert "2020-03-04 (inferred)" in row
    assert "(inferred)" not in next(line for line in table.splitlines() if "old town" in line)
    events = {e["id"]: e for e in json.loads(kz(*ON_GOOD, "timeline", "-f", "json").stdout)}
    assert set(events["bridge-closed"]["inferred"]) == {"date"}
    assert events["old-town-flooded"]["inferred"] == {}
    tsv = kz(*ON_GOOD, "timeline", "-f", "tsv").stdout.splitlines()
    assert tsv[0].endswith("\tinferred")
    assert any(line.endswith("\tdate") for line in tsv[1:])
    cited = kz(*ON_GOOD, "cite", "bridge-closed").stdout
    assert cited.splitlines()[0].endswith("(inferred)")
    assert 'Inferred date: "By the next night" is read as the day after 3 March 2020' in cited
    assert "¶4 (spoken by mara-quist)" in cited
    assert "Date inferred" not in kz(*ON_GOOD, "cite", "bridge-closed", "--style", "bibtex").stdout
    assert "Inferred date:" in kz(*ON_GOOD, "cite", "bridge-closed", "--style", "bibtex").stdout


def test_a_link_between_texts_shows_in_the_profile_and_listing(kz) -> None:
    """The actor joined across texts says so in its profile and carries the mark in kz actors."""
    profile = kz(*ON_GOOD, "actor", "ivo-lark", "-f", "table").stdout
    assert "at his post and was later dismissed. (inferred)" in profile
    flat = kz(*ON_GOOD, "actor", "ivo-lark", "-f", "tsv").stdout
    assert 'inferred link between texts\tThe report names only "the director' in flat
    listing = kz(*ON_GOOD, "actors", "-f", "table").stdout
    assert "Ivo Lark (inferred)" in listing
    assert "Mara Quist (inferred)" not in listing
    rows = {a["id"]: a for a in json.loads(kz(*ON_GOOD, "actors", "-f", "json").stdout)}
    assert list(rows["ivo-lark"]["inferred"]) == ["link"]


def test_gaps_lists_each_date_number_and_name_no_excerpt_quotes(kz) -> None:
    """One row per uncited fact, with its paragraph; a question's words and a speaker's label are no gap."""
    rows = json.loads(kz(*ON_GOOD, "gaps", "--sources-dir", str(TEXTS), "-f", "json").stdout)
    found = {(r["id"], r["gap"], r["detail"]) for r in rows if r["type"] == "paragraph"}
    assert ("flood-report#2", "number not cited", "12") in found
    assert not any(where == "harbour-review#2" for where, _, _ in found)  # the question
    assert ("harbour-review#3", "name not cited", "Mara Quist") not in found
    assert ("harbour-review#3", "number not cited", "40") not in found  # quoted by the figure
    tsv = kz(*ON_GOOD, "gaps", "--sources-dir", str(TEXTS), "-f", "tsv").stdout.splitlines()
    assert "paragraph\tflood-report#2\tnumber not cited\t12" in tsv


def test_the_gaps_help_example_is_real(kz) -> None:
    """The --help example's rows exist on the bundled KB: a date a paragraph holds and no excerpt quotes."""
    if not SHARED_SOURCES.is_dir():
        pytest.skip("no source texts beside the project")
    tsv = kz("gaps", "--sources-dir", str(SHARED_SOURCES), "-f", "tsv").stdout.splitlines()
    dates = [line.split("\t") for line in tsv if "\tdate not cited\t" in line]
    assert dates
    assert all(row[0] == "paragraph" and "#" in row[1] for row in dates)


def test_found_in_reads_dates_numbers_and_names() -> None:
    """Dates first (their digits are no separate number), then numbers, then runs of capitals."""
    found = found_in("On 3 March 2020, 40 families left Old Town. Later the Port Authority met in Eastford.")
    assert ("date", "3 March 2020") in found
    assert ("number", "40") in found
    assert ("name", "Old Town") in found
    assert ("name", "Port Authority") in found
    assert ("name", "Eastford") in found
    assert ("number", "3") not in found
    assert ("name", "Later") not in found
    assert ("name", "On") not in found


def test_a_date_is_written_only_with_its_day_and_month() -> None:
    """'January 5th' and '5 January' write 2022-01-05; 'On the 5th' leaves the month to context."""
    assert date_written("2022-01-05", ["On January 5th, the crowd grew"])
    assert date_written("2022-01-05", ["by 5 January"])
    assert not date_written("2022-01-05", ["On the 5th, the government changed tactics"])
    assert not date_written("2022-01-05", ["on 15 January"])
    assert date_written("2022-01", ["in January"])
    assert not date_written("2022", ["last year"])
    assert date_written("2022-01-01", ["On New Year's Day 2022, the cap was lifted"])


def test_a_paragraph_names_a_person_by_name_alias_or_surname() -> None:
    """A surname is enough for a person; a post is not a name."""
    person = {"name": "Karim Masimov", "kind": "person", "aliases": []}
    assert names_it(person, "intelligence chief Karim Masimov")
    assert names_it(person, "Masimov was arrested")
    assert not names_it(person, "dismissed the director of the KNB")


def test_the_speaker_check_credits_a_statement_to_its_actor() -> None:
    """A statement filed under the answer's actor needs no `speaker`; under anyone else it is an error."""
    check = SpeakerCheck.of(
        [{"id": "s", "speakers": [{"paragraphs": [2], "voice": "answer", "person": "P", "actor": "p"}]}]
    )
    cite = {"source": "s", "paragraph": 2, "excerpt": "x"}
    assert check.problem(cite, "p", "the statement is filed under") is None
    assert "but the statement is filed under 'q'" in str(
        check.problem(cite, "q", "the statement is filed under")
    )
    assert check.problem({**cite, "paragraph": 3}, None, "") is None


def test_the_bundled_interview_maps_every_paragraph() -> None:
    """PG's speaker map gives each of its 20 paragraphs one voice, as the fact-checkers read them."""
    import yaml

    from conftest import REPO

    sources = yaml.safe_load((REPO / "data" / "sources.yaml").read_text(encoding="utf-8"))
    pg = next(s for s in sources if s["id"] == "paris-globalist")
    voices = {n: (e["voice"], e.get("person")) for e in pg["speakers"] for n in e["paragraphs"]}
    assert sorted(voices) == list(range(1, 21))
    assert [n for n, v in voices.items() if v[0] == "question"] == [4, 7, 10, 13, 16]
    assert [n for n, v in voices.items() if v[1] == "Anel Arapova"] == [6, 8, 9, 15]
    assert [n for n, v in voices.items() if v[1] == "Cyrille Bret"] == [5, 11, 12, 14, 17, 18, 19]


def test_a_date_claim_read_from_context_must_be_marked_too() -> None:
    """Each date claim is checked against its own paragraph; `inferred.date_claims` excuses them."""
    texts = {"s": ["January 5. Crowds gathered.", "In the evening, the president called for troops."]}
    event = {
        "date_claims": [
            {"source": "s", "paragraph": 1, "date": "2022-01-05"},
            {"source": "s", "paragraph": 2, "date": "2022-01-05"},
        ]
    }
    found = list(unmarked("events", event, texts))
    assert [where for where, _ in found] == [("date_claims", 1, "date")]
    assert found[0][1].startswith("date_claims.1.date: no cited paragraph writes 2022-01-05")
    assert list(unmarked("events", {**event, "inferred": {"date_claims": "why"}}, texts)) == []


def test_a_source_s_inferred_people_are_marked_where_they_show(kz) -> None:
    """PG's author is read from its closing bio: the people cell and the BibTeX author say so."""
    rows = kz("sources", "-f", "tsv", "--fields", "id,people").stdout.splitlines()
    pg = next(row for row in rows if row.startswith("paris-globalist\t"))
    assert pg.endswith("Lena Faucher (author) (inferred)")
    cc = next(row for row in rows if row.startswith("chaos-and-crackdown\t"))
    assert "(inferred)" not in cc
    bibtex = kz("cite", "paris-globalist", "--style", "bibtex").stdout
    assert "Author inferred: Lena Faucher's part is inferred" in bibtex
    assert ".." not in bibtex
