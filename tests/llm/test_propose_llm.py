"""The LLM proposer against a real HTTP server: proposals, repair, rejection, hostile answers, candidates."""

from __future__ import annotations

import ast
import json
import threading
import time
from pathlib import Path

import pytest

from rewardsmith.bench import score_samples
from rewardsmith.errors import LLMCancelled, LLMOutputError
from rewardsmith.propose import propose_llm
from rewardsmith.propose.llm import run_proposal
from rewardsmith.propose.prompts import CUT_MARKER
from rewardsmith.render import render_module
from rewardsmith.spec import dump_spec, parse_spec

from .conftest import LOCAL_MODEL, MATH_GOOD, SECRET, Reply, files_under, make_settings, needs_litellm, rule

pytestmark = needs_litellm


def test_a_good_proposal_becomes_a_validated_spec(server, math_samples, clean_env):
    server.push(Reply.json(MATH_GOOD, prompt_tokens=5000, completion_tokens=300))
    instructions = "If the answer sounds too robotic, deduct 3 points."
    proposal = run_proposal(math_samples, settings=make_settings(server), name="math-llm", task="Solve math problems.",
                            persona="math-grader", instructions=instructions)

    spec = proposal.spec
    assert [r.name for r in spec.rules] == ["correct_answer", "format_tags"]
    assert spec.rules[0].kind == "numeric" and spec.rules[1].weight == 0.2
    assert spec.provenance.proposer == "llm" and spec.provenance.model == "openai/gpt-4o-mini"
    assert spec.provenance.persona == "math-grader"
    assert spec.name == "math-llm" and spec.task == "Solve math problems."
    # Round-trips through YAML like any hand-written spec.
    assert parse_spec(dump_spec(spec)).fingerprint() == spec.fingerprint()

    [request] = server.chat_requests()
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"]["type"] == "json_schema"  # litellm knows gpt-4o-mini takes a schema
    assert "strict math grader" in body["messages"][0]["content"]  # the persona
    prompt = request.text()
    assert instructions in prompt and "Solve math problems." in prompt
    for kind in ("exact_match", "numeric", "tag_count", "count_in_range", "length"):  # the catalogue
        assert f"## {kind}" in prompt
    assert "judge" not in [line.removeprefix("## ").split(" ")[0] for line in prompt.splitlines() if line.startswith("## ")]
    good_ids = [s.id for s in math_samples if s.is_good]
    bad_ids = [s.id for s in math_samples if s.is_good is False]
    # Chosen for coverage: at least four of each label, within the budget.
    assert sum(i in prompt for i in good_ids) >= 4 and sum(i in prompt for i in bad_ids) >= 4
    assert request.headers["authorization"] == f"Bearer {SECRET}"

    assert proposal.usage.prompt_tokens == 5000 and proposal.usage.completion_tokens == 300
    assert proposal.usage.cost > 0 and proposal.usage.cost_known
    # The key reached the server and nothing else: not the spec, the record, the cache.
    assert SECRET not in dump_spec(spec)
    assert SECRET not in json.dumps(proposal.record())
    assert SECRET not in files_under(clean_env) and any(clean_env.rglob("*.json"))


def test_a_local_model_costs_nothing_and_says_so(server, math_samples):
    server.push(Reply.json(MATH_GOOD))
    proposal = run_proposal(math_samples, settings=make_settings(server, model=LOCAL_MODEL), name="m")
    assert proposal.usage.cost == 0.0 and not proposal.usage.cost_known
    assert "no price for openai/local-qwen-7b" in proposal.usage.summary()
    # A server of one's own (vLLM, llama.cpp) gets the schema, strict, for its guided decoder.
    [request] = server.chat_requests()
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert "Answer with one JSON object" in request.text()
    # Asked not to use structured output, JSON is asked for in the prompt only.
    server.push(Reply.json(MATH_GOOD))
    run_proposal(math_samples, settings=make_settings(server, model=LOCAL_MODEL, structured="none"), name="m",
                 instructions="plain")
    assert "response_format" not in server.chat_requests()[-1].body


