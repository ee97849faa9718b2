"""Golden files: the terminal table layout, drawn at a fixed width without colour.

Regenerate after an intended layout change with KZ_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import MINI_KB

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {
    "timeline": ("timeline",),
    "figures-deaths": ("figures", "--deaths"),
    "actor-reyes": ("actor", "reyes", "--evidence"),
    "disputes": ("disputes",),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_table_layout_matches_golden(kz, name: str) -> None:
    """The table for each case is exactly the reviewed golden file."""
    out = kz(
        "--data-dir", str(MINI_KB), "--no-color", *CASES[name], "-f", "table", env={"COLUMNS": "100"}
    ).stdout
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("KZ_UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
