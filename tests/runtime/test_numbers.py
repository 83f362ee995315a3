"""rewardsmith.runtime.numbers: parse_number."""

from __future__ import annotations

import pytest

from rewardsmith.runtime.numbers import _parse_number


class TestParseNumber:
    @pytest.mark.parametrize(
        ("text", "value"),
        [("42", 42.0), ("1,234", 1234.0), ("$5", 5.0), ("-3.5", -3.5), ("\u22123", -3.0), ("3/4", 0.75),
         (r"\frac{3}{4}", 0.75), (r"\dfrac{1}{2}", 0.5), ("42 dollars", 42.0), ("50%", 50.0), (r"50\%", 50.0),
         ("{7}", 7.0), ("１２", 12.0), ("12.", 12.0), ("1e3", 1000.0)],
    )
    def test_numbers(self, text, value):
        assert _parse_number(text) == pytest.approx(value)

    @pytest.mark.parametrize("text", [None, "", "abc", "1/0", "1,23", "inf", "nan", "1e999", "12 and 13"])
    def test_not_numbers(self, text):
        assert _parse_number(text) is None
