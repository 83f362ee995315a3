"""rewardsmith.runtime.schedule: token ids, cosine and relative length pairs, words, filled patterns."""

from __future__ import annotations

import math

import pytest

from rewardsmith.runtime.schedule import (
    _chosen,
    _completion_ids,
    _cosine_pair,
    _filled_pattern,
    _ids_completions,
    _math_gold_parses,
    _relative_pairs,
    _repetition_ids,
    _row_value,
    _sizes,
    _words,
)


class TestCompletionIds:
    def test_the_ids_trl_passes(self):
        assert _completion_ids({"completion_ids": [[7, 8], [9]]}, 1, "ignored") == [9]

    def test_utf8_bytes_without_ids(self):
        assert _completion_ids({}, 0, "hé") == [104, 195, 169]

    def test_only_ids_stands_in_empty_texts(self):
        assert _ids_completions(None, {"completion_ids": [[1], [2, 3]]}) == ["", ""]
        assert _ids_completions(["a"], {}) == ["a"]

    def test_neither_is_a_clear_error(self):
        with pytest.raises(TypeError, match="needs `completions` or `completion_ids`"):
            _ids_completions(None, {})


class TestCosinePair:
    def test_ends_and_middle(self):
        assert _cosine_pair(0, 100, 0.5, 1.0, -1.0, -0.5, True) == (1.0, -1.0)
        assert _cosine_pair(100, 100, 0.5, 1.0, -1.0, -0.5, True) == pytest.approx((0.5, -0.5))
        assert _cosine_pair(50, 100, 0.5, 1.0, -1.0, -0.5, True) == pytest.approx((0.75, -0.75))

    def test_quarter_length(self):
        right = 0.5 + 0.25 * (1 + math.cos(math.pi / 4))
        assert _cosine_pair(25, 100, 0.5, 1.0, -1.0, -0.5, True) == pytest.approx((right, -right))

    def test_clamped_past_max_len_or_coming_back(self):
        assert _cosine_pair(200, 100, 0.5, 1.0, -1.0, -0.5, True) == pytest.approx((0.5, -0.5))
        # without the clamp, twice max_len is a full period: back to the length-0 values
        assert _cosine_pair(200, 100, 0.5, 1.0, -1.0, -0.5, False) == pytest.approx((1.0, -1.0))


class TestRelativePairs:
    def test_within_each_prompt(self):
        pairs = _relative_pairs(["p", "p", "q", "q", "q"], [10, 20, 5, 5, 15])
        assert pairs == [(0.5, 0.0), (-0.5, -0.5), (0.5, 0.0), (0.5, 0.0), (-0.5, -0.5)]

    def test_one_length_is_zero_and_no_prompts_is_one_group(self):
        assert _relative_pairs(None, [3, 3]) == [(0.0, 0.0), (0.0, 0.0)]
        assert _relative_pairs(None, [0, 10, 5]) == [(0.5, 0.0), (-0.5, -0.5), (0.0, 0.0)]

    def test_chat_prompts_group_by_content(self):
        a = [{"role": "user", "content": "a"}]
        b = [{"role": "user", "content": "b"}]
        assert [p[0] for p in _relative_pairs([a, a, b], [1, 3, 9])] == [0.5, -0.5, 0.0]


def test_chosen_picks_by_verdict():
    assert _chosen([(1.0, -1.0), (1.0, -1.0), (1.0, -1.0), None], [True, False, None, True]) == [1.0, -1.0, None, None]


def test_sizes_in_each_unit():
    completions = ["ab cd", [{"role": "assistant", "content": "xyz"}]]
    assert _sizes(completions, "last", "chars", "whitespace", {}) == [5, 3]
    assert _sizes(completions, "last", "words", "whitespace", {}) == [2, 1]
    assert _sizes(completions, "last", "completion_ids", "whitespace", {"completion_ids": [[1] * 4, []]}) == [4, 0]


def test_repetition_over_ids():
    assert _repetition_ids([1, 2, 3, 4], 2, -1.0) == 0.0
    assert _repetition_ids([5, 5, 5, 5, 5], 2, -1.0) == pytest.approx(-0.75)
    assert _repetition_ids([1], 3, -1.0) == 0.0


def test_chinese_words_by_jieba():
    pytest.importorskip("jieba")
    assert _words("我爱北京 我爱北京", "zh") == ["我", "爱", "北京", "我", "爱", "北京"]
    assert _words("a  b", "whitespace") == ["a", "b"]


class TestFilledPattern:
    def test_value_is_escaped(self):
        pattern = _filled_pattern(["```", "\\n"], "c++", 0)
        assert pattern.search("```c++\nint main")
        assert not _filled_pattern(["^```", "$"], ".*", 0).search("```python")

    def test_row_value_and_default(self):
        assert _row_value({"language": ["rust", None]}, "language", 0, "python") == "rust"
        assert _row_value({"language": ["rust", None]}, "language", 1, "python") == "python"
        assert _row_value({}, "language", 0, "python") == "python"


def test_gold_that_reads_as_mathematics():
    assert _math_gold_parses("\\frac{63}{400}")
    assert _math_gold_parses("63/400")
    assert not _math_gold_parses("forty two")
