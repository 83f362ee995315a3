"""rewardsmith.runtime.normalize: normalisation, token F1, tiers, keywords."""

from __future__ import annotations

import pytest

from rewardsmith.runtime.normalize import _contains_keyword, _normalize, _tier_passes, _token_f1

OFF = (False,) * 7
SQUAD = (True, True, True, True, True, False, False)


class TestNormalize:
    def test_all_off_is_identity(self):
        assert _normalize(" A\r\nb ", OFF) == " A\r\nb "

    def test_squad(self):
        assert _normalize("The  Eiffel-Tower!", SQUAD) == "eiffel tower"

    def test_numbers_and_no_whitespace(self):
        assert _normalize("$1,000.50 and 3.0", (False,) * 5 + (True, False)) == "1000.5 and 3"
        assert _normalize("<|up|> <|down|>", (False,) * 6 + (True,)) == "<|up|><|down|>"


class TestTokenF1:
    def test_partial_and_exact(self):
        assert _token_f1("a b c", "a b c") == 1.0
        assert _token_f1("a b", "a c") == pytest.approx(0.5)
        assert _token_f1("x", "y") == 0.0

    def test_empty(self):
        assert _token_f1("", "") == 1.0
        assert _token_f1("", "a") == 0.0


class TestTierPasses:
    def test_each_test(self):
        assert _tier_passes("exact", 0.5, " Paris ", "Paris", SQUAD)
        assert _tier_passes("normalized", 0.5, "the Paris!", "paris", SQUAD)
        assert _tier_passes("contains", 0.5, "it is Paris, France", "paris", SQUAD)
        assert not _tier_passes("contains", 0.5, "Parisian", "paris", SQUAD)
        assert _tier_passes("numeric", 0.5, "1,000", "1000.0", SQUAD)
        assert _tier_passes("f1", 0.5, "new york city", "new york", SQUAD)
        assert not _tier_passes("f1", 0.9, "new york city", "new york", SQUAD)

    def test_empty_reference_is_never_contained(self):
        assert not _tier_passes("contains", 0.5, "anything", "", SQUAD)


class TestContainsKeyword:
    def test_case_and_word_boundary(self):
        assert _contains_keyword("About Paris.", "paris", False, True)
        assert not _contains_keyword("About Paris.", "paris", True, True)
        assert not _contains_keyword("Parisian", "paris", False, True)
        assert _contains_keyword("Parisian", "paris", False, False)

    def test_regex_characters_are_literal(self):
        assert _contains_keyword("costs $5 (net)", "$5 (net)", True, True)
        assert not _contains_keyword("a.b", "a*b", True, False)
