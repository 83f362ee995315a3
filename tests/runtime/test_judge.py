"""rewardsmith.runtime.judge: the strict verdict parser, and the batch without a request."""

from __future__ import annotations

import asyncio

import pytest

from rewardsmith.runtime.judge import _judge_batch, _judge_verdict

YES, NO = frozenset({"yes", "correct"}), frozenset({"no", "incorrect"})


class TestJudgeVerdict:
    @pytest.mark.parametrize("reply", ["Yes", " yes.", '"Yes"', "**Correct**!", "YES\r\n"])
    def test_yes(self, reply):
        assert _judge_verdict(reply, YES, NO) is True

    @pytest.mark.parametrize("reply", ["No", "incorrect.", "`no`"])
    def test_no(self, reply):
        assert _judge_verdict(reply, YES, NO) is False

    @pytest.mark.parametrize("reply", ["Yes and no", "not yes", "eyes", "", "Yes, it is"])
    def test_not_a_verdict(self, reply):
        assert _judge_verdict(reply, YES, NO) is None


class TestJudgeBatch:
    def test_no_answer_scores_miss_without_a_request(self):
        scores = asyncio.run(_judge_batch(
            [(None, "ref", "q"), (None, ["a", "b"], "")], base_url="http://127.0.0.1:9/v1", model="m",
            api_key_env="NO_SUCH_KEY", prompt="{answer}", yes_words=YES, no_words=NO, score_match=1.0,
            score_miss=0.0, on_failure=None, timeout=1.0, max_retries=0, max_tokens=4, temperature=0.0,
            concurrency=2))
        assert scores == [0.0, 0.0]
