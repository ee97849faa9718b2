"""Hostile data, odd command lines and broken environments: a clean answer or a clean refusal."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

import kzcli.index.store
import kzcli.kb.files
from conftest import MINI, kz_executable, retitle_event, run_kz
from kzcli.errors import ExitCode

pytestmark = pytest.mark.hostile


# --- Hostile or broken knowledge bases -------------------------------------------------


def test_unquoted_yaml_11_words_stay_text(kz, mini_kb: Path) -> None:
    """`title: no` is the word "no", not False, all the way to JSON."""
    retitle_event(mini_kb, "no")
    events = json.loads(kz("--data-dir", str(mini_kb), "timeline", "-f", "json").stdout)
    assert "no" in [e["title"] for e in events]


def test_python_tag_is_refused_and_nothing_runs(kz, mini_kb: Path, tmp_path: Path) -> None:
    """A !!python/object/apply tag fails validation with a line, and its command never runs."""
    marker = tmp_path / "pwned"
    retitle_event(mini_kb, f'!!python/object/apply:os.system ["touch {marker}"]')
    result = kz("--data-dir", str(mini_kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "events.yaml:" in result.stderr
    assert "python/object/apply:os.system' is not allowed" in result.stderr
    assert not marker.exists()


def test_alias_bomb_in_kb_is_refused(kz, mini_kb: Path) -> None:
    """A billion-laughs file is refused with exit 3, not expanded."""
    lines = ['- &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"- &{cur} [{', '.join('*' + prev for _ in range(9))}]")
    (mini_kb / "places.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "anchors and aliases" in result.stderr


def test_oversized_file_is_refused_with_a_size_message(
    kz, mini_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file over the size cap is refused before it is read (cap lowered here to keep the test fast)."""
    monkeypatch.setattr(kzcli.kb.files, "MAX_FILE_BYTES", 200)
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "file is larger than" in result.stderr


def test_symlink_loop_is_a_clean_error(kz, mini_kb: Path) -> None:
    """A kind file that is a symlink loop fails with exit 3 and the reason."""
    (mini_kb / "places.yaml").unlink()
    (mini_kb / "places.yaml").symlink_to("places.yaml")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "places.yaml:1: cannot read file" in result.stderr


def test_tabs_in_indentation_are_a_syntax_error(kz, mini_kb: Path) -> None:
    """YAML forbids tabs for indentation; the line is reported."""
    (mini_kb / "places.yaml").write_text("- id: eastford\n\tname: Eastford\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "places.yaml:2:" in result.stderr


def test_unclosed_quote_is_a_syntax_error(kz, mini_kb: Path) -> None:
    """An unclosed quote is reported, not hung on."""
    (mini_kb / "places.yaml").write_text('- id: "eastford\n  name: x\n', encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "places.yaml:" in result.stderr


# --- Hostile text inside a valid KB ----------------------------------------------------

HOSTILE_TITLES = {
    "markup": "[red]x[/red] [/] [link=file:///etc/passwd]y[/link] :sun:",
    "ansi": "\x1b[31mred\x1b[0m",
    "osc-title": "\x1b]0;owned\x07title",
    "c1": "a\x9bb",
    "rtl-override": "abc\u202edcba",
    "zero-width": "zero\u200bwidth\u2060join",
    "line-separator": "one\u2028two",
    "long-word": "x" * 150,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TITLES))
def test_hostile_text_round_trips_in_json_and_csv(kz, mini_kb: Path, name: str) -> None:
    """JSON and CSV give back exactly the text the KB holds."""
    title = HOSTILE_TITLES[name]
    retitle_event(mini_kb, json.dumps(title))
    events = json.loads(kz("--data-dir", str(mini_kb), "timeline", "-f", "json").stdout)
    assert title in [e["title"] for e in events]
    rows = list(csv.DictReader(io.StringIO(kz("--data-dir", str(mini_kb), "timeline", "-f", "csv").stdout)))
    assert title in [r["title"] for r in rows]


@pytest.mark.parametrize("name", sorted(HOSTILE_TITLES))
def test_hostile_text_is_inert_in_a_table(kz, mini_kb: Path, name: str) -> None:
    """A table never carries raw control, escape or bidi characters; markup prints literally."""
    retitle_event(mini_kb, json.dumps(HOSTILE_TITLES[name]))
    table = kz(
        "--data-dir", str(mini_kb), "--no-color", "timeline", "-f", "table", env={"COLUMNS": "400"}
    ).stdout
    assert not any(ch in table for ch in "\x1b\x07\x9b\u202e\u200b\u2060\u2028")
    if name == "markup":
        assert "[red]x[/red] [/] [link=file:///etc/passwd]y[/link] :sun:" in table
    if name == "rtl-override":
        assert "\\u202e" in table


def test_json_escapes_invisible_characters(kz, mini_kb: Path) -> None:
    """JSON keeps bidi and C1 characters as \\u escapes, so the raw bytes never reach a terminal."""
    retitle_event(mini_kb, json.dumps("abc\u202edcba\x9b"))
    out = kz("--data-dir", str(mini_kb), "timeline", "-f", "json").stdout
    assert "\u202e" not in out
    assert "\\u202e" in out
    assert "\\u009b" in out


# --- Hostile command lines -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "$(rm -rf /); `id`",
        "'; DROP TABLE names; --",
        "%_%",
        "Токаев",
        "Алматы",
        "a" * 10_000,
        "\x00",
    ],
    ids=[
        "empty",
        "spaces",
        "shell",
        "sql",
        "like-wildcards",
        "cyrillic-actor",
        "cyrillic-place",
        "10k",
        "nul",
    ],
)
def test_odd_names_fail_cleanly_with_exit_1(kz, name: str) -> None:
    """Odd names are a failed lookup: exit 1 and one short line on stderr."""
    result = kz(*MINI, "actor", name)
    assert result.code == ExitCode.NO_MATCH
    assert result.stderr.count("\n") == 1
    assert len(result.stderr) < 400


