"""One way to write a number: trimmed in prose, fixed in tables, significant in narrow panes."""

from __future__ import annotations

import math

import pytest

from rewardsmith.fmt import MISSING, fmt, pct


@pytest.mark.parametrize(("value", "digits", "want"), [
    (0.5, 3, "0.5"),
    (2.0, 3, "2"),
    (0.12345, 3, "0.123"),
    (-0.0001, 3, "0"),  # rounds to zero: never "-0"
    (0.0, 3, "0"),
    (-1.25, 1, "-1.2"),  # Python's round-half-even, as f-strings do
    (1e6, 2, "1000000"),
])
def test_trim_drops_trailing_zeros(value, digits, want):
    assert fmt(value, digits) == want


def test_fixed_and_significant_keep_their_width():
    assert fmt(0.5, style="fixed") == "0.500"
    assert fmt(1.0, 2, style="fixed") == "1.00"
    assert fmt(0.123456, style="significant") == "0.123"
    assert fmt(1234.5678, style="significant") == "1.23e+03"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_missing_values_use_the_placeholder(missing):
    assert fmt(missing) == MISSING
    assert fmt(missing, style="fixed", none="n/a") == "n/a"
    assert pct(missing, none="—") == "—"


def test_pct():
    assert pct(0.5) == "50%"
    assert pct(1 / 3, 1) == "33.3%"
    assert pct(0.0) == "0%"


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="style must be"):
        fmt(1.0, style="engineering")  # type: ignore[arg-type]
