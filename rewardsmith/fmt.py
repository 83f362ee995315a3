"""Numbers for people: the one place the report, the diagnostics and the TUI format a figure.

Three styles cover every place a number is shown:

- ``"trim"`` (the default): up to `digits` decimals, trailing zeros dropped, for a score inside a
  sentence ("scores 0.5", "weight 2");
- ``"fixed"``: exactly `digits` decimals, for table columns that must line up;
- ``"significant"``: `digits` significant figures, for narrow TUI panes.

A missing figure (None, NaN) is written as `none`: a dash in tables, "n/a" in prose, "None" where
the value is what a reward function returned.

>>> fmt(0.5), fmt(2.0), fmt(-0.0001), fmt(None)
('0.5', '2', '0', '–')
>>> fmt(0.5, style="fixed"), fmt(1234.5678, style="significant"), pct(0.125)
('0.500', '1.23e+03', '12%')
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = ["MISSING", "Style", "fmt", "pct"]

MISSING = "–"

Style = Literal["trim", "fixed", "significant"]


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value: float | None, digits: int = 3, *, style: Style = "trim", none: str = MISSING) -> str:
    """`value` written in `style` with `digits` decimals (significant figures for "significant").

    Args:
        value: the number; None or NaN is written as `none`.
        digits: decimals for "trim" and "fixed", significant figures for "significant".
        style: "trim", "fixed" or "significant" (see the module docstring).
        none: the text for a missing value.
    """
    if _missing(value):
        return none
    if style == "fixed":
        return f"{value:.{digits}f}"
    if style == "significant":
        return f"{value:.{digits}g}"
    if style != "trim":
        raise ValueError(f"style must be 'trim', 'fixed' or 'significant', not {style!r}")
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pct(value: float | None, digits: int = 0, *, none: str = MISSING) -> str:
    """A share (0.125) as a percentage ("12%"), with `digits` decimals."""
    if _missing(value):
        return none
    return f"{100 * value:.{digits}f}%"