def test_unknown_source_and_place_filters_exit_1(kz) -> None:
    """Unknown --source and --place values are failed lookups."""
    assert kz(*MINI, "timeline", "--source", "gamma").code == ExitCode.NO_MATCH
    assert kz(*MINI, "timeline", "--place", "atlantis").code == ExitCode.NO_MATCH


@pytest.mark.parametrize("value", ["2022-02-30", "20220105", "yesterday", "2022-1-5", "-1", "9999-99"])
def test_bad_dates_are_usage_errors(kz, value: str) -> None:
    """Dates that are not YYYY, YYYY-MM or YYYY-MM-DD calendar dates exit 2."""
    result = kz(*MINI, "timeline", "--from", value)
    assert result.code == ExitCode.USAGE
    assert "--from" in result.stderr


# --- Broken environments and outputs ---------------------------------------------------


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "env",
    [{"LANG": "", "LC_ALL": ""}, {"COLUMNS": "20"}, {"COLUMNS": "500"}],
    ids=["LANG-unset", "COLUMNS=20", "COLUMNS=500"],
)
def test_odd_terminal_settings_still_draw_tables(env: dict[str, str]) -> None:
    """Tables still draw with no locale, a 20-column or a 500-column terminal."""
    done = run_kz("actor", "tokayev", "-f", "table", env=env)
    assert done.returncode == ExitCode.OK, done.stderr
    assert "Kassym" in done.stdout
    assert done.stderr == ""


@pytest.mark.subprocess
def test_narrow_terminal_uses_one_block_per_record() -> None:
    """Below 60 columns, rows print as 'Column: value' lines instead of a squeezed grid."""
    done = run_kz("figures", "--troops", "-f", "table", env={"COLUMNS": "40"})
    assert "Value: more than 3,000" in done.stdout
    assert "─" not in done.stdout


@pytest.mark.subprocess
def test_closed_stdin_is_fine() -> None:
    """kz never reads stdin, so a closed stdin changes nothing."""
    done = subprocess.run(
        ["bash", "-c", f"'{kz_executable()}' timeline <&-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.OK
    assert done.stdout.startswith("id\t")


def test_full_disk_while_caching_falls_back_to_memory(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If writing the cache fails (e.g. ENOSPC), the answer comes from an in-memory index."""

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kzcli.index.store, "_write_atomically", disk_full)
    result = kz(*MINI, "timeline", "-f", "json")
    assert result.code == ExitCode.OK
    assert len(json.loads(result.stdout)) == 3
    assert list(tmp_path.glob("*.sqlite")) == []
