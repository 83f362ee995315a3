"""rewardsmith.runtime.batch: one reading per batch, never a stale one; literal prefilters that never change a verdict."""

from __future__ import annotations

import re
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardsmith.patterns import _literal_count, _literal_head, _required_literal
from rewardsmith.presets import load_preset
from rewardsmith.render import render_module
from rewardsmith.runtime.batch import (
    _BATCH_SLOTS,
    _BATCHES,
    _answers,
    _batch,
    _match_counts,
    _has_border,
    _split_answer,
    _split_answers,
    _texts,
)
from rewardsmith.runtime.extract import (
    _extract_after_tag,
    _extract_boxed,
    _extract_last_line,
    _extract_regex,
    _extract_split,
    _extract_xml_tag,
)
from rewardsmith.runtime.text import _text

SCOPES = ["first", "last", "assistant", "transcript"]


@pytest.fixture(autouse=True)
def _empty_cache():
    _BATCHES.clear()
    yield
    _BATCHES.clear()


def _msg(text, role="assistant"):
    return [{"role": role, "content": text}]


# ------------------------------------------------------------------ the cache


def test_the_same_list_is_read_once():
    completions = [_msg("a"), _msg("b")]
    readings = _batch(completions)
    texts = _texts(readings, completions, "first")
    assert _batch(completions) is readings
    assert _texts(_batch(completions), completions, "first") is texts
    assert texts == ["a", "b"]


def test_an_item_replaced_in_place_is_read_again():
    completions = [_msg("a"), _msg("b")]
    assert _texts(_batch(completions), completions, "first") == ["a", "b"]
    completions[1] = _msg("changed")
    assert _texts(_batch(completions), completions, "first") == ["a", "changed"]


def test_an_equal_but_new_item_is_read_again():
    # the check is by identity: a new object is a new completion even when it compares equal
    completions = [_msg("a"), _msg("b")]
    first = _batch(completions)
    completions[0] = _msg("a")
    assert _batch(completions) is not first


def test_a_list_that_grows_or_shrinks_is_read_again():
    completions = [_msg("a"), _msg("b")]
    assert _texts(_batch(completions), completions, "first") == ["a", "b"]
    completions.append(_msg("c"))
    assert _texts(_batch(completions), completions, "first") == ["a", "b", "c"]
    completions.pop(0)
    completions.pop(0)
    assert _texts(_batch(completions), completions, "first") == ["c"]


def test_a_list_refilled_with_a_new_batch_of_the_same_size_is_read_again():
    completions = [_msg("a"), _msg("b")]
    assert _texts(_batch(completions), completions, "first") == ["a", "b"]
    completions[:] = [_msg("x"), _msg("y")]
    assert _texts(_batch(completions), completions, "first") == ["x", "y"]


def test_a_new_list_at_a_freed_address_is_read_again():
    # What CPython does when a batch is freed and the next list lands at its address: the cache holds a
    # reading under the new list's (id, len), made of other items.
    old = [_msg("old 1"), _msg("old 2")]
    new = [_msg("new 1"), _msg("new 2")]
    stale = {("text", "first"): ["old 1", "old 2"]}
    _BATCHES[(id(new), len(new))] = (list(old), list(map(id, old)), stale)
    readings = _batch(new)
    assert readings is not stale
    assert _texts(readings, new, "first") == ["new 1", "new 2"]


def test_only_the_last_few_batches_are_kept():
    lists = [[_msg(str(k))] for k in range(_BATCH_SLOTS + 3)]
    for completions in lists:
        _texts(_batch(completions), completions, "first")
    assert len(_BATCHES) == _BATCH_SLOTS
    assert (id(lists[-1]), 1) in _BATCHES and (id(lists[0]), 1) not in _BATCHES


def _module(preset):
    module = types.ModuleType(preset.replace("-", "_"))
    exec(compile(render_module(load_preset(preset)), preset, "exec"), module.__dict__)
    return module


def _one_by_one(module, completions, answer):
    """Each function on a copy of its own, the cache emptied first: no reading is shared."""
    out = []
    for fn in module.REWARD_FUNCS:
        module._BATCHES.clear()
        out.append(fn(prompts=None, completions=[list(c) for c in completions], answer=list(answer)))
    return out


