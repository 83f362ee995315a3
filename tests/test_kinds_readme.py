"""The README's table of kinds is generated from the kinds' catalogue (python -m rewardsmith.kinds README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardsmith.kinds import KINDS, kinds_table, readme_with_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_is_current():
    text = README.read_text(encoding="utf-8")
    assert readme_with_table(text) == text, "the README's table of kinds is stale: run python -m rewardsmith.kinds README.md"


def test_table_has_one_row_per_kind_with_pipes_escaped():
    rows = kinds_table().splitlines()[2:]
    assert [r.split("`")[1] for r in rows] == list(KINDS)
    assert all(r.count(" | ") == 1 for r in rows)


def test_readme_without_a_table_is_an_error():
    with pytest.raises(ValueError, match="no table of kinds"):
        readme_with_table("# nothing here\n")
