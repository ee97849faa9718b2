"""Two questions never share a comparison id: a scope whose name spells another question is refused.

A comparison's id joins metric, scope and place (and a part's whole) with hyphens, so
scope `city-almaty` and scope `city` in place `almaty` spell the same id, and so does
a scope named `security-forces-within-total` and the bundled part-within-whole check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.hostile


def _figure(figure_id: str, scope: str, source: str, paragraph: int, excerpt: str, place: str = "") -> str:
    where = f"  place: {place}\n" if place else ""
    return (
        f"- id: {figure_id}\n  era: unrest\n  metric: deaths\n  value: 16\n  qualifier: exact\n"
        f"  unit: people\n  scope: {scope}\n{where}  citations:\n    - source: {source}\n"
        f"      paragraph: {paragraph}\n      excerpt: {excerpt}\n"
    )


CHAOS = ("chaos-and-crackdown", 5, "Over 160, including 16 security officers, were killed")
MCGILL = (
    "mcgill-kazakh-protests",
    4,
    "not before 208 protesters and 19 members of security forces were killed",
)


def _layer(tmp_path: Path, scope_id: str, figures: str) -> Path:
    layer = tmp_path / "layer"
    layer.mkdir(exist_ok=True)
    (layer / "scopes.yaml").write_text(f"- id: {scope_id}\n  title: a scope\n", encoding="utf-8")
    (layer / "figures.yaml").write_text(figures, encoding="utf-8")
    return layer


def test_a_scope_spelling_a_part_within_its_whole_is_refused(kz, tmp_path: Path) -> None:
    """Scope `security-forces-within-total` takes the bundled part-within-whole id: exit 3, no traceback."""
    scope = "security-forces-within-total"
    layer = _layer(tmp_path, scope, _figure("odd-1", scope, *CHAOS) + _figure("odd-2", scope, *MCGILL))
    for command in (["validate"], ["figures", "deaths"]):
        result = kz("--with", str(layer), *command)
        assert result.code == 3, result.stderr
        assert "Traceback" not in result.stderr
        assert "would share the comparison id 'deaths-security-forces-within-total'" in result.stderr


def test_a_scope_spelling_scope_and_place_is_refused(kz, tmp_path: Path) -> None:
    """Scope `city-almaty` beside scope `city` in place `almaty`: refused naming both, not merged as one."""
    figures = _figure("odd-3", "city-almaty", *CHAOS) + _figure("odd-4", "city", *MCGILL, place="almaty")
    result = kz("--with", str(_layer(tmp_path, "city-almaty", figures)), "validate")
    assert result.code == 3
    assert "odd-3: scope:" in result.stderr
    assert "odd-4: scope:" in result.stderr
    assert "'city' in place 'almaty' and deaths of scope 'city-almaty'" in result.stderr


def test_an_edit_into_a_shared_id_is_refused_by_the_update(kz, tmp_path: Path) -> None:
    """A cached index of a valid layer, then an edit renaming its scope into a clash: refused."""
    figures = _figure("odd-3", "almaty-city", *CHAOS) + _figure("odd-4", "city", *MCGILL, place="almaty")
    layer = _layer(tmp_path, "almaty-city", figures)
    assert kz("--with", str(layer), "figures", "deaths").code == 0
    _layer(tmp_path, "city-almaty", figures.replace("almaty-city", "city-almaty"))
    result = kz("--with", str(layer), "figures", "deaths")
    assert result.code == 3
    assert "would share the comparison id 'deaths-city-almaty'" in result.stderr
