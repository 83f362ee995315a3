"""The judge kind's generated code against the scripted server, and the autodidact preset against its oracle.

The generated module is rendered from a spec and executed as users run it; its openai client calls
the scripted server over HTTP. Nothing between the module and the socket is replaced.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardsmith.bench import score_samples
from rewardsmith.errors import SpecError
from rewardsmith.judging import JudgeSettings, apply_judge_settings
from rewardsmith.presets import PRESETS_DIR, load_preset
from rewardsmith.render import render_module
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import RewardSpec, parse_spec

from .conftest import Reply
from .scripted_server import Recorded, ScriptedServer

ORIGINALS = Path(__file__).resolve().parents[1] / "originals"


def _module(spec: RewardSpec, name: str = "judged") -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(render_module(spec, module_name=name), f"<{name}>", "exec"), module.__dict__)
    return module


def _spec(server: ScriptedServer, **params: Any) -> RewardSpec:
    base = {"base_url": server.url, "model": "judge-model", "api_key_env": "JUDGE_KEY", "timeout": 5.0,
            "max_retries": 0}
    base.update(params)
    spec = parse_spec(json.dumps({"name": "judge-test", "rules": [
        {"name": "correct", "kind": "judge", "role": "verifier", "params": base}]}))
    return _trusted(spec)


def _trusted(spec: RewardSpec) -> RewardSpec:
    """The spec's endpoint and key variable, confirmed as the user does with --trust-judge-endpoint."""
    return apply_judge_settings(spec, JudgeSettings(trust_spec=True))[0]


def _fields(request: Recorded) -> dict[str, str]:
    """Question, reference and student answer back out of the default judge prompt."""
    text = request.messages[-1]["content"]
    head, student = text.split("\nStudent Answer: ", 1)
    head, reference = head.split("\nCorrect Answer: ", 1)
    question = head.split("Question: ", 1)[1]
    return {"question": question, "reference": reference, "answer": student.removesuffix("\n")}


def _answering(replies: dict[str, str]):
    """A responder that replies by the student's answer."""
    return lambda request: Reply.chat(replies[_fields(request)["answer"]])


def _call(fn: Any, answers: list[str], refs: list[Any], questions: list[str] | None = None) -> list[Any]:
    prompts = [[{"role": "user", "content": q}] for q in (questions or ["What is it?"] * len(answers))]
    completions = [[{"role": "assistant", "content": a}] for a in answers]
    return asyncio.run(fn(prompts=prompts, completions=completions, answer=refs))


def test_verdicts_are_parsed_strictly(server):
    replies = {"a1": "Yes", "a2": " yes.\n", "a3": "**No**", "a4": "'Correct'", "a5": "Yes and no",
               "a6": "not yes", "a7": "eyes", "a8": "", "a9": "Yes, the student is right.", "a10": "NO!"}
    server.responder = _answering(replies)
    module = _module(_spec(server))
    scores = _call(module.correct, list(replies), ["ref"] * len(replies))
    assert scores == [1.0, 1.0, 0.0, 1.0, None, None, None, None, None, 0.0]
    assert _call(module.verify_correct, ["a1", "a3", "a5"], ["ref"] * 3) == [True, False, None]
    # The verifier asked again only where there was no verdict to cache (the unparseable a5).
    assert len(server.chat_requests()) == len(replies) + 1


@pytest.mark.parametrize("on_failure", [None, 0.0, -0.5])
def test_the_failure_policy_on_500_and_timeouts(server, on_failure):
    server.push(Reply.error(500, "judge down"), Reply.hang(30))
    module = _module(_spec(server, on_failure=on_failure, timeout=0.5, concurrency=1))
    began = time.monotonic()
    assert _call(module.correct, ["x", "y"], ["r", "r"]) == [on_failure, on_failure]
    assert time.monotonic() - began < 6
    # Failures are not cached: the judge is asked again, and now it answers.
    server.push(Reply.chat("Yes"), Reply.chat("No"))
    assert _call(module.correct, ["x", "y"], ["r", "r"]) == [1.0, 0.0]


def test_a_retry_reaches_the_verdict(server):
    server.push(Reply.error(503, "busy", headers={"retry-after-ms": "10"}), Reply.chat("yes"))
    module = _module(_spec(server, max_retries=1))
    assert _call(module.correct, ["x"], ["r"]) == [1.0]
    assert len(server.chat_requests()) == 2


def test_identical_requests_are_sent_once_and_cached(server):
    server.responder = _answering({"Paris": "Yes", "Lyon": "No"})
    module = _module(_spec(server))
    assert _call(module.correct, ["Paris", "Paris", "Lyon", "Paris"], ["Paris"] * 4) == [1.0, 1.0, 0.0, 1.0]
    assert len(server.chat_requests()) == 2
    assert _call(module.correct, ["Lyon", "Paris"], ["Paris"] * 2) == [0.0, 1.0]
    assert len(server.chat_requests()) == 2, "cached verdicts were asked again"


