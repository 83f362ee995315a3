"""Shared fixtures. Real data lives in ../shared/data/real beside the repository (read in place, never copied)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Relative to the repository, never an absolute path: CI runs a fresh clone with a copy of shared/ beside it.
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def real_data() -> Callable[[str], Path]:
    """`real_data("bamboogle_qwen.jsonl")` is the path of that file in ../shared/data/real (see SOURCES.md there).

    When the file is missing the test is skipped on a developer's machine, but fails when `CI` is set:
    a test that reads real data must run in CI, never skip there. The check happens at the call, so a
    module-scoped fixture may hold the function and only the tests that read real data depend on it.
    """

    def locate(name: str) -> Path:
        path = REAL / name
        if path.is_file():
            return path
        what = f"real data {name} not found in {REAL} (the repository's ../shared/data/real)"
        if _on_ci():
            pytest.fail(f"{what}; CI must run the tests that read it: put shared/ beside the checkout", pytrace=False)
        pytest.skip(what)

    return locate