def test_invalid_json_then_a_valid_repair(server, math_samples):
    broken = 'Sure! Here is the spec: {"description": "x", "rules": [{"name": "a",'
    server.push(Reply.chat(broken), Reply.chat("```json\n" + json.dumps(MATH_GOOD) + "\n```"))
    proposal = run_proposal(math_samples, settings=make_settings(server), name="m")
    assert [r.name for r in proposal.spec.rules] == ["correct_answer", "format_tags"]
    assert proposal.candidates[0].repaired
    first, repair = server.chat_requests()
    # The repair round replays the conversation, the bad answer, and the reasons.
    assert repair.messages[:2] == first.messages
    assert repair.messages[2] == {"role": "assistant", "content": broken}
    assert "the JSON is invalid at line 1" in repair.messages[3]["content"]
    assert "seems cut off" in repair.messages[3]["content"]
    assert [c.purpose for c in proposal.usage.calls] == ["proposal", "proposal (repair 1)"]


def test_a_schema_violating_spec_is_rejected_with_reasons(server, math_samples):
    bad = {"description": "x", "rules": [
        rule("magic", "telepathy", {}),
        rule("loops", "repetition", {"ngram": 99}),
        rule("Bad Name", "regex_format", {"pattern": "<answer>"}),
        rule("verify_len", "length", {"max_length": 10}, role="verifier"),
    ]}
    server.push(Reply.json(bad), Reply.json(bad), Reply.json(bad))
    with pytest.raises(LLMOutputError) as caught:
        run_proposal(math_samples, settings=make_settings(server), name="m")
    message = str(caught.value)
    assert "even after 2 repair rounds" in message
    assert "unknown kind 'telepathy'" in message
    assert "rules[1].params.ngram" in message and "less than or equal to 20" in message
    assert "what came back" in message and '"telepathy"' in message
    # The first repair request quoted every problem at once, each with what to do.
    repair = server.chat_requests()[1].messages[-1]["content"]
    assert "found\n4 problems" in repair
    assert "unknown kind 'telepathy'" in repair
    assert "rules[1].params.ngram" in repair
    assert "rules[2].name" in repair and "call it 'bad_name'" in repair
    assert "rules[3].role: length gives graded scores" in repair and "make it a reward" in repair
    assert len(server.chat_requests()) == 3  # two repair rounds, no more
    # The setting (and the --repair-rounds flag) bounds them.
    server.push(Reply.json(bad))
    with pytest.raises(LLMOutputError, match="with no repair round allowed"):
        run_proposal(math_samples, settings=make_settings(server, repair_rounds=0), name="m", instructions="x")
    assert len(server.chat_requests()) == 4


