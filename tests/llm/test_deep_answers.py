"""A model's answer nested past the JSON parser's stack is an invalid answer, never a RecursionError."""

from __future__ import annotations

import pytest

from rewardsmith.errors import InvalidAnswer, LLMOutputError
from rewardsmith.propose.answers import spec_from_answer
from rewardsmith.propose.llm import run_proposal

from .conftest import Reply, make_settings, needs_litellm

DEEP = '{"description": "x", "rules": ' + "[" * 5000 + "]" * 5000 + "}"


def test_deep_answer_is_an_invalid_answer():
    with pytest.raises(InvalidAnswer) as caught:
        spec_from_answer(DEEP, name="m", task="", provenance={})
    assert "levels deep" in caught.value.problems[0]


@needs_litellm
def test_deep_answer_twice_is_an_llm_output_error(server, math_samples):
    server.push(Reply.chat(DEEP), Reply.chat(DEEP), Reply.chat(DEEP))
    with pytest.raises(LLMOutputError, match="even after"):
        run_proposal(math_samples, settings=make_settings(server), name="m")
    assert len(server.chat_requests()) == 3  # the answer, then the default two repair rounds
