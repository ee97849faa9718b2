"""Golden files: the terminal table layout, drawn at a fixed width without colour.

Regenerate after an intended layout change with KZ_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import pytest

from conftest import MINI_KB, assert_matches_golden

CASES = {
    "timeline": ("timeline",),
    "figures-deaths": ("figures", "--deaths"),
    "actor-reyes": ("actor", "reyes", "--evidence"),
    "disputes": ("disputes",),
}


@pytest.mark.golden
@pytest.mark.parametrize("name", sorted(CASES))
def test_table_layout_matches_golden(kz, name: str) -> None:
    """The table for each case is exactly the reviewed golden file."""
    out = kz(
        "--data-dir", str(MINI_KB), "--no-color", *CASES[name], "-f", "table", env={"COLUMNS": "100"}
    ).stdout
    assert_matches_golden(name, out)