def test_no_answer_means_no_request(server):
    module = _module(_spec(server, extract={"method": "xml_tag", "tag": "answer"}, score_miss=-1.0))
    assert _call(module.correct, ["no tags here", "<answer></answer>"], ["r", "r"])[0] == -1.0
    assert len(server.chat_requests()) == 1


def test_the_request_carries_question_reference_answer_and_the_named_key(server, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-judge-key-123")
    server.responder = lambda request: Reply.chat("Yes")
    spec = _spec(server, temperature=0.0, max_tokens=3)
    module = _module(spec)
    _call(module.correct, ["  Paris \n"], [["Paris", "City of Light"]], questions=["Capital of {answer}?"])
    [request] = server.chat_requests()
    assert request.headers["authorization"] == "Bearer sk-judge-key-123"
    assert request.body["model"] == "judge-model" and request.body["max_tokens"] == 3
    assert request.body["temperature"] == 0.0
    # The question's "{answer}" stays text: placeholders are filled in one pass.
    assert _fields(request) == {"question": "Capital of {answer}?", "reference": "Paris / City of Light",
                                "answer": "Paris"}
    assert "sk-judge-key-123" not in render_module(spec)
    assert "'JUDGE_KEY'" in render_module(spec)


def test_trl_sees_an_async_reward_and_runs_it_on_its_own_loop(server):
    trl_utils = pytest.importorskip("trl.trainer.utils")
    server.responder = _answering({"4": "Yes", "5": "No"})
    module = _module(_spec(server))
    assert trl_utils.is_async_callable(module.correct)
    # What GRPOTrainer does: a daemon thread runs an event loop, the step submits the coroutine to it.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        coro = module.correct(prompts=["2+2?", "2+2?"], completions=["4", "5"], answer=["4", "4"],
                              completion_ids=[[1], [2]], trainer_state=None)
        assert asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30) == [1.0, 0.0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_the_bench_runs_the_judge_through_the_worker(server):
    server.responder = _answering({"Paris": "Yes", "Lyon": "No", "Nice": "Maybe"})
    samples = SampleSet([
        Sample(id=f"s{i}", prompt="Capital of France?", completion=text, group="g", label=label,
               refs={"answer": "Paris"})
        for i, (text, label) in enumerate([("Paris", 1.0), ("Lyon", 0.0), ("Nice", 0.0)])
    ])
    matrix = score_samples(_spec(server), samples, time_limit=10)
    assert matrix.scores["correct"] == [1.0, 0.0, None]
    assert not any(matrix.errors.values())


def test_an_unreachable_judge_fails_the_batch_fast():
    with ScriptedServer() as gone:
        url = gone.url  # a port that was just closed: connections are refused
    spec = _spec(types.SimpleNamespace(url=url), max_retries=2, on_failure=-2.0, concurrency=4)  # type: ignore[arg-type]
    module = _module(spec)
    began = time.monotonic()
    assert _call(module.correct, [f"a{i}" for i in range(40)], ["r"] * 40) == [-2.0] * 40
    # One wave of refused connections (with the client's own retries), not forty.
    assert time.monotonic() - began < 8


def test_judge_params_refuse_secrets_and_nonsense():
    def bad(**params: Any) -> str:
        rule = {"name": "j", "kind": "judge", "params": {"model": "m", **params}}
        with pytest.raises(SpecError) as caught:
            parse_spec(json.dumps({"name": "x", "rules": [rule]}))
        return str(caught.value)

    assert "must not carry credentials" in bad(base_url="https://user:sk-123@host/v1")
    assert "NAME of an environment variable" in bad(api_key_env="sk-live-1234567890")
    assert "http(s) URL" in bad(base_url="file:///etc/passwd")
    assert "must contain {answer}" in bad(prompt="Is it right?")
    assert "both yes and no" in bad(yes_words=["ok"], no_words=["ok"])
    assert "less than or equal to 600" in bad(timeout=10_000)


# ------------------------------------------------------------------ the autodidact preset


def _oracle() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("_rewardsmith_oracle_autodidact", ORIGINALS / "autodidact.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _decide(question: str, reference: str, answer: str) -> str:
    """The scripted verifier: Yes when the reference appears in the answer, unless the question is a trick."""
    if "trick" in question:
        return "No"
    return "Yes" if reference.lower() in answer.lower() else "No"


def _chat(final: str, tool: str = "Result: Paris is the capital of France.") -> dict[str, Any]:
    return {"messages": [
        {"role": "assistant", "content": "I will search.\n<search>capital of France</search>"},
        {"role": "ipython", "content": tool},
        {"role": "assistant", "content": final},
    ]}


def _preset_on(server: ScriptedServer) -> types.ModuleType:
    spec = load_preset("autodidact")
    spec.rules[0].params.base_url = server.url
    return _module(_trusted(spec), "autodidact")


CHATS = [
    (_chat("Paris"), "Paris", "What is the capital of France?"),
    (_chat("The answer is paris.\n"), "Paris", "What is the capital of France?"),
    (_chat("Lyon"), "Paris", "What is the capital of France?"),
    (_chat("Paris", tool="Error during search: timeout"), "Paris", "What is the capital of France?"),
    (_chat("  Paris  "), "Paris", "A trick question: capital of France?"),
    (_chat(""), "Paris", "What is the capital of France?"),
    (_chat("Error during my reasoning, I think Paris"), "Paris", "Capital?"),
    (_chat("Benjamin Harrison"), "Benjamin Harrison", "Who was president in 1889?"),
]


def test_autodidact_matches_the_original(server):
    server.responder = lambda request: Reply.chat(_decide(**_fields(request)))
    ours, theirs = _preset_on(server), _oracle()
    chats, refs, questions = (list(x) for x in zip(*CHATS))
    kwargs = {"prompts": questions, "completions": chats, "answer": refs}
    got = asyncio.run(ours.reward_correctness(**kwargs))
    want = theirs.build_reward_correctness(_decide)(**kwargs)
    assert got == [float(w) for w in want] == [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    assert ours.reward_formatting(**kwargs) == theirs.reward_formatting(**kwargs) == [0.7, 0.7, 0.7, 0, 0.7, 0.7, 0, 0.7]
    # The judge saw what the original's verifier sees: the question, the reference, the last message as is.
    seen = {(_fields(r)["question"], _fields(r)["answer"]) for r in server.chat_requests()}
    assert ("A trick question: capital of France?", "  Paris  ") in seen
    assert [f.__name__ for f in ours.REWARD_FUNCS] == ["reward_correctness", "reward_formatting"]
    assert ours.REWARD_WEIGHTS == [1.0, 1.0]


def test_autodidact_deviations_are_the_documented_ones(server):
    """Strict verdicts, and null on a judge failure, where the original would say True or crash."""
    server.responder = lambda request: Reply.chat("Yes and no, partly.")
    ours, theirs = _preset_on(server), _oracle()
    kwargs = {"prompts": ["Q?"], "completions": [_chat("maybe Paris")], "answer": ["Paris"]}
    assert theirs.build_reward_correctness(lambda q, a, s: "Yes and no, partly.")(**kwargs) == [True]
    assert asyncio.run(ours.reward_correctness(**kwargs)) == [None]
    documented = (PRESETS_DIR / "autodidact.yaml").read_text(encoding="utf-8")
    assert "the verdict is parsed strictly" in documented and "gives null" in documented


_MESSAGE = st.builds(
    lambda role, text: {"role": role, "content": text},
    st.sampled_from(["assistant", "ipython", "tool", "user", "system"]),
    st.one_of(st.sampled_from(["Error during", "error during", "Error  during", "Error during search",
                               "x Error during\ny", "Error\nduring", "Errors during", "", "ok"]),
              st.text(max_size=12)),
)


_FORMATTING = _module(load_preset("autodidact"), "autodidact_fmt").reward_formatting


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_MESSAGE, min_size=1, max_size=5), min_size=1, max_size=4))
def test_autodidact_formatting_matches_the_original_on_generated_chats(chats: list[list[dict[str, str]]]) -> None:
    completions = [{"messages": m} for m in chats]
    want = _oracle().reward_formatting(prompts=None, completions=completions)
    got = _FORMATTING(prompts=None, completions=completions)
    assert got == want and all(type(g) is float for g in got)


def test_hostile_judge_params_render_inert():
    def shape(source: str) -> str:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = ""
        return ast.dump(tree)

    def spec(text: str) -> RewardSpec:
        rule = {"name": "judged", "kind": "judge", "role": "verifier", "rationale": text, "params": {
            "model": text, "prompt": text + " {answer} " + text, "yes_words": [text[:40]], "no_words": ["n"],
            "base_url": "http://127.0.0.1:9/v1"}}
        return parse_spec(json.dumps({"name": "hostile-judge", "description": text, "rules": [rule]}))

    hostile = "x'); __import__('os').system('id'); ('\"\"\"\n import os\n{{ 7 * 7 }}"
    source = render_module(spec(hostile))
    assert shape(source) == shape(render_module(spec("benign text")))
    calls = {ast.unparse(n.func) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)}
    assert not any("__import__" in c or "system" in c for c in calls)
