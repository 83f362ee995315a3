"""Faults, the cache and the caps, against the scripted server with the real clients."""

from __future__ import annotations

import time

import pytest

from rewardsmith.errors import BudgetExceeded, LLMRequestError, LLMServerError, LLMTimeout
from rewardsmith.propose.llm import LLMSession, run_proposal

from .conftest import MATH_GOOD, SECRET, Reply, files_under, make_settings, needs_litellm

pytestmark = needs_litellm


def test_429_then_success(server, math_samples):
    server.push(Reply.error(429, "slow down", headers={"Retry-After": "0"}), Reply.json(MATH_GOOD))
    seen: list[str] = []
    proposal = run_proposal(math_samples, settings=make_settings(server), name="m", progress=seen.append)
    assert len(server.chat_requests()) == 2
    [call] = proposal.usage.calls
    assert call.attempts == 2 and not call.cached
    assert any("rate limited (429)" in s and "retrying" in s for s in seen)


def test_server_errors_until_the_retries_run_out(server, math_samples):
    server.push(*[Reply.error(503, "overloaded")] * 3)
    with pytest.raises(LLMServerError, match=r"server error \(503\).*after 3 attempts"):
        run_proposal(math_samples, settings=make_settings(server, max_retries=2), name="m")
    assert len(server.chat_requests()) == 3


def test_backoff_grows_between_retries(server, math_samples):
    server.push(Reply.error(500), Reply.error(500), Reply.json(MATH_GOOD))
    began = time.monotonic()
    run_proposal(math_samples, settings=make_settings(server, backoff=0.3, max_backoff=5), name="m")
    # 0.3 s then 0.6 s of backoff before the third attempt.
    assert time.monotonic() - began >= 0.85


def test_a_hang_past_the_timeout(server, math_samples):
    server.push(Reply.hang(30))
    began = time.monotonic()
    with pytest.raises(LLMTimeout, match="did not answer within 0.5 s"):
        run_proposal(math_samples, settings=make_settings(server, timeout=0.5, max_retries=0), name="m")
    assert time.monotonic() - began < 12  # a first litellm import may be in it; the hang lasts 30 s


def test_a_hang_then_an_answer_on_the_retry(server, math_samples):
    server.push(Reply.hang(30), Reply.json(MATH_GOOD))
    proposal = run_proposal(math_samples, settings=make_settings(server, timeout=0.5, max_retries=1), name="m")
    assert proposal.usage.calls[0].attempts == 2 and len(server.chat_requests()) == 2


def test_a_refused_key_fails_at_once_without_showing_it(server, math_samples):
    server.push(Reply.error(401, f"Incorrect API key provided: {SECRET}"))
    with pytest.raises(LLMRequestError) as caught:
        run_proposal(math_samples, settings=make_settings(server), name="m")
    assert "refused the credentials (401)" in str(caught.value)
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
    assert len(server.chat_requests()) == 1  # no retry on a 4xx other than 429


def test_a_server_without_structured_output_gets_plain_json_instructions(server, math_samples):
    server.push(Reply.error(400, "response_format json_schema is not supported"), Reply.json(MATH_GOOD))
    proposal = run_proposal(math_samples, settings=make_settings(server), name="m")
    first, second = server.chat_requests()
    assert "response_format" in first.body and "response_format" not in second.body
    assert proposal.spec.rules[0].name == "correct_answer"


def test_identical_requests_come_from_the_cache(server, math_samples, clean_env):
    server.push(Reply.json(MATH_GOOD, prompt_tokens=4000, completion_tokens=200))
    settings = make_settings(server)
    first = run_proposal(math_samples, settings=settings, name="m", instructions="be strict")
    assert len(server.chat_requests()) == 1
    second = run_proposal(math_samples, settings=settings, name="m", instructions="be strict")
    assert len(server.chat_requests()) == 1, "the second identical request reached the server"
    assert second.spec.fingerprint() == first.spec.fingerprint()
    [call] = second.usage.calls
    assert call.cached and call.prompt_tokens == 4000 and call.cost == first.usage.calls[0].cost
    assert second.usage.http_calls == 0 and second.usage.cost == 0.0  # nothing spent this time
    assert "1 from the cache" in second.usage.summary()
    # Anything else in the request is a different request.
    server.push(Reply.json(MATH_GOOD))
    run_proposal(math_samples, settings=settings, name="m", instructions="be lenient")
    assert len(server.chat_requests()) == 2
    # --no-cache always asks.
    server.push(Reply.json(MATH_GOOD))
    run_proposal(math_samples, settings=settings.replace(cache=False), name="m", instructions="be strict")
    assert len(server.chat_requests()) == 3
    assert SECRET not in files_under(clean_env)


def test_the_per_request_cap_refuses_before_sending(server, math_samples):
    with pytest.raises(BudgetExceeded, match="per-request cap"):
        run_proposal(math_samples, settings=make_settings(server, max_request_tokens=1000, max_tokens=500), name="m")
    assert server.count == 0


def test_the_session_cap_is_hard(server, math_samples):
    server.push(Reply.chat("not json", prompt_tokens=9000, completion_tokens=500))
    settings = make_settings(server, max_session_tokens=12_000)
    with pytest.raises(BudgetExceeded, match="session has used 9,500 of its 12,000 tokens"):
        run_proposal(math_samples, settings=settings, name="m")
    assert len(server.chat_requests()) == 1  # the repair round was refused before it was sent


def test_the_session_caps_what_the_model_may_write(server):
    server.push(Reply.chat("{}"))
    session = LLMSession(make_settings(server, max_session_tokens=2000, max_tokens=4096, max_request_tokens=8000))
    session.complete([{"role": "user", "content": "x" * 400}], purpose="probe")
    [request] = server.chat_requests()
    assert request.body["max_tokens"] <= 2000 - 100  # what is left of the session, not max_tokens
