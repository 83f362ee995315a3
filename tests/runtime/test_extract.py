"""rewardsmith.runtime.extract: every span form, and the string form that slices it."""

from __future__ import annotations

import re

import pytest

from rewardsmith.runtime.extract import (
    _extract_after_tag,
    _extract_after_tag_span,
    _extract_boxed,
    _extract_boxed_span,
    _extract_last_line,
    _extract_last_line_span,
    _extract_regex,
    _extract_regex_span,
    _extract_split,
    _extract_split_span,
    _extract_xml_tag,
    _extract_xml_tag_span,
    _strip_span,
    _whole_span,
)

ANSWER = re.compile(re.escape("<answer>") + "(.*?)" + re.escape("</answer>"), re.DOTALL)


class TestXmlTag:
    def test_first_and_last(self):
        text = "<answer>1</answer> then <answer>2</answer>"
        assert _extract_xml_tag(text, ANSWER, False) == "1"
        assert _extract_xml_tag(text, ANSWER, True) == "2"

    def test_span_and_block(self):
        text = "x <answer>\r\n42\r\n</answer>"
        start, end, bs, be = _extract_xml_tag_span(text, ANSWER, True)
        assert text[start:end] == "\r\n42\r\n"
        assert text[bs:be] == "<answer>\r\n42\r\n</answer>"

    def test_unclosed_and_nested(self):
        assert _extract_xml_tag("<answer>open", ANSWER, True) is None
        assert _extract_xml_tag("<answer><answer>in</answer></answer>", ANSWER, False) == "<answer>in"

    def test_empty(self):
        assert _extract_xml_tag("", ANSWER, True) is None
        assert _extract_xml_tag("<answer></answer>", ANSWER, True) == ""


class TestAfterTag:
    def test_first_and_last(self):
        text = "a</think>b</think>c"
        assert _extract_after_tag(text, "</think>", False) == "b</think>c"
        assert _extract_after_tag(text, "</think>", True) == "c"

    def test_absent(self):
        assert _extract_after_tag_span("no tag", "</think>", True) is None


class TestSplit:
    def test_the_lenient_idiom(self):
        assert _extract_split("a<answer>b</answer>", "<answer>", "</answer>", -1) == "b"
        assert _extract_split("no marker", "<answer>", "</answer>", -1) == "no marker"

    def test_block_takes_in_the_markers(self):
        text = "a<answer>b</answer>c"
        start, end, bs, be = _extract_split_span(text, "<answer>", "</answer>", -1)
        assert (text[start:end], text[bs:be]) == ("b", "<answer>b</answer>")

    def test_index_out_of_range_is_an_empty_answer(self):
        assert _extract_split_span("a", "|", "", 3) is None
        assert _extract_split("a", "|", "", 3) == ""

    @pytest.mark.parametrize("text", ["x|y|z", "|", "", "x||"])
    @pytest.mark.parametrize("index", [0, 1, -1, -2])
    def test_matches_str_split(self, text, index):
        pieces = text.split("|")
        want = pieces[index] if -len(pieces) <= index < len(pieces) else ""
        assert _extract_split(text, "|", "", index) == want


class TestRegex:
    def test_group_first_last(self):
        pattern = re.compile(r"#### (\d+)")
        assert _extract_regex("#### 1 #### 2", pattern, 1, False) == "1"
        assert _extract_regex("#### 1 #### 2", pattern, 1, True) == "2"

    def test_group_not_taking_part(self):
        assert _extract_regex_span("b", re.compile(r"(a)?b"), 1, True) is None

    def test_block_is_the_whole_match(self):
        span = _extract_regex_span("x = 4;", re.compile(r"= (\d);"), 1, False)
        assert span == (4, 5, 2, 6)


class TestBoxed:
    def test_nested_braces(self):
        assert _extract_boxed(r"so \boxed{\frac{1}{2}}", True) == r"\frac{1}{2}"

    def test_first_last_and_fbox(self):
        text = r"\boxed{1} and \fbox {2}"
        assert _extract_boxed(text, False) == "1"
        assert _extract_boxed(text, True) == "2"

    def test_unclosed(self):
        assert _extract_boxed(r"\boxed{1", True) is None

    def test_block(self):
        text = r"a \boxed{7} b"
        start, end, bs, be = _extract_boxed_span(text, True)
        assert text[bs:be] == r"\boxed{7}"


class TestLastLine:
    def test_crlf_and_blank_lines(self):
        assert _extract_last_line("a\r\nb\r\n\r\n  \n") == "b"

    def test_matches_splitlines(self):
        text = "one\x0btwo\u2028three \n"
        assert _extract_last_line(text) == [x for x in text.splitlines() if x.strip()][-1]
        start, end, _, _ = _extract_last_line_span(text)
        assert text[start:end] == "three "

    def test_empty(self):
        assert _extract_last_line("") is None
        assert _extract_last_line(" \n\t") is None


class TestStripSpan:
    def test_strips_as_str_strip_and_keeps_the_block(self):
        text = "<a> \u3000x y\n</a>"
        span = (3, len(text) - 4, 0, len(text))
        start, end, bs, be = _strip_span(text, span)
        assert text[start:end] == text[3 : len(text) - 4].strip()
        assert (bs, be) == (0, len(text))

    def test_none_and_blank(self):
        assert _strip_span("x", None) is None
        assert _strip_span("   ", _whole_span("   "))[:2] == (3, 3)
