"""tag_count as one comprehension: the same floats as the gist's count_xml loop, for any items and text."""

from __future__ import annotations

import json
import types

from hypothesis import given, settings
from hypothesis import strategies as st

from rewardsmith.render import render_module
from rewardsmith.spec import parse_spec

# markers whose occurrences can overlap ("aa", "\n</a>\n") and ones that cannot
_MARKERS = ["<a>\n", "\n</a>\n", "\n</a>", "aa", "a", "<b>"]
_text = st.lists(st.sampled_from(["<a>\n", "\n</a>\n", "\n</a>", "a", "aa", "\n", "<b>", "x", " "]),
                 max_size=12).map("".join)
_penalty = st.fixed_dictionaries({"after": st.sampled_from(_MARKERS), "per_char": st.sampled_from([0.001, -0.25, 0.1]),
                                  "offset": st.integers(0, 2)})
_requirement = st.fixed_dictionaries({"text": st.sampled_from(_MARKERS), "value": st.sampled_from([0.125, -0.5, 0.3]),
                                      "times": st.integers(0, 2)}, optional={"penalty": _penalty})
_items = st.lists(st.one_of(_requirement, _penalty), min_size=1, max_size=5)


def _loop(items, text):
    """What the kind means, step by step in the items' order (count_xml's shape)."""
    score = 0.0
    for item in items:
        if "text" in item:
            if text.count(item["text"]) == item["times"]:
                score += item["value"]
                then = item.get("penalty")
                if then:
                    score -= (len(text.split(then["after"])[-1]) - then["offset"]) * then["per_char"]
        else:
            score -= (len(text.split(item["after"])[-1]) - item["offset"]) * item["per_char"]
    return score


def _module(items):
    spec = parse_spec(json.dumps({"name": "tags", "rules": [
        {"name": "tags", "kind": "tag_count", "params": {"items": items, "scope": "first"}}]}))
    source = render_module(spec)
    assert "for text in texts]" in source  # the comprehension, not the loop
    module = types.ModuleType("tags")
    exec(compile(source, "tags.py", "exec"), module.__dict__)
    return module


@given(_items, st.lists(_text, min_size=1, max_size=5))
@settings(max_examples=150, deadline=None)
def test_the_comprehension_sums_as_the_loop(items, texts):
    got = _module(items).tags(completions=texts)
    want = [_loop(items, t) for t in texts]
    assert [repr(g) for g in got] == [repr(w) for w in want]  # repr: the same float bit for bit, -0.0 included


def test_the_gist_penalty_on_an_overlapping_marker():
    # split's last piece after "\n</a>\n" in "\n</a>\n</a>\n" is "</a>\n"; rpartition would give ""
    items = [{"text": "<a>\n", "value": 0.125, "times": 0, "penalty": {"after": "\n</a>\n", "per_char": 0.001}}]
    assert _module(items).tags(completions=["\n</a>\n</a>\n"]) == [0.125 - 5 * 0.001]