def test_a_module_called_as_trl_calls_it_scores_each_step_as_alone():
    module = _module("unsloth-gsm8k")
    good = "<reasoning>\nr\n</reasoning>\n<answer>\n7\n</answer>\n"
    completions = [_msg(good), _msg("<answer>8</answer>"), _msg("no tags")]
    answer = ["7", "8", "9"]

    def step():
        return [fn(prompts=None, completions=completions, answer=answer) for fn in module.REWARD_FUNCS]

    assert step() == _one_by_one(module, completions, answer)
    # the trainer's next step reuses the list object with other completions of the same count
    completions[:] = [_msg("<answer>\n9\n</answer>"), _msg(good), _msg("")]
    assert step() == _one_by_one(module, completions, answer)
    completions[0] = _msg("<answer>\n8\n</answer>")  # one completion replaced between steps
    assert step() == _one_by_one(module, completions, answer)


# ------------------------------------------------------------------ what a reading holds

_content = st.one_of(st.text(max_size=6), st.none(), st.lists(st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=4)}), st.text(max_size=3)), max_size=2))
_message = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["assistant", "user", "tool"]), "content": _content}),
    st.fixed_dictionaries({"content": _content}),
    st.text(max_size=4),
)
_completion = st.one_of(
    st.text(max_size=8),
    st.lists(_message, max_size=3),
    st.fixed_dictionaries({"messages": st.lists(_message, max_size=3)}),
    _message.filter(lambda m: isinstance(m, dict)),
)


@given(st.lists(_completion, max_size=6), st.sampled_from(SCOPES))
@settings(max_examples=300, deadline=None)
def test_texts_read_what_text_reads(completions, scope):
    _BATCHES.clear()
    assert _texts(_batch(completions), completions, scope) == [_text(c, scope) for c in completions]


@given(st.lists(st.text(max_size=8), max_size=4), st.sampled_from(SCOPES))
@settings(max_examples=50, deadline=None)
def test_texts_of_uniform_batches(texts, scope):
    _BATCHES.clear()
    as_messages = [_msg(t) for t in texts]
    assert _texts(_batch(texts), texts, scope) == texts
    assert _texts(_batch(as_messages), as_messages, scope) == [_text(c, scope) for c in as_messages]


_marker = st.sampled_from(["<answer>", "</answer>", "ab", "aa", "", "\n"])
_piece_text = st.lists(st.sampled_from(["<answer>", "</answer>", "a", "b", "aa", "\n", " ", "x"]), max_size=10).map("".join)


@given(_piece_text, _marker.filter(bool), _marker, st.integers(-3, 3))
@settings(max_examples=400, deadline=None)
def test_split_answer_is_extract_split(text, start, end, index):
    assert _split_answer(text, start, end, index) == _extract_split(text, start, end, index)


_border_marker = st.sampled_from(["<answer>", "</answer>", "ab", "aa", "aba", "\n", "\n</answer>\n", "x\nx"])
_border_text = st.lists(st.sampled_from(["<answer>", "</answer>", "a", "b", "aa", "\n", " ", "x"]), max_size=12).map("".join)


@given(st.lists(_border_text, max_size=4), _border_marker, _marker, st.integers(-3, 3), st.booleans())
@settings(max_examples=600, deadline=None)
def test_split_answers_are_extract_split(texts, start, end, index, strip):
    got = _split_answers(texts, start, end, index, strip)
    if got is not None:
        want = [_extract_split(t, start, end, index) for t in texts]
        assert got == ([a.strip() for a in want] if strip else want)


def test_split_answers_take_the_common_indices_in_one_comprehension():
    # a start whose occurrences can overlap ("aa" in "aaa") is not read from the right: split's last piece differs
    assert _has_border("aa") and _has_border("\n</answer>\n") and not _has_border("<answer>")
    assert _split_answers(["aaa"], "aa", "", -1, False) is None
    assert "aaa".split("aa")[-1] == "a" and "aaa".rpartition("aa")[2] == ""
    assert _split_answers(["x<answer> 7 </answer>y"], "<answer>", "</answer>", -1, True) == ["7"]
    assert _split_answers(["a</think>b</think>c", "none"], "</think>", "", 1, False) == ["b", ""]
    assert _split_answers(["t"], "<a>", "", 2, False) is None


TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
NUMBER = re.compile(r"(-?\d+)")
HOW = [
    (("whole",), lambda t: t),
    (("split", "<answer>", "</answer>", -1), lambda t: _extract_split(t, "<answer>", "</answer>", -1)),
    (("xml_tag", TAG, _required_literal(TAG), True), lambda t: _extract_xml_tag(t, TAG, True)),
    (("xml_tag", TAG, _required_literal(TAG), False), lambda t: _extract_xml_tag(t, TAG, False)),
    (("after_tag", "</answer>", False), lambda t: _extract_after_tag(t, "</answer>", False)),
    (("regex", NUMBER, _required_literal(NUMBER), 1, True), lambda t: _extract_regex(t, NUMBER, 1, True)),
    (("boxed", True), lambda t: _extract_boxed(t, True)),
    (("last_line",), _extract_last_line),
]
_answer_text = st.lists(st.sampled_from(
    ["<answer>", "</answer>", " 4 ", "\\boxed{", "}", "{", "\n", "-2", "x", "\\fbox {"]), max_size=8).map("".join)


