"""One question, one verdict: every view that shows a comparison's verdict shows the one the compiler
stored for it, whatever the view filters, over the bundled knowledge base and a fixture whose filtered
view would judge otherwise on its own. Written so that it holds whatever the stored verdicts are."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kzcli import compare
from kzcli.errors import ExitCode

SUBSET_KB = Path(__file__).resolve().parent / "fixtures" / "rules" / "subset-view" / "kb"


def _stored(kz: Any, *kb: str) -> dict[str, dict[str, Any]]:
    """Every comparison the compiler stored, as `kz disputes --agreements` gives them, by id."""
    answer = kz(*kb, "disputes", "--agreements", "-f", "json")
    assert answer.code == 0, answer.stderr
    return {c["id"]: c for c in json.loads(answer.stdout)}


def _shown(value: Any) -> Iterator[dict[str, Any]]:
    """Each mapping in a JSON answer that carries a verdict."""
    if isinstance(value, dict):
        if "verdict" in value:
            yield value
        for inner in value.values():
            yield from _shown(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _shown(inner)


def _question(shown: dict[str, Any]) -> str:
    """The comparison a verdict-bearing mapping names: a mark's or comparison's id, a row's question."""
    return str(shown["row"] if "row" in shown else shown["id"])


def _json_views(kz: Any, *kb: str) -> list[list[str]]:
    """Every command and flag whose JSON shows a verdict: figures with each flag, profiles, brief, ..."""
    metrics = [m["metric"] for m in json.loads(kz(*kb, "figures", "--summary", "-f", "json").stdout)]
    actors = [a["id"] for a in json.loads(kz(*kb, "actors", "-f", "json").stdout)]
    places = [p["id"] for p in json.loads(kz(*kb, "places", "-f", "json").stdout)]
    sources = [s["id"] for s in json.loads(kz(*kb, "sources", "-f", "json").stdout)]
    views = [["figures"], ["figures", "--background"], ["figures", "--casualties"], ["brief"]]
    views += [["figures", flag] for flag in ("--deaths", "--injured", "--arrests", "--troops")]
    views += [["figures", "--casualties", "--by-source"], ["figures", "--min-sources", "2"]]
    views += [["timeline"], ["timeline", "--background"], ["actors"], ["places"], ["statements"]]
    views += [["disputes"], ["disputes", "--agreements"], ["export"]]
    for metric in metrics:
        views += [["figures", "--metric", metric, *flags] for flags in ([], ["--by-source"], ["--chart"])]
        views += [["figures", metric, "--by-source", "--background"]]
    views += [["figures", "--attributed-to", actor, "--background"] for actor in actors]
    views += [["timeline", "--source", source, "--background"] for source in sources]
    views += [["actor", actor] for actor in actors] + [["place", place] for place in places]
    return views


def _verdicts_shown(kz: Any, tmp_path: Path, *kb: str) -> dict[str, dict[str, set[str]]]:
    """Per comparison id, each verdict any view shows for it, with the views that show it."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for argv in _json_views(kz, *kb):
        answer = kz(*kb, *argv, "-f", "json")
        if answer.code == ExitCode.NO_MATCH:
            continue  # a filter that matches nothing (an actor with no figures) shows no verdict
        assert answer.code == 0, (argv, answer.stderr)
        for shown in _shown(json.loads(answer.stdout)):
            seen[_question(shown)][str(shown["verdict"])].add(" ".join(argv))
    for record in json.loads(kz(*kb, "export", "-f", "json").stdout)["figures"]:
        for cited in _cited_verdicts(kz, record["id"], *kb):
            seen[cited[0]][cited[1]].add(f"cite {record['id']}")
    for question, verdict in _dataset_verdicts(kz, tmp_path, *kb):
        seen[question][verdict].add("export -f sqlite")
    return seen


_CITED = re.compile(r"^  (contradiction|differs|slip) \(([^,)]+)[,)]", re.MULTILINE)


def _cited_verdicts(kz: Any, record_id: str, *kb: str) -> list[tuple[str, str]]:
    """The (comparison, verdict) pairs `kz cite` names under a record's citations."""
    answer = kz(*kb, "cite", record_id)
    assert answer.code == 0, answer.stderr
    return [(m.group(2), m.group(1)) for m in _CITED.finditer(answer.stdout)]


