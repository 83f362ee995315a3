"""rewardsmith.runtime.text: scopes, offsets, reference columns, the prompt's question."""

from __future__ import annotations

import pytest

from rewardsmith.runtime.text import _as_list, _column, _content, _prompt_question, _text, _text_turns

AGENTIC = [
    {"role": "assistant", "content": "<search>q</search>"},
    {"role": "tool", "content": "result"},
    {"role": "assistant", "content": [{"type": "text", "text": "<answer>"}, {"type": "text", "text": "x</answer>"}]},
]


class TestContent:
    def test_string_and_parts(self):
        assert _content({"role": "user", "content": "hi"}) == "hi"
        assert _content(AGENTIC[2]) == "<answer>x</answer>"

    def test_none_and_missing_text(self):
        assert _content({"role": "assistant", "content": None}) == ""
        assert _content({"content": [{"type": "image"}, "tail"]}) == "tail"


class TestText:
    @pytest.mark.parametrize("scope", ["first", "last", "assistant", "transcript"])
    def test_string_is_the_text_under_every_scope(self, scope):
        assert _text("a\r\nb", scope) == "a\r\nb"

    def test_scopes_of_a_tool_transcript(self):
        assert _text(AGENTIC, "first") == "<search>q</search>"
        assert _text(AGENTIC, "last") == "<answer>x</answer>"
        assert _text(AGENTIC, "assistant") == "<search>q</search>\n<answer>x</answer>"
        assert _text({"messages": AGENTIC}, "transcript") == "<search>q</search>\nresult\n<answer>x</answer>"

    def test_empty_and_no_assistant(self):
        assert _text([], "last") == ""
        assert _text(None, "first") == ""
        assert _text([{"role": "tool", "content": "r"}], "last") == ""

    def test_message_without_role_is_the_assistants(self):
        assert _text([{"content": "a"}, {"role": "user", "content": "b"}], "assistant") == "a"


class TestTextTurns:
    @pytest.mark.parametrize("scope", ["first", "last", "assistant", "transcript"])
    def test_text_is_what_text_reads_and_offsets_point_at_each_turn(self, scope):
        text, offsets = _text_turns(AGENTIC, scope)
        assert text == _text(AGENTIC, scope)
        for index, offset in offsets:
            turn = _content(AGENTIC[index])
            assert text[offset : offset + len(turn)] == turn

    def test_string_is_one_turn_at_zero(self):
        assert _text_turns("abc", "last") == ("abc", [(0, 0)])


class TestColumn:
    def test_one_value_per_completion(self):
        assert _column({"answer": ["a", "b"]}, "answer", 2, "r") == ["a", "b"]

    def test_a_scalar_is_repeated(self):
        assert _column({"answer": "a"}, "answer", 3, "r") == ["a", "a", "a"]

    def test_missing_column_names_the_fix(self):
        with pytest.raises(KeyError, match="add a 'answer' column"):
            _column({"other": [1]}, "answer", 1, "r")

    def test_wrong_length(self):
        with pytest.raises(ValueError, match="2 values for 3 completions"):
            _column({"answer": ["a", "b"]}, "answer", 3, "r")


class TestAsList:
    def test_lists_of_references(self):
        assert _as_list(["a", "b"]) == ["a", "b"]
        assert _as_list(("a",)) == ["a"]
        assert _as_list("ab") == ["ab"]
        assert _as_list(None) == [None]


class TestPromptQuestion:
    def test_last_user_message(self):
        prompts = [[{"role": "system", "content": "s"}, {"role": "user", "content": "q1"},
                    {"role": "user", "content": "q2"}]]
        assert _prompt_question(prompts, 0) == "q2"

    def test_string_missing_and_out_of_range(self):
        assert _prompt_question(["q"], 0) == "q"
        assert _prompt_question(None, 0) == ""
        assert _prompt_question(["q"], 3) == ""
        assert _prompt_question([[{"role": "system", "content": "s"}]], 0) == ""