@given(st.lists(_answer_text, max_size=5), st.sampled_from(range(len(HOW))), st.booleans())
@settings(max_examples=400, deadline=None)
def test_answers_are_the_extractions(texts, k, strip):
    _BATCHES.clear()
    how, extract = HOW[k]
    want = [extract(t) for t in texts]
    if strip:
        want = [None if a is None else a.strip() for a in want]
    assert _answers(_batch(texts), texts, "first", how, strip) == want


# ------------------------------------------------------------------ prefilters


@pytest.mark.parametrize(("pattern", "flags", "need"), [
    (r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", 0, "</reasoning>"),
    (r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$", 0, "\n</reasoning>\n<answer>\n"),
    (r"(ab)c(?:de)", 0, "abcde"),
    (r"(?i:ab)cd", 0, "cd"),
    (r"abc", re.IGNORECASE, ""),
    (r"(?i)abc", 0, ""),
    (r"a|bc", 0, ""),
    (r"x*", 0, ""),
    (r"(?:abc)?d", 0, "d"),
])
def test_required_literal(pattern, flags, need):
    assert _required_literal(re.compile(pattern, flags)) == need


PATTERNS = [
    r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>",
    r"^<a>\n.*?\n</a>\n$",
    r"(ab)+c(?:de)?b",
    r"a(?=b)bc|ab",
    r"(?s)a.b\Bc",
    r"\bab\b",
    r"(?i:ab)cd",
    r"Searching for:.*?",
    r"ab(?:c*?)",
]
_regex_text = st.lists(st.sampled_from(
    ["<reasoning>", "</reasoning>", "<answer>", "</answer>", "<a>", "</a>", "a", "b", "c", "d", "e", "A", "B",
     "\n", " ", "Searching for:", "x"]), max_size=12).map("".join)


@given(st.sampled_from(PATTERNS), _regex_text)
@settings(max_examples=600, deadline=None)
def test_a_text_without_the_required_literal_never_matches(pattern, text):
    compiled = re.compile(pattern)
    if _required_literal(compiled) not in text:
        assert compiled.search(text) is None and not compiled.findall(text)


@pytest.mark.parametrize(("pattern", "flags", "head"), [
    (r"^<reasoning>\n.*?\n</reasoning>$", 0, "<reasoning>\n"),
    (r"\A\bab(c)", 0, "ab"),
    (r"<a>|<b>", 0, "<"),  # the parser takes a shared start out of the alternatives
    (r"a|b", 0, ""),
    (r"abc", re.IGNORECASE, ""),
    (r"(ab)c", 0, ""),
])
def test_literal_head(pattern, flags, head):
    assert _literal_head(re.compile(pattern, flags)) == head


@given(st.sampled_from(PATTERNS + [r"^\s*<a>", r"\A<a>\n(.*)", r"<a>|<b>", r"$a"]), _regex_text)
@settings(max_examples=600, deadline=None)
def test_a_text_without_the_head_never_matches_at_its_start(pattern, text):
    compiled = re.compile(pattern, re.MULTILINE)
    if not text.startswith(_literal_head(compiled)):
        assert compiled.match(text) is None and compiled.fullmatch(text) is None


@pytest.mark.parametrize(("pattern", "literal"), [
    (r"Searching for:.*?", "Searching for:"),
    (r"ab(?:c*?)", "ab"),  # the parser drops a group that captures nothing
    (r"abc*?", "ab"),
    (r"abc", "abc"),
    (r"abc.*", None),  # greedy: a match takes more than the literal
    (r"abc.+?", None),  # must take one more character
    (r"(abc)", None),
])
def test_literal_count(pattern, literal):
    assert _literal_count(re.compile(pattern)) == literal


@given(st.sampled_from([r"Searching for:.*?", r"abc*?", r"aa", r"a.*?b*?", r"(?s)ab.*"]), _regex_text)
@settings(max_examples=400, deadline=None)
def test_match_counts_are_findall(pattern, text):
    _BATCHES.clear()
    compiled = re.compile(pattern)
    texts = [text, text + text]
    got = _match_counts(_batch(texts), texts, "first", compiled, _required_literal(compiled),
                        _literal_count(compiled))
    assert got == [len(compiled.findall(t)) for t in texts]