def _dataset_verdicts(kz: Any, tmp_path: Path, *kb: str) -> Iterator[tuple[str, str]]:
    """The verdicts of the SQLite dataset: its comparisons table, and every record's marks."""
    db = tmp_path / f"dataset-{len(list(tmp_path.iterdir()))}.db"
    assert kz(*kb, "export", "-f", "sqlite", "-o", str(db)).code == 0
    conn = sqlite3.connect(db)
    try:
        yield from conn.execute("SELECT id, verdict FROM comparisons")
        yield from conn.execute("SELECT comparison, verdict FROM dispute_claims")
        for table in ("events", "actors", "places", "figures", "statements"):
            for (marks,) in conn.execute(f"SELECT disputes FROM {table}"):
                yield from ((m["id"], m["verdict"]) for m in json.loads(marks or "[]"))
    finally:
        conn.close()


def _assert_one_stored_verdict(
    seen: dict[str, dict[str, set[str]]], stored: dict[str, dict[str, Any]]
) -> None:
    for question, verdicts in seen.items():
        expected = stored[question]["verdict"] if question in stored else "None"
        assert set(verdicts) == {expected}, (
            question,
            {v: sorted(views)[:3] for v, views in verdicts.items()},
        )


def test_every_view_shows_each_question_with_its_one_stored_verdict(kz, tmp_path: Path) -> None:
    """Figures (each flag, --by-source, charts), brief, disputes, cite, profiles, JSON and the SQLite
    dataset: each comparison id carries exactly one verdict across all of them, the stored one."""
    stored = _stored(kz)
    seen = _verdicts_shown(kz, tmp_path)
    _assert_one_stored_verdict(seen, stored)
    in_dispute = {cid for cid, c in stored.items() if c["verdict"] in compare.IN_DISPUTE}
    assert in_dispute <= set(seen)  # every comparison in dispute is shown somewhere, so each was checked


def test_a_subset_view_shows_its_questions_stored_verdict_and_says_it_shows_fewer_claims(
    kz, tmp_path
) -> None:
    """The fixture's arrests question: the ministry's two counts agree on their own, the NGO's contradicts
    them. Filtered to the ministry, every view still shows the question's verdict, labelled as the
    question's over all its claims, and says how many of them it shows."""
    kb = ("--data-dir", str(SUBSET_KB))
    stored = _stored(kz, *kb)
    question = stored["arrests-total"]
    alone = compare.judge_figures([c for c in question["claims"] if c["attributed_to"] == "ministry"])
    assert alone[0] != question["verdict"]  # the fixture's point: on its own, the subset judges otherwise
    _assert_one_stored_verdict(_verdicts_shown(kz, tmp_path, *kb), stored)
    rows = json.loads(
        kz(*kb, "figures", "arrests", "--by-source", "--attributed-to", "ministry", "-f", "json").stdout
    )
    assert [(r["row"], r["verdict"], r["subset"]) for r in rows] == [
        ("arrests-total", question["verdict"], {"shown": 2, "of": len(question["claims"])})
    ]
    table = kz(
        *kb, "figures", "arrests", "--attributed-to", "ministry", "-f", "table", env={"COLUMNS": "300"}
    )
    closing = [line for line in table.stdout.splitlines() if line.startswith("arrests (all) — ")]
    assert len(closing) == 1
    assert f" — {question['verdict']}: " in closing[0]
    assert (
        f"(the question's verdict, over all {len(question['claims'])} of its claims compared; " in closing[0]
    )
    assert (
        "  G  gamma: Gamma" in table.stdout
    )  # the verdict names G's count: G is in the legend, though not shown
    every = kz(*kb, "figures", "arrests", "-f", "table", env={"COLUMNS": "300"}).stdout
    assert "the question's verdict, over all" not in every  # the whole question shown: no subset line


