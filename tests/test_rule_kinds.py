"""Comparisons of where, who, how long and in what order, name pairs, and the rules' examples.

One small knowledge base per rule in tests/fixtures/rules/<rule>/kb, all citing the two
texts in tests/fixtures/rules/texts; the rules' examples are read from the bundled KB.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import HERE
from kzcli import compare
from kzcli.errors import ExitCode

RULES_DIR = HERE / "fixtures" / "rules"
TEXTS = RULES_DIR / "texts"

# Each fixture's comparison: (fixture, comparison id, kind, verdict).
CASES = [
    ("happened-where", "flood-reaches-capital", "where", "contradiction"),
    ("who", "who-called-the-guard", "who", "contradiction"),
    ("derived-interval", "guard-arrival-interval", "interval", "differs"),
    ("order", "tariff-and-resignation", "order", "contradiction"),
    ("name-pair", "name-great-flood", "name", "agrees"),
]


def _kb(fixture: str) -> Path:
    return RULES_DIR / fixture / "kb"


def _disputes(kz, folder: Path, *more: str) -> dict[str, dict]:
    result = kz("--data-dir", str(folder), "disputes", "-f", "json", *more)
    assert result.code == ExitCode.OK, result.stderr
    return {c["id"]: c for c in json.loads(result.stdout)}


@pytest.mark.parametrize(("fixture", "comparison_id", "kind", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_fixture_is_valid_against_its_texts(
    kz, fixture: str, comparison_id: str, kind: str, verdict: str
) -> None:
    """Every fixture KB validates with its excerpts checked in the texts, a derived claim's parts too."""
    result = kz("validate", str(_kb(fixture)), "--sources-dir", str(TEXTS))
    assert result.code == ExitCode.OK, result.stderr
    assert "1 comparisons" in result.stdout