def _shape(source: str) -> str:
    """The module's AST with every string constant blanked: its structure, whatever the literals say."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree, include_attributes=False)


def _calls(source: str) -> list[str]:
    return sorted(ast.unparse(n.func) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call))


def test_a_hostile_spec_is_rejected_or_rendered_inert(server, math_samples, tmp_path):
    canary = tmp_path / "pwned"
    code = f"__import__('os').system('touch {canary}')"
    hostile = {"description": '"""; import os; os.system("x"); """', "rules": [
        rule("a; import os", "regex_format", {"pattern": "<answer>"}),  # a name that is code
        rule("spin", "regex_format", {"pattern": "(a+)+$"}),  # catastrophic backtracking
        rule("sneaky", "regex_format", {"pattern": "x", "__class__": "os"}),  # a field no kind has
        rule("judge_me", "judge", {}),  # a kind the proposer may not use
    ]}
    inert = {"description": code, "rules": [
        rule("format_tags", "regex_format", {"pattern": code}, rationale='"""\nimport os\nos.system("rm -rf /")\n"""'),
        rule("mentions", "contains", {"keywords": ['"); import os; os.system("x"); ("', code]},
             rationale="\\\" + __import__('os').getcwd() + \\\""),
    ]}
    server.push(Reply.json(hostile), Reply.json(inert))
    proposal = run_proposal(math_samples, settings=make_settings(server), name="m")
    reasons = server.chat_requests()[1].messages[-1]["content"]
    assert "rules[0].name" in reasons and "lower-case letters" in reasons
    assert "rules[1].params" in reasons and "catastrophically" in reasons
    assert "rules[2].params.__class__" in reasons and "Extra inputs are not permitted" in reasons
    assert "rules[3].kind: judge" in reasons

    spec = proposal.spec
    source = render_module(spec)
    benign = spec.model_copy(deep=True)
    benign.rules[0].params.pattern = "x"
    benign.rules[1].params.keywords = ["a", "b"]
    benign.rules[0].rationale = benign.rules[1].rationale = "plain"
    # Same structure as a render of harmless strings: the hostile text is data, never code.
    assert _shape(source) == _shape(render_module(benign))
    assert _calls(source) == _calls(render_module(benign))
    assert "__import__" not in _calls(source) and not any("system" in c for c in _calls(source))
    # And running it (the bench executes the module in a worker) touches nothing.
    matrix = score_samples(spec, math_samples)
    assert not any(matrix.errors.values())
    assert not canary.exists()


def test_candidates_run_concurrently_and_the_best_report_wins(server, math_samples):
    weak = {"description": "format only", "rules": [
        rule("format_tags", "regex_format", {"pattern": "<answer>"})]}
    good = MATH_GOOD
    invalid = {"description": "x", "rules": [rule("x", "nope", {})]}

    def answer(request):
        text = request.text()
        if "candidate 1 of 3" in text:
            return Reply.json(weak, delay=0.6)
        if "candidate 2 of 3" in text:
            return Reply.json(good, delay=0.6)
        return Reply.json(invalid, delay=0.6)  # candidate 3 (and its repair) stay invalid

    server.responder = answer
    arrivals: list[float] = []
    original = server._record

    def record(handler, body):
        arrivals.append(time.monotonic())
        return original(handler, body)

    server._record = record  # type: ignore[method-assign]
    proposal = run_proposal(math_samples, settings=make_settings(server), name="m", candidates=3)
    assert len(server.chat_requests()) == 5  # three proposals and two repairs
    first_three = sorted(arrivals)[:3]
    assert first_three[-1] - first_three[0] < 0.5, "the three candidates were not sent at once"
    order = [c.index for c in proposal.candidates]
    assert order == [1, 0, 2]  # the numeric rule separates best; the invalid one comes last
    assert proposal.spec.rules[0].name == "correct_answer"
    assert proposal.candidates[2].spec is None and "unknown kind 'nope'" in proposal.candidates[2].error
    assert proposal.candidates[0].report.data["total"]["auc"] > proposal.candidates[1].report.data["total"]["auc"]
    # Three angles: the prompts differ, so the cache keys differ.
    assert len({c.key for c in proposal.usage.calls}) == 5


def test_propose_llm_is_what_the_tui_calls(server, math_samples):
    server.push(Reply.json(MATH_GOOD))
    seen: list[str] = []
    spec = propose_llm(math_samples, settings=make_settings(server), name="m", task="t",
                       persona="search_engine_expert", instructions="", progress=seen.append)
    assert spec.provenance.persona == "search-engine-expert"
    assert any("asking" in s for s in seen)


# The search demo's failure modes (rewardsmith/data/demo/README.md), by the samples that show each.
SEARCH_MODES = {
    "search spam": {"search-g01-c5", "search-g08-c4", "search-g12-c3", "search-g05-c5", "search-g15-c4"},
    "several answers": {"search-g03-c5", "search-g07-c1", "search-g11-c2"},
    "verbose answer": {"search-g03-c4", "search-g05-c2", "search-g10-c1", "search-g14-c4", "search-g15-c2"},
    "answer inside <think>": {"search-g04-c4", "search-g07-c2", "search-g12-c1"},
    "truncation": {"search-g02-c3", "search-g06-c5", "search-g10-c3", "search-g14-c6", "search-g05-c5",
                   "search-g15-c4"},
}


def test_samples_cover_the_failure_modes_the_persona_names(server, search_samples):
    server.push(Reply.json({"description": "x", "rules": [rule("searched", "regex_format", {"pattern": "<search>"})]}))
    proposal = run_proposal(search_samples, settings=make_settings(server), name="s")
    prompt = server.chat_requests()[0].text()
    shown = {line.split(" ")[1] for line in prompt.splitlines() if line.startswith("## search-")}
    for mode, ids in SEARCH_MODES.items():
        assert shown & ids, f"no sample of {mode!r} reached the prompt"
    # Both labels, from many groups; each sample says what it was picked for.
    headers = [line for line in prompt.splitlines() if line.startswith("## search-")]
    assert sum("— good" in h for h in headers) >= 4 and sum("— bad" in h for h in headers) >= 4
    assert len({h.split("group ")[1] for h in headers}) >= 8
    assert "Shown for: <answer> x2" in prompt and "answer of more than 8 words" in prompt
    assert "misclassified by the offline proposer's spec" in prompt or "scores highest" in prompt
    # The system prompt that defines the protocol, once; the per-label table of the whole file.
    system = search_samples[0].prompt[0]["content"]
    assert prompt.count(system) == 1
    assert "| feature | good | bad |" in prompt and "| samples | 38 | 50 |" in prompt
    assert "| reference only inside <think> | 0/38 |" in prompt
    # Bounded, with long text cut and tool results shortened.
    assert CUT_MARKER.split("{n}")[0] in prompt and "characters cut" in prompt
    assert len(prompt) < 60_000
    assert proposal.spec.rules[0].name == "searched"


def test_a_user_persona_file(server, math_samples, tmp_path: Path):
    persona = tmp_path / "tutor.md"
    persona.write_text("You are a patient tutor for the task: {{ task }}.", encoding="utf-8")
    server.push(Reply.json(MATH_GOOD))
    spec = propose_llm(math_samples, settings=make_settings(server), name="m", task="fractions", persona=str(persona))
    assert spec.provenance.persona == "file:tutor.md"
    assert "You are a patient tutor for the task: fractions." in server.chat_requests()[0].messages[0]["content"]


def _cancel_when_in_flight(server, n: int) -> threading.Event:
    """An event set once `n` requests have reached the server (and are hanging there)."""
    cancel = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while len(server.chat_requests()) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        cancel.set()

    threading.Thread(target=watch, daemon=True).start()
    return cancel


def test_cancel_aborts_a_request_in_flight(server, math_samples):
    server.push(Reply.hang(20))
    cancel = _cancel_when_in_flight(server, 1)
    began = time.monotonic()
    with pytest.raises(LLMCancelled):
        run_proposal(math_samples, settings=make_settings(server, timeout=15), name="m", cancel=cancel)
    assert time.monotonic() - began < 12  # litellm's first import is part of it; the hang is 20 s
    assert len(server.chat_requests()) == 1


def test_cancel_aborts_every_candidate(server, math_samples):
    server.responder = lambda request: Reply.hang(20)
    cancel = _cancel_when_in_flight(server, 3)
    began = time.monotonic()
    with pytest.raises(LLMCancelled):
        run_proposal(math_samples, settings=make_settings(server, timeout=15), name="m", candidates=3, cancel=cancel)
    assert time.monotonic() - began < 12
    assert len(server.chat_requests()) == 3  # all three were in flight, and all three were dropped
