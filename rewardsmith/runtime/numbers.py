"""Numbers in answer text: "1,234", "$5", "-3.5", "3/4", "\\frac{3}{4}", "42 dollars"."""

from __future__ import annotations

import math
import re
import unicodedata

__all__ = ["_FRACTION", "_NUMBER", "_NUMBER_WITH_UNIT", "_parse_number"]

_FRACTION = re.compile(r"^(?:\\[dt]?frac\{([-+]?\d+)\}\{([-+]?\d+)\}|([-+]?\d+)\s*/\s*(\d+))$")
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?$")
_NUMBER_WITH_UNIT = re.compile(r"^([-+]?[\d,]*\.?\d+)\s*(?:%|[^\W\d_][^\d]{0,24})$")


def _parse_number(text):
    """A number from answer text ("1,234", "$5", "-3.5", "3/4", "\\frac{3}{4}", "42 dollars"), else None."""
    if text is None:
        return None
    t = unicodedata.normalize("NFKC", str(text)).replace("\u2212", "-").strip().rstrip(".").strip()
    t = t.replace("$", "").replace("\\%", "%").replace("\\!", "").strip()
    if t.startswith("{") and t.endswith("}"):
        t = t[1:-1].strip()
    m = _FRACTION.match(t)
    if m:
        num, den = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
        return int(num) / int(den) if int(den) != 0 else None
    if t.endswith("%"):
        t = t[:-1].strip()
    if not _NUMBER.match(t) or not any(ch.isdigit() for ch in t):
        m = _NUMBER_WITH_UNIT.match(t)
        if not m:
            return None
        t = m.group(1)
    try:
        value = float(t.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