@pytest.mark.parametrize("view", [["figures", "arrests"], ["figures", "arrests", "--by-source"], ["brief"]])
def test_no_view_judges_a_question_again(kz, monkeypatch, view: list[str]) -> None:
    """Views read the stored verdicts: with every judging function of compare.py broken, a warm
    view still answers (the index was built before)."""
    kb = ("--data-dir", str(SUBSET_KB))
    before = kz(*kb, *view, "-f", "json")
    assert before.code == 0, before.stderr

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a view judged a question again")

    for name in (
        "judge",
        "judge_figures",
        "within_whole",
        "figure_comparisons",
        "_figure_pair",
        "_part_pair",
    ):
        monkeypatch.setattr(compare, name, refuse)
    after = kz(*kb, *view, "-f", "json")
    assert after.code == 0, after.stderr
    assert after.stdout == before.stdout


@pytest.mark.parametrize(
    "folder",
    [None, SUBSET_KB, SUBSET_KB.parents[1] / "nested-wholes" / "kb"],
    ids=["bundled", "subset", "nested"],
)
def test_every_part_whole_comparison_is_shown_on_its_parts_row(kz, folder: Path | None) -> None:
    """A part's comparison with each whole it is part of, two levels up too, is on the part's row."""
    kb = ("--data-dir", str(folder)) if folder else ()
    stored = _stored(kz, *kb)
    rows = []
    for metric in {c["claims"][0]["metric"] for c in stored.values() if c["kind"] == "figure"}:
        answer = kz(*kb, "figures", metric, "--by-source", "--background", "-f", "json")
        rows += json.loads(answer.stdout)
    shown = {w["id"]: row["row"] for row in rows for w in row["within"]}
    for cid in stored:
        if "-within-" in cid:
            assert shown.get(cid) == cid.split("-within-")[0], cid
    if folder is not None and folder.parent.name == "nested-wholes":
        police = next(row for row in rows if row["row"] == "deaths-police")
        assert [w["id"] for w in police["within"]] == ["deaths-police-within-total"]


def test_the_brief_shows_a_few_claims_of_a_crowded_question_and_how_many_more(kz, tmp_path: Path) -> None:
    """Forty generated death counts on one question: the brief's headline line shows the first few and
    counts the rest, and keeps the question's stored verdict."""
    import sys

    from conftest import REPO
    from kzcli.show.summary_views import BRIEF_CLAIMS

    sys.path.insert(0, str(REPO / "bench"))
    from synth import one_question  # bench/ is not a package: imported by path

    one_question(40, tmp_path / "layer")
    layer = ("--with", str(tmp_path / "layer"))
    rows = json.loads(kz(*layer, "figures", "--casualties", "--by-source", "-f", "json").stdout)
    total = next(r for r in rows if r["row"] == "deaths-total")
    claims = [c for cl in total["cells"].values() for c in cl]
    assert len(claims) > BRIEF_CLAIMS
    metrics = " ".join(dict.fromkeys(c["metric"] for c in claims))
    text = " ".join(kz(*layer, "brief", env={"COLUMNS": "300"}).stdout.split())
    line = text[text.index("deaths (all)") :]
    more = f" · and {len(claims) - BRIEF_CLAIMS:,} more (kz figures {metrics} --by-source) — "
    assert f"{more}{total['verdict']}: " in line
    named = json.loads(kz(*layer, "figures", *metrics.split(), "--by-source", "-f", "json").stdout)
    listed = [c for r in named if r["row"] == "deaths-total" for cl in r["cells"].values() for c in cl]
    assert len(listed) == len(claims)  # the command the brief names lists every claim of the question
