"""rewardsmith.runtime.behaviour: repetition."""

from __future__ import annotations

import pytest

from rewardsmith.runtime.behaviour import _repetition


class TestRepetition:
    def test_no_repetition(self):
        assert _repetition("one two three four", 2, -1.0) == 0.0

    def test_one_ngram_repeated(self):
        assert _repetition("go go go go go", 1, -1.0) == pytest.approx(-0.8)

    def test_case_folded_and_short_text(self):
        assert _repetition("A b A B", 2, -1.0) == pytest.approx(-1.0 / 3)
        assert _repetition("", 3, -1.0) == 0.0
        assert _repetition("two words", 3, -1.0) == 0.0

    def test_never_negative_zero(self):
        assert str(_repetition("a b c", 1, -0.5)) == "0.0"