@pytest.mark.parametrize(("fixture", "comparison_id", "kind", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_keeps_its_recorded_verdict_and_is_listed_where_it_belongs(
    kz, fixture: str, comparison_id: str, kind: str, verdict: str
) -> None:
    """kz disputes lists a contradiction or difference; an agreement appears only with --agreements."""
    listed = _disputes(kz, _kb(fixture))
    every = _disputes(kz, _kb(fixture), "--agreements")
    found = every[comparison_id]
    assert (found["kind"], found["verdict"]) == (kind, verdict)
    assert (comparison_id in listed) == (verdict in compare.IN_DISPUTE)
    assert len({claim["source"] for claim in found["claims"]}) == 2  # cited on every side


def test_every_kind_of_comparison_has_the_same_json_shape(kz) -> None:
    """A claim of any kind has the same keys, derived or not, so a reader of one kind reads them all."""
    shapes = set()
    for fixture, comparison_id, _kind, _verdict in CASES:
        found = _disputes(kz, _kb(fixture), "--agreements")[comparison_id]
        shapes |= {tuple(sorted(claim)) for claim in found["claims"]}
    assert len(shapes) == 1
    assert {"derived", "derivation", "parts", "inferred"} <= set(next(iter(shapes)))


@pytest.mark.parametrize(
    ("fixture", "comparison_id", "paragraphs"),
    [
        ("derived-interval", "guard-arrival-interval", "¶2, ¶3 and ¶4"),
        ("order", "tariff-and-resignation", "¶5 and ¶6"),
    ],
)
def test_a_derived_side_is_marked_derived_and_cites_every_part(
    kz, fixture: str, comparison_id: str, paragraphs: str
) -> None:
    """The implied side is derived: true with its parts, and its value says so; the stated side is not."""
    claims = _disputes(kz, _kb(fixture))[comparison_id]["claims"]
    derived = [c for c in claims if c["derived"]]
    stated = [c for c in claims if not c["derived"]]
    assert [c["source"] for c in derived] == ["alpha"]
    assert [c["source"] for c in stated] == ["beta"]
    assert derived[0]["shown"].endswith(f", derived from {paragraphs}")
    assert derived[0]["derivation"]
    assert all(p["source"] == "alpha" for p in derived[0]["parts"])
    assert stated[0]["parts"] == []
    assert stated[0]["derivation"] is None
    table = kz("--data-dir", str(_kb(fixture)), "disputes").stdout
    assert "derived from" in table


def test_a_derived_side_is_a_column_of_the_dataset(kz, tmp_path: Path) -> None:
    """The SQLite dataset keeps the derived mark and the parts of a comparison's claim."""
    import sqlite3

    target = tmp_path / "kb.sqlite"
    result = kz("--data-dir", str(_kb("derived-interval")), "export", "-f", "sqlite", "-o", str(target))
    assert result.code == ExitCode.OK, result.stderr
    with sqlite3.connect(target) as conn:
        rows = conn.execute(
            "SELECT source, derived, parts FROM comparison_claims WHERE comparison = ? ORDER BY ord",
            ("guard-arrival-interval",),
        ).fetchall()
    by_source = {source: (derived, json.loads(parts)) for source, derived, parts in rows}
    assert by_source["beta"] == (0, [])
    assert by_source["alpha"][0] == 1
    assert [p["paragraph"] for p in by_source["alpha"][1]] == [2, 4]


def _broken(tmp_path: Path, old: str, new: str, fixture: str = "derived-interval") -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(_kb(fixture), folder)
    path = folder / "comparisons.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


_REQUEST = "excerpt: The guard arrived within hours of the governor's request.,"
_PARTS = (
    "      parts:\n        - {source: alpha, paragraph: 2, excerpt: March 2.}\n"
    '        - {source: alpha, paragraph: 4, excerpt: "March 3. … In the evening, the national guard began to'
    ' arrive."}\n'
)
_DERIVATION = (
    "      derivation: A states no interval; it has the request on the evening of March 2 and the arrival"
    " on the evening of March 3.\n"
)
BROKEN = {
    "unknown kind": ("kind: interval", "kind: duration", "kind: must be 'name', 'wording'"),
    "missing citation": (_REQUEST, "", "claims.0.excerpt: missing"),
    "derived without its parts": (_PARTS, "", "claims.1: a derived claim needs parts"),
    "parts without a derivation": (
        _DERIVATION,
        "",
        "claims.1: parts: a derived claim says how it is worked out",
    ),
    "a part from another source": (
        "- {source: alpha, paragraph: 2, excerpt: March 2.}",
        "- {source: beta, paragraph: 2, excerpt: March 2.}",
        "parts come from its own source, not beta",
    ),
    "one source on both sides": (
        "source: beta, paragraph: 4",
        "source: alpha, paragraph: 4",
        "sets two sources side by side",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_comparison_is_one_line_and_exit_3(kz, tmp_path: Path, case: str) -> None:
    """An unknown kind, a missing citation, a derived claim without its parts: one kz line each, exit 3."""
    old, new, message = BROKEN[case]
    folder = _broken(tmp_path, old, new)
    result = kz("validate", str(folder))
    assert result.code == ExitCode.INVALID_KB
    problems = [line for line in result.stderr.splitlines() if "comparisons.yaml:" in line]
    assert len(problems) == 1, result.stderr
    assert message in problems[0]
    assert "guard-arrival-interval" in problems[0]
    assert result.stderr.splitlines()[-1].startswith("kz: ")
    assert "Traceback" not in result.stderr
    assert kz("--data-dir", str(folder), "disputes").code == ExitCode.INVALID_KB


def test_a_part_whose_excerpt_is_not_in_its_paragraph_is_refused(kz, tmp_path: Path) -> None:
    """A derived claim's parts are checked against the texts like every other citation."""
    folder = _broken(tmp_path, "excerpt: March 2.}", "excerpt: March 9.}")
    result = kz("validate", str(folder), "--sources-dir", str(TEXTS))
    assert result.code == ExitCode.INVALID_KB
    assert "claims.1.parts.0.excerpt: not found verbatim in alpha paragraph 2" in result.stderr


# --- the rules, each with its example from the bundled knowledge base ----------------------------


def _bundled(kz) -> dict[str, dict]:
    result = kz("disputes", "--agreements", "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    return {c["id"]: c for c in json.loads(result.stdout)}


@pytest.mark.parametrize("rule", compare.RULES, ids=[rule.name for rule in compare.RULES])
def test_every_rules_example_is_in_the_bundled_kb_with_the_verdict_the_rule_gives(
    kz, rule: compare.Rule
) -> None:
    """Each rule names a comparison of the bundled KB, and that comparison has the verdict the rule states."""
    found = _bundled(kz).get(rule.example)
    assert found is not None, f"{rule.example} is not a comparison of the bundled knowledge base"
    assert found["verdict"] == rule.verdict


def test_the_rules_name_the_verdicts_and_the_kinds_the_issue_asks_for() -> None:
    """Every verdict has a meaning, and the rules cover fits, series, undated counts, intervals and order."""
    assert set(compare.VERDICT_MEANINGS) == set(compare.VERDICTS)
    names = {rule.name for rule in compare.RULES}
    wanted = {"contradiction", "differs", "agrees", "series over time", "less or more specific"}
    wanted |= {"undated against dated", "derived interval", "order", "fits (parts and totals)"}
    assert wanted <= names
    assert {rule.verdict for rule in compare.RULES} == set(compare.VERDICTS)


def test_kz_schema_rules_prints_each_example_as_the_index_has_it(kz) -> None:
    """The example lines are the comparisons' own subject, verdict and explanation, not words kept apart."""
    text = kz("schema", "--rules").stdout
    bundled = _bundled(kz)
    for verdict in compare.VERDICTS:
        assert f"  {verdict}: " in text
    for rule in compare.RULES:
        example = bundled[rule.example]
        assert f"  {rule.name}: {rule.text}" in text
        line = f"    e.g. {rule.example} ({example['verdict']}): {example['subject'].rstrip('.')} — "
        assert line + example["explanation"] in text


def test_the_rules_examples_come_from_the_bundled_kb_whatever_kb_is_used(kz) -> None:
    """With another KB in use, the rules still show the bundled examples, never 'not in this KB'."""
    text = kz("--data-dir", str(_kb("who")), "schema", "--rules").stdout
    assert "not in this knowledge base" not in text
    assert "e.g. troops-arrival-interval (differs)" in text


def test_a_rule_whose_example_is_missing_says_so() -> None:
    """rules_text names a missing example instead of failing, so a layer's gap shows in the text."""
    text = compare.rules_text({})
    assert f"e.g. {compare.RULES[0].example}: not in this knowledge base" in text


# --- the bundled data: questions are no evidence, and every derived side has its parts ----------


def _interview_questions() -> set[tuple[str, int]]:
    """(source, paragraph) of every paragraph of an interview that asks a question and answers none."""
    from conftest import SHARED_SOURCES
    from kzcli.kb.files import bundled_data_dir, source_texts
    from kzcli.textnorm import split_paragraphs

    if not SHARED_SOURCES.is_dir():
        pytest.skip(f"no source texts at {SHARED_SOURCES}")
    import yaml

    sources = yaml.safe_load((bundled_data_dir() / "sources.yaml").read_text(encoding="utf-8"))
    by_hash, _ = source_texts(SHARED_SOURCES)
    found = set()
    for source in sources:
        if source["kind"] != "interview":
            continue
        for number, paragraph in enumerate(split_paragraphs(by_hash[source["sha256"]]), start=1):
            # An answer opens with its speaker ("Cyrille Bret :"); a question ends with its mark.
            if paragraph.rstrip().endswith("?") and " : " not in paragraph[:40]:
                found.add((source["id"], number))
    return found


def test_no_claim_rests_on_an_interviewers_question(kz) -> None:
    """No comparison side, event date or event citation cites a paragraph that only asks a question."""
    questions = _interview_questions()
    assert questions, "the bundled interview has questions; finding none means the test reads nothing"
    data = json.loads(kz("export", "-f", "json").stdout)
    cited = [(c["id"], claim) for c in data["comparisons"] if c["kind"] != "slip" for claim in c["claims"]]
    for event in data["events"]:
        cited += [(event["id"], cite) for cite in [*event["citations"], *event["date_claims"]]]
    for figure in data["figures"]:
        cited += [(figure["id"], cite) for cite in figure["citations"]]
    on_questions = [
        (rid, c["source"], c["paragraph"]) for rid, c in cited if (c["source"], c["paragraph"]) in questions
    ]
    assert on_questions == []


def test_every_derived_side_of_the_bundled_kb_shows_as_derived(kz) -> None:
    """In the bundled KB, the interval's and the order's implied sides are derived, with every part cited."""
    bundled = _bundled(kz)
    for comparison_id in ("troops-arrival-interval", "price-concession-order"):
        derived = [c for c in bundled[comparison_id]["claims"] if c["derived"]]
        assert len(derived) == 1
        assert ", derived from ¶" in derived[0]["shown"]
        assert derived[0]["parts"]
        assert derived[0]["derivation"]
