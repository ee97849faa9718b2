"""A statement made for another actor, or shared with one (`also_of`), shows in both profiles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import MINI_KB
from kzcli.errors import ExitCode


def _with_also_of(tmp_path: Path, target: str) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    actors = kb / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    actors.write_text(
        text.replace(
            "    - id: reyes-worst-flood\n", f"    - id: reyes-worst-flood\n      also_of: [{target}]\n", 1
        )
    )
    return kb


def test_a_shared_statement_shows_in_the_other_profile_led_by_its_speaker(kz, tmp_path: Path) -> None:
    """City officials' profile lists the mayor's statement, named as hers; her own profile is unchanged."""
    kb = _with_also_of(tmp_path, "city-officials")
    other = kz("--data-dir", str(kb), "actor", "city-officials")
    assert other.code == 0, other.stderr
    assert "Dana Reyes: Called it the worst flood" in other.stdout
    own = kz("--data-dir", str(kb), "actor", "dana-reyes")
    assert "Dana Reyes: Called" not in own.stdout
    assert "Called it the worst flood" in own.stdout
    listed = json.loads(
        kz("--data-dir", str(kb), "statements", "--attributed-to", "city-officials", "-f", "json").stdout
    )
    assert [s["id"] for s in listed] == ["reyes-worst-flood"]
    assert listed[0]["also_of"] == ["city-officials"]


def test_also_of_must_name_a_known_actor(kz, tmp_path: Path) -> None:
    """An also_of naming no actor is a one-line validation problem, not a silent link."""
    kb = _with_also_of(tmp_path, "nobody-at-all")
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "also_of.0: unknown actor 'nobody-at-all'" in result.stderr


def test_real_data_blinken_shows_under_the_united_states(kz) -> None:
    """Blinken's demand, made as Secretary of State, is in the United States' profile too."""
    result = json.loads(kz("actor", "united-states", "-f", "json").stdout)
    assert "blinken-demands-csto-rationale" in [s["id"] for s in result["statements"]]
    belarus = json.loads(kz("actor", "belarus", "-f", "json").stdout)
    assert "russia-blamed-west-belarus" in [s["id"] for s in belarus["statements"]]


def test_an_update_removing_an_actor_a_statement_is_also_of_is_refused(kz, tmp_path: Path) -> None:
    """Removing Dan Reed while the mayor's statement names it: the edit fails as a fresh build would."""
    kb = _with_also_of(tmp_path, "dan-reed")
    assert kz("--data-dir", str(kb), "timeline").code == 0
    actors = kb / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    start = text.index("- id: dan-reed")
    end = text.find("\n- id:", start + 1)
    actors.write_text(text[:start] + (text[end + 1 :] if end != -1 else ""), encoding="utf-8")
    result = kz("--data-dir", str(kb), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert "also_of" in result.stderr
    assert "dan-reed" in result.stderr
