"""`kz validate`: every problem reported as file:line: id: message, exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINI_KB, MINI_TEXTS
from kzcli.errors import ExitCode

pytestmark = pytest.mark.hostile


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_fixture_kb_is_valid_with_excerpts_checked(kz) -> None:
    """The fixture KB passes, excerpts included, and the summary counts records."""
    result = kz("validate", str(MINI_KB), "--sources-dir", str(MINI_TEXTS))
    assert result.code == ExitCode.OK
    assert "2 sources, 3 events, 3 actors, 1 places, 4 figures" in result.stdout


def test_excerpt_not_in_cited_paragraph_is_reported(kz, mini_kb: Path) -> None:
    """An excerpt that is not verbatim in its paragraph fails with its line."""
    _edit(mini_kb / "figures.yaml", "Officials said 12 people died.", "Officials said 13 people died.")
    result = kz("validate", str(mini_kb), "--sources-dir", str(MINI_TEXTS))
    assert result.code == ExitCode.INVALID_KB
    assert (
        "figures.yaml:12: deaths-official: citations.0.excerpt: not found verbatim in alpha paragraph 2"
        in (result.stderr)
    )


def test_paragraph_beyond_the_text_is_reported(kz, mini_kb: Path) -> None:
    """A paragraph number past the end of the source text fails."""
    _edit(
        mini_kb / "figures.yaml",
        "      paragraph: 3\n      excerpt: About",
        "      paragraph: 9\n      excerpt: About",
    )
    result = kz("validate", str(mini_kb), "--sources-dir", str(MINI_TEXTS))
    assert result.code == ExitCode.INVALID_KB
    assert "beta has only 3 paragraphs" in result.stderr


def test_fingerprint_finds_text_whatever_its_name(kz, tmp_path: Path) -> None:
    """Source texts are matched by sha256, not by file name."""
    texts = tmp_path / "renamed"
    texts.mkdir()
    for i, text in enumerate(sorted(MINI_TEXTS.iterdir())):
        (texts / f"copy-{i}.dat").write_bytes(text.read_bytes())
    assert kz("validate", str(MINI_KB), "--sources-dir", str(texts)).code == ExitCode.OK


def test_missing_text_for_a_fingerprint_is_reported(kz, tmp_path: Path) -> None:
    """A source whose sha256 matches no file in --sources-dir fails."""
    texts = tmp_path / "partial"
    texts.mkdir()
    (texts / "alpha.txt").write_bytes((MINI_TEXTS / "alpha.txt").read_bytes())
    result = kz("validate", str(MINI_KB), "--sources-dir", str(texts))
    assert result.code == ExitCode.INVALID_KB
    assert "sources.yaml:21: beta: sha256: no file in" in result.stderr


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "events.yaml",
            'date: "2020-03-04"',
            'date: "2020-02-30"',
            "events.yaml:17: rescue-teams-arrive: date: '2020-02-30' is not a real calendar date",
        ),
        (
            "events.yaml",
            'date: "2020-03-04"',
            "date: 2020-03-04x",
            "events.yaml:17: rescue-teams-arrive: date: must be an ISO date",
        ),
        (
            "figures.yaml",
            "qualifier: over",
            "qualifier: roughly",
            "figures.yaml:17: deaths-volunteers: qualifier",
        ),
        ("figures.yaml", "value: 30", 'value: "30"', "deaths-volunteers: value"),
        ("actors.yaml", "kind: person", "kind: robot", "actors.yaml:3: dana-reyes: kind"),
        (
            "events.yaml",
            "places: [eastford]\n  actors",
            "places: [westford]\n  actors",
            "unknown place 'westford'",
        ),
        (
            "events.yaml",
            "actors: [dana-reyes]",
            "actors: [nobody]",
            "events.yaml:21: rescue-teams-arrive: actors.0: unknown actor 'nobody'",
        ),
        (
            "figures.yaml",
            "- source: beta\n      paragraph: 3",
            "- source: gamma\n      paragraph: 3",
            "unknown source",
        ),
        (
            "events.yaml",
            "- id: flood-season",
            "- id: rescue-teams-arrive",
            "duplicate id (first defined at events.yaml:",
        ),
        (
            "places.yaml",
            "  kind: town",
            "  kind: town\n  kind: city",
            "places.yaml:4: -: duplicate key 'kind'",
        ),
        (
            "places.yaml",
            "  kind: town",
            "  kind: town\n  colour: blue",
            "places.yaml:4: eastford: colour: not a field of this record",
        ),
        ("figures.yaml", "value: 30", "value: yes", "deaths-volunteers: value"),
    ],
)
def test_schema_and_reference_errors_point_at_the_line(
    kz, mini_kb: Path, file: str, old: str, new: str, expected: str
) -> None:
    """Each kind of mistake fails validation with a file:line: id: message."""
    _edit(mini_kb / file, old, new)
    result = kz("validate", str(mini_kb))
    assert result.code == ExitCode.INVALID_KB
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_excerpt_over_25_words_is_refused(kz, mini_kb: Path) -> None:
    """Verbatim text is capped at 25 words."""
    long = " ".join(["word"] * 26)
    _edit(mini_kb / "places.yaml", "excerpt: the river town of Eastford", f"excerpt: {long}")
    result = kz("validate", str(mini_kb))
    assert result.code == ExitCode.INVALID_KB
    assert "excerpt has 26 words; at most 25 are allowed" in result.stderr


def test_every_problem_is_listed_not_just_the_first(kz, mini_kb: Path) -> None:
    """Two unrelated mistakes in two files are both reported."""
    _edit(mini_kb / "places.yaml", "kind: town", "kind: village")
    _edit(mini_kb / "actors.yaml", "kind: person", "kind: robot")
    result = kz("validate", str(mini_kb))
    assert "places.yaml" in result.stderr
    assert "actors.yaml" in result.stderr
    assert "kz: knowledge base is invalid (2 problems)" in result.stderr


def test_unknown_yaml_file_in_kb_is_reported(kz, mini_kb: Path) -> None:
    """A misnamed kind file (event.yaml) is an error rather than silently ignored."""
    (mini_kb / "event.yaml").write_text("[]\n", encoding="utf-8")
    result = kz("validate", str(mini_kb))
    assert result.code == ExitCode.INVALID_KB
    assert "event.yaml:1: unknown knowledge-base file" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file has no records"),
        (b"# only a comment\n", "file has no records"),
        (b"\xff\xfe garbage", "not valid UTF-8"),
        (b"- id: [unclosed\n", "places.yaml:"),
        (b"id: eastford\n", "expected a list of places records"),
    ],
)
def test_broken_files_fail_cleanly(kz, mini_kb: Path, content: bytes, expected: str) -> None:
    """Empty, binary, malformed or wrongly shaped files fail with exit 3 and no traceback."""
    (mini_kb / "places.yaml").write_bytes(content)
    result = kz("validate", str(mini_kb))
    assert result.code == ExitCode.INVALID_KB
    assert expected in result.stderr


def test_bom_and_crlf_are_accepted(kz, mini_kb: Path) -> None:
    """A UTF-8 BOM and Windows line endings are fine."""
    path = mini_kb / "places.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert kz("validate", str(mini_kb)).code == ExitCode.OK


@pytest.mark.parametrize("make", ["missing", "file"])
def test_kb_folder_that_is_not_a_folder(kz, tmp_path: Path, make: str) -> None:
    """A KB path that does not exist or is a file fails with exit 3."""
    target = tmp_path / "kb"
    if make == "file":
        target.write_text("x", encoding="utf-8")
    result = kz("validate", str(target))
    assert result.code == ExitCode.INVALID_KB
    assert "knowledge-base folder" in result.stderr


def test_schema_errors_are_in_kz_words_once_per_field(kz, mini_kb: Path) -> None:
    """A wrong type, an unknown field and a bad choice read as kz's words, each field reported once."""
    _edit(mini_kb / "figures.yaml", "value: 30", 'value: "30"')
    _edit(mini_kb / "actors.yaml", "kind: person", "kind: robot")
    result = kz("validate", str(mini_kb))
    problems = result.stderr.splitlines()[:-1]
    assert any(p.endswith("deaths-volunteers: value: must be a number") for p in problems)
    assert sum("deaths-volunteers: value" in p for p in problems) == 1
    assert any("dana-reyes: kind: must be 'person'" in p for p in problems)
    assert not any(word in result.stderr for word in ("Input should", "Extra inputs", "Value error"))
