"""The ending prefilter of regex_format: a text without one of the endings render works out never matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardsmith.patterns import _literal_tail


@pytest.mark.parametrize(("pattern", "flags", "tail"), [
    (r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$", 0, ("\n</answer>\n", "\n</answer>\n\n")),
    (r"<a>.*</a>\Z", 0, ("</a>",)),
    (r"x.*ab$\Z", 0, ("ab", "ab\n")),
    (r"ab$", re.MULTILINE, None),  # $ at every line end
    (r"(?m)ab$", 0, None),
    (r"ab$", re.IGNORECASE, None),
    (r"a(b)$", 0, None),  # a group, not a literal, ends it
    (r"ab|cd$", 0, None),
    (r"ab", 0, None),  # not anchored: a match may end anywhere
    (r"ab\b$", 0, None),
])
def test_literal_tail(pattern, flags, tail):
    assert _literal_tail(re.compile(pattern, flags)) == tail


PATTERNS = [r"^<a>\n.*?\n</a>\n$", r"(?s)<a>.*</a>\Z", r"a.*ab$", r"b+a\n$", r"(?s).*\n\n$", r"ab$\Z", r"(?x) a b \n $"]
_text = st.lists(st.sampled_from(["<a>", "</a>", "a", "b", "\n", " ", "x"]), max_size=10).map("".join)


@given(st.sampled_from(PATTERNS), _text)
@settings(max_examples=600, deadline=None)
def test_a_text_without_an_ending_never_matches(pattern, text):
    compiled = re.compile(pattern)
    tail = _literal_tail(compiled)
    assert tail is not None
    if not text.endswith(tail):
        assert compiled.search(text) is None and compiled.match(text) is None and compiled.fullmatch(text) is None
