"""Shared fixtures: real data lives in ../shared/data/real (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.skip(f"real generations not found at {REAL}")
    return REAL
