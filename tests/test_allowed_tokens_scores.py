"""allowed_tokens as one comprehension: the same verdict as the loop's findall-and-join, whatever the tokens."""

from __future__ import annotations

import json
import re
import sys
import types

from hypothesis import given, settings
from hypothesis import strategies as st

from rewardsmith.render import render_module
from rewardsmith.spec import parse_spec

_tokens = st.lists(st.sampled_from(["<|up|>", "<|down|>", "a", "ab", "b", "ba", "<|"]), min_size=1, max_size=4, unique=True)
_text = st.lists(st.sampled_from(["<|up|>", "<|down|>", "a", "b", "<|", "|>", " ", "\n", "\u00a0", "\x1c", "x"]),
                 max_size=8).map("".join)


def _valid(tokens, answer, ignore_whitespace):
    """AlphaMaze's is_valid_sequence, tokens longest first as the kind orders them."""
    sequence = re.sub(r"\s+", "", answer) if ignore_whitespace else answer
    ordered = sorted(set(tokens), key=lambda t: (-len(t), t))
    found = re.findall("|".join(re.escape(t) for t in ordered), sequence)
    return bool(sequence) and "".join(found) == sequence


def _module(tokens, ignore_whitespace):
    spec = parse_spec(json.dumps({"name": "toks", "rules": [{"name": "toks", "kind": "allowed_tokens", "params": {
        "tokens": tokens, "ignore_whitespace": ignore_whitespace, "scope": "first",
        "extract": {"method": "whole", "strip": False}}}]}))
    source = render_module(spec)
    assert "for answer in answers]" in source  # the comprehension, not the loop
    module = types.ModuleType("toks")
    exec(compile(source, "toks.py", "exec"), module.__dict__)
    return module, source


@given(_tokens, st.lists(_text, min_size=1, max_size=6), st.booleans())
@settings(max_examples=200, deadline=None)
def test_the_comprehension_gives_the_loops_verdict(tokens, texts, ignore_whitespace):
    module, _ = _module(tokens, ignore_whitespace)
    want = [1.0 if _valid(tokens, t, ignore_whitespace) else 0.0 for t in texts]
    assert module.toks(completions=texts) == want


def test_one_fullmatch_only_for_tokens_none_of_which_starts_another():
    _, prefix_free = _module(["<|up|>", "<|down|>"], True)
    _, prefixed = _module(["a", "ab"], True)
    assert "_RE_TOKS_RUN.fullmatch" in prefix_free and "_RE_TOKS_RUN" not in prefixed
    # "aba": findall takes "ab" then "a"; with "ab", "b", "ba" a backtracking run would also cut "a", "ba"
    module, _ = _module(["ab", "b", "ba", "a"], False)
    assert module.toks(completions=["aba", "abab"]) == [1.0, 1.0]


def test_only_a_space_is_whitespace_and_printable():
    # why a printable answer without " " is its own sequence: no other whitespace character is printable
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c.isprintable()] == [" "]
