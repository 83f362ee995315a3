"""The offline proposer: specs mined from samples must separate good from bad, explain themselves,
round-trip, render, and come out the same every time.

The acceptance check compares the proposed spec's weighted total with a few obvious hand-written
single rules per data set (what a person would write first), by AUC (Mann–Whitney, ties count
half). The proposal must be at least as good as the best of them, within a 0.01 margin.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.checks import auc
from rewardsmith.errors import SampleError
from rewardsmith.propose import propose_offline
from rewardsmith.propose.slots import mine_slots
from rewardsmith.render import render_module
from rewardsmith.samples import FieldMap, Sample, SampleSet, demo_path, load_samples
from rewardsmith.spec import RewardSpec, Rule, dump_spec, parse_spec

MARGIN = 0.01  # the proposal may trail the best hand-written rule by at most this much

SQUAD = {"strip": True, "lower": True, "collapse_whitespace": True, "remove_punctuation": True,
         "remove_articles": True}
XML_ANSWER = {"method": "xml_tag", "tag": "answer"}
BOXED = {"method": "boxed"}


# --------------------------------------------------------------------------- helpers


def run_spec(spec: RewardSpec, samples: SampleSet) -> dict[str, list[float | None]]:
    """Each rule's scores, from the rendered module executed in-process, called as TRL calls it."""
    namespace: dict[str, Any] = {}
    exec(compile(render_module(spec), "<test module>", "exec"), namespace)
    columns = {name: [s.refs.get(name) for s in samples] for name in samples.columns}
    prompts = [s.prompt for s in samples]
    completions = [s.completion for s in samples]
    return {r.name: namespace[r.name](prompts=prompts, completions=completions, **columns) for r in spec.rules}


def total_auc(spec: RewardSpec, samples: SampleSet) -> float:
    """AUC of the weighted total, summed as TRL does (None skipped)."""
    scores = run_spec(spec, samples)
    total: list[float | None] = []
    for i in range(len(samples)):
        parts = [r.weight * scores[r.name][i] for r in spec.rules if scores[r.name][i] is not None]
        total.append(sum(parts) if parts else None)
    value = auc(total, [s.is_good for s in samples])
    assert value is not None
    return value


def single(kind: str, **params: Any) -> RewardSpec:
    return RewardSpec(name="hand", rules=[Rule(name="hand", kind=kind, params=params)])


def load_real(real_data: Callable[[str], Path], name: str) -> SampleSet:
    path = real_data(name)
    fields = {
        "bamboogle_qwen.jsonl": FieldMap(prompt="question", completion="gen_text_store", label="gpt4o_output"),
        "math_cot_100.jsonl": FieldMap(prompt="question", completion="response", label="score",
                                       per_completion=("pred", "pred_score")),
        "mmlupro_mistral7b.jsonl": FieldMap(prompt="question", completion="generated_text", label="correct"),
    }[name]
    return load_samples(path, fields)


def load_demo(name: str) -> SampleSet:
    path = demo_path(name)
    if not path.is_file():
        pytest.skip(f"demo set {name} is not bundled yet")
    return load_samples(path, FieldMap())


def unlabelled(samples: SampleSet) -> SampleSet:
    return SampleSet([Sample(s.id, s.prompt, s.completion, s.group, None, dict(s.refs), s.source) for s in samples])


# The obvious first attempts a person would write for each data set.
def hand_written(name: str, samples: SampleSet) -> dict[str, RewardSpec]:
    if name == "bamboogle":
        return {
            "exact <answer> vs answer (normalised)": single("exact_match", extract=XML_ANSWER, reference="answer",
                                                            normalize=SQUAD),
            "exact <answer> vs answer (stripped)": single("exact_match", extract=XML_ANSWER, reference="answer",
                                                          normalize={"strip": True}),
            "token F1 <answer> vs answer": single("token_f1", extract=XML_ANSWER, reference="answer"),
            "tiered <answer> vs answer": single("tiered", extract=XML_ANSWER, reference="answer"),
            "format </think> <answer>": single("regex_format", pattern=r"</think>\s*<answer>.*?</answer>",
                                               flags=["DOTALL"]),
            "1-3 searches": single("count_in_range", pattern="<|begin_of_query|>", literal=True, min_count=1,
                                   max_count=3),
        }
    if name == "math":
        return {
            "numeric boxed vs answer": single("numeric", extract=BOXED, reference="answer"),
            "exact boxed vs answer": single("exact_match", extract=BOXED, reference="answer",
                                            normalize={"strip": True}),
            "format boxed": single("regex_format", pattern=r"\\boxed\{"),
        }
    return _hand_written_demo(samples)


def _hand_written_demo(samples: SampleSet) -> dict[str, RewardSpec]:
    """Demo sets: the generic first attempts, kept to those that fit the data's columns."""
    ref = "answer" if "answer" in samples.columns else samples.columns[0]
    scope = {} if all(isinstance(s.completion, str) for s in samples) else {"scope": "last"}
    out = {
        "exact <answer>": single("exact_match", extract=XML_ANSWER, reference=ref, normalize=SQUAD, **scope),
        "numeric <answer>": single("numeric", extract=XML_ANSWER, reference=ref, **scope),
        "numeric boxed": single("numeric", extract=BOXED, reference=ref, **scope),
        "exact after </think>": single("exact_match", extract={"method": "after_tag", "tag": "think"},
                                       reference=ref, normalize={"strip": True}, **scope),
        "exact after the first </think>": single("exact_match", reference=ref, normalize={"strip": True},
                                                 extract={"method": "after_tag", "tag": "think", "occurrence": "first"},
                                                 **scope),
        "AlphaMaze step-scaled": single("step_scaled_match", reference=ref, **scope,
                                        extract={"method": "split", "start": "</think>", "index": 1}),
        "format <think> <answer>": single("regex_format", pattern=r"<think>.*?</think>\s*<answer>.*?</answer>",
                                          flags=["DOTALL"], **scope),
        "format <answer>": single("regex_format", pattern=r"<answer>.*?</answer>", flags=["DOTALL"], **scope),
    }
    if "aliases" in samples.columns:
        out["exact <answer> vs aliases"] = single("exact_match", extract=XML_ANSWER, reference="aliases",
                                                  normalize=SQUAD, **scope)
    return out


DATASETS = ["bamboogle", "math", "demo_search", "demo_math", "demo_maze"]


def load_named(name: str, real_data: Callable[[str], Path]) -> SampleSet:
    if name == "bamboogle":
        return load_real(real_data, "bamboogle_qwen.jsonl")
    if name == "math":
        return load_real(real_data, "math_cot_100.jsonl")
    return load_demo(name.removeprefix("demo_"))


@dataclass
class Proposals:
    """The proposals made so far in this module, by data set name, and where the real data is."""

    real_data: Callable[[str], Path]
    made: dict[str, tuple[SampleSet, RewardSpec]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def proposals(real_data: Callable[[str], Path]) -> Proposals:
    return Proposals(real_data)


def proposed(name: str, cache: Proposals) -> tuple[SampleSet, RewardSpec]:
    if name not in cache.made:
        samples = load_named(name, cache.real_data)
        cache.made[name] = (samples, propose_offline(samples, name=name))
    return cache.made[name]


# --------------------------------------------------------------------------- acceptance


@pytest.mark.parametrize("name", DATASETS)
def test_proposal_separates_at_least_as_well_as_best_hand_written_rule(name: str, proposals: Proposals) -> None:
    samples, spec = proposed(name, proposals)
    if not samples.labelled:
        pytest.skip(f"{name} has no labels")
    ours = total_auc(spec, samples)
    theirs = {}
    for label, hand in hand_written(name, samples).items():
        try:
            theirs[label] = total_auc(hand, samples)
        except KeyError:  # a generic demo rule naming a column this set lacks
            continue
    best_label = max(theirs, key=theirs.__getitem__)
    print(f"\n{name}: proposed {ours:.4f}; best hand-written {theirs[best_label]:.4f} ({best_label}); "
          + ", ".join(f"{k} {v:.4f}" for k, v in theirs.items()))
    assert ours >= theirs[best_label] - MARGIN, (name, ours, theirs)


# --------------------------------------------------------------------------- the spec itself


@pytest.mark.parametrize("name", DATASETS)
def test_every_rule_explains_itself(name: str, proposals: Proposals) -> None:
    samples, spec = proposed(name, proposals)
    assert spec.provenance.proposer == "offline"
    assert spec.provenance.samples == samples.fingerprint()
    for rule in spec.rules:
        assert rule.rationale and "\n" not in rule.rationale, rule.name
        assert any(ch.isdigit() for ch in rule.rationale), f"{rule.name}: a rationale quotes its figure"
        assert rule.provenance == {"proposer": "offline"}


@pytest.mark.parametrize("name", DATASETS)
def test_answer_rule_dominates(name: str, proposals: Proposals) -> None:
    samples, spec = proposed(name, proposals)
    answers = [r for r in spec.rules if r.kind in ("exact_match", "numeric", "token_f1", "tiered")]
    assert len(answers) == 1, [r.name for r in spec.rules]
    shaping = [r for r in spec.rules if r is not answers[0]]
    assert sum(abs(r.weight) for r in shaping) < answers[0].weight


@pytest.mark.parametrize("name", DATASETS)
def test_spec_round_trips_and_renders(name: str, proposals: Proposals) -> None:
    samples, spec = proposed(name, proposals)
    text = dump_spec(spec)
    again = parse_spec(text)
    assert again.to_data() == spec.to_data()
    assert again.fingerprint() == spec.fingerprint()
    assert dump_spec(again) == text
    source = render_module(spec)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<proposed>", "exec"), namespace)
    assert [f.__name__ for f in namespace["REWARD_FUNCS"]] == [r.name for r in spec.rules]
    scores = run_spec(spec, samples)
    assert all(len(v) == len(samples) for v in scores.values())


@pytest.mark.parametrize("name", DATASETS)
def test_no_rule_is_constant_on_the_samples(name: str, proposals: Proposals) -> None:
    samples, spec = proposed(name, proposals)
    for rule, values in run_spec(spec, samples).items():
        present = {v for v in values if v is not None}
        assert len(present) > 1, f"{rule} is constant on {name}"


def test_bamboogle_proposal_reads_the_answer_tag_against_the_gold_column(proposals: Proposals) -> None:
    _, spec = proposed("bamboogle", proposals)
    main = spec.rules[0]
    assert main.params.extract.method == "xml_tag" and main.params.extract.tag == "answer"
    assert main.params.reference == "answer"  # not pred_ans, the model's own extraction
    calls = [r for r in spec.rules if r.kind == "count_in_range"]
    for rule in calls:
        assert rule.params.max_count <= 10, "a capped count, never an unbounded reward for retries"


def test_math_proposal_reads_boxed_against_a_gold_column(proposals: Proposals) -> None:
    _, spec = proposed("math", proposals)
    main = spec.rules[0]
    assert main.params.extract.method == "boxed"
    assert main.params.reference in ("answer", "gt")  # never `pred`, which varies inside a group


# --------------------------------------------------------------------------- without labels


def test_unlabelled_set_gets_a_sensible_spec(real_data) -> None:
    samples = unlabelled(load_real(real_data, "bamboogle_qwen.jsonl"))
    spec = propose_offline(samples, name="bamboogle-unlabelled", task="answer multi-hop questions")
    assert spec.task == "answer multi-hop questions"
    assert "unlabelled" in spec.description
    assert spec.expectations.min_auc is None
    main = spec.rules[0]
    assert main.kind in ("exact_match", "token_f1") and main.params.reference == "answer"
    assert main.params.extract.method == "xml_tag"
    assert all(r.rationale for r in spec.rules)
    # It still tracks the judge's labels it never saw.
    assert total_auc(spec, load_real(real_data, "bamboogle_qwen.jsonl")) > 0.8


@pytest.mark.parametrize("name", DATASETS)
def test_unlabelled_proposal_still_tracks_the_hidden_labels(name: str, real_data) -> None:
    """Without labels the answer rule's verdicts stand in; the spec should still rank good over bad."""
    samples = load_named(name, real_data)
    spec = propose_offline(unlabelled(samples), name=name)
    assert spec.expectations.min_auc is None and "unlabelled" in spec.description
    assert spec.rules[0].kind in ("exact_match", "numeric", "token_f1", "tiered", "math_equivalent", "choice")
    assert total_auc(spec, samples) >= 0.8


def test_unlabelled_math_prefers_a_gold_column_that_is_fixed_per_prompt(real_data) -> None:
    spec = propose_offline(unlabelled(load_real(real_data, "math_cot_100.jsonl")))
    assert spec.rules[0].params.reference in ("answer", "gt")
    assert spec.rules[0].params.extract.method == "boxed"


def test_no_reference_no_labels_proposes_format() -> None:
    texts = [f"<think>step {i}\nmore</think>\n<answer>{i}</answer>" for i in range(12)]
    texts += [f"I think it is {i}" for i in range(4)]
    samples = SampleSet([Sample(f"s{i}", "p", t, f"g{i}") for i, t in enumerate(texts)])
    spec = propose_offline(samples)
    kinds = {r.kind for r in spec.rules}
    assert "regex_format" in kinds or "tag_count" in kinds
    fmt = next(r for r in spec.rules if r.kind == "regex_format")
    assert "DOTALL" in fmt.params.flags  # the reasoning spans lines


# --------------------------------------------------------------------------- synthetic shapes


def _agent(searches: int, answer: str) -> dict[str, Any]:
    messages: list[dict[str, str]] = []
    for k in range(searches):
        messages.append({"role": "assistant", "content": f"<think>need more</think>\n<search>q{k}</search>"})
        messages.append({"role": "tool", "content": f"<information>doc {k}</information>"})
    messages.append({"role": "assistant", "content": f"<think>done</think>\n<answer>{answer}</answer>"})
    return {"messages": messages}


def _agent_set() -> SampleSet:
    """Good agents search 1-3 times and answer right; bad ones never search, or spam, and miss."""
    samples = []
    for i in range(60):
        gold = f"city {i}"
        if i % 3 == 0:
            completion, label = _agent(1 + i % 3, gold), 1.0
        elif i % 3 == 1:
            completion, label = _agent(2, gold if i % 2 else "unknown"), 1.0 if i % 2 else 0.0
        else:
            completion, label = _agent(0 if i % 2 else 9, "no idea"), 0.0
        samples.append(Sample(f"a{i}", f"where is {i}?", completion, f"g{i}", label, {"answer": gold}))
    return SampleSet(samples)


def test_agentic_completions_count_calls_in_assistant_turns_with_a_cap() -> None:
    samples = _agent_set()
    spec = propose_offline(samples, name="agent")
    main = spec.rules[0]
    assert main.params.extract.method == "xml_tag" and main.params.scope == "last"
    calls = [r for r in spec.rules if r.kind == "count_in_range"]
    if calls:
        rule = calls[0]
        assert rule.params.scope == "assistant"
        assert rule.params.pattern == "<search>"
        assert rule.params.max_count < 9  # spam past the cap earns nothing
    assert total_auc(spec, samples) >= 0.99


def test_special_token_answers_get_allowed_tokens_or_exact_match() -> None:
    moves = ["<|up|>", "<|down|>", "<|left|>", "<|right|>"]
    samples = []
    for i in range(40):
        path = "".join(moves[(i + k) % 4] for k in range(2 + i % 3))
        good = i % 4 != 0
        said = path if good else ("<|up|>" * 2 if i % 8 else "go up then left")
        samples.append(Sample(f"m{i}", f"maze {i}", f"<think>\nplan {i}\n</think>\n{said}", f"g{i}",
                              1.0 if good else 0.0, {"answer": path}))
    spec = propose_offline(SampleSet(samples), name="maze")
    main = spec.rules[0]
    assert main.kind == "exact_match" and main.params.reference == "answer"
    assert main.params.extract.method == "after_tag"
    assert total_auc(spec, SampleSet(samples)) >= 0.99


# --------------------------------------------------------------------------- behaviour of the call


def test_same_input_gives_the_same_spec(proposals: Proposals) -> None:
    samples, spec = proposed("bamboogle", proposals)
    assert dump_spec(propose_offline(samples, name="bamboogle")) == dump_spec(spec)


def test_output_does_not_depend_on_hash_seed(real_data) -> None:
    """Set iteration order changes with PYTHONHASHSEED; the spec must not."""
    code = (
        "from rewardsmith.samples import load_samples, FieldMap\n"
        "from rewardsmith.propose import propose_offline\n"
        "from rewardsmith.spec import dump_spec\n"
        f"s = load_samples({str(real_data('bamboogle_qwen.jsonl'))!r}, FieldMap(prompt='question', "
        "completion='gen_text_store', label='gpt4o_output'))\n"
        "print(dump_spec(propose_offline(s)))\n"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout)
    assert outs[0] == outs[1]


def test_progress_is_reported_and_empty_sets_refused() -> None:
    messages: list[str] = []
    propose_offline(_agent_set(), progress=messages.append)
    assert messages and all(isinstance(m, str) and m for m in messages)
    with pytest.raises(SampleError):
        propose_offline(SampleSet([]))


def test_spec_json_is_plain_data(proposals: Proposals) -> None:
    _, spec = proposed("math", proposals)
    json.dumps(spec.to_data())  # nothing a YAML or JSON writer could choke on


# --------------------------------------------------------------------------- held out: halves by group


def halves(samples: SampleSet) -> tuple[SampleSet, SampleSet]:
    """Two halves by group (every other group in first-seen order): no prompt sits on both sides."""
    order = list(samples.groups())
    first = set(order[::2])
    return (SampleSet([s for s in samples if s.group in first]),
            SampleSet([s for s in samples if s.group not in first]))


def test_made_up_answer_format_is_learned_from_the_gold() -> None:
    """Nobody listed `ANSWER>> 42 <<`: the slot comes from where the gold sits."""
    samples = []
    for i in range(40):
        gold = str(7 * i + 3)
        said = gold if i % 3 else str(7 * i + 4)
        text = f"Let me add {i} and {2 * i}, then {7 * i} and more.\nANSWER>> {said} << (done)"
        samples.append(Sample(f"f{i}", f"sum {i}", text, f"g{i}", 1.0 if i % 3 else 0.0, {"answer": gold}))
    spec = propose_offline(SampleSet(samples), name="made-up")
    main = spec.rules[0]
    assert main.params.reference == "answer"
    assert main.params.extract.method == "regex" and "ANSWER>>" in main.params.extract.pattern
    assert total_auc(spec, SampleSet(samples)) == 1.0
    # Unlabelled, the same slot wins by how often its answer equals the gold.
    loose = propose_offline(unlabelled(SampleSet(samples)))
    assert "ANSWER>>" in loose.rules[0].params.extract.pattern


def test_math_halves_hold_out_on_the_boxed_answer(real_data: Callable[[str], Path]) -> None:
    a, b = halves(load_real(real_data, "math_cot_100.jsonl"))
    for train, test in ((a, b), (b, a)):
        spec = propose_offline(train)
        assert spec.rules[0].params.extract.method == "boxed"
        assert total_auc(spec, test) >= 0.94


def _gsm8k_set() -> SampleSet:
    """GSM8K-style completions ending "A: 18", four per prompt, some wrong."""
    samples = []
    for q in range(30):
        apples, pears = 3 + q, 2 * q + 1
        gold = apples + pears
        for k in range(4):
            said = gold if (q + k) % 3 else gold + 1 + k
            text = (f"Q: Tom has {apples} apples and {pears} pears. How many fruits?\n"
                    f"He has {apples} apples and {pears} pears, so {apples} + {pears} = {said}.\nA: {said}")
            samples.append(Sample(f"q{q}-{k}", f"fruits {q}", text, f"g{q}", 1.0 if said == gold else 0.0,
                                  {"answer": str(gold)}))
    return SampleSet(samples)


def test_gsm8k_style_answers_get_a_correctness_rule_that_holds_out() -> None:
    a, b = halves(_gsm8k_set())
    for train, test in ((a, b), (b, a)):
        spec = propose_offline(train)
        main = spec.rules[0]
        assert main.kind in ("exact_match", "numeric", "tiered") and main.params.reference == "answer"
        assert "A:" in main.params.extract.pattern
        assert total_auc(spec, test) >= 0.99


def test_multiple_choice_halves_read_the_option_letter(real_data: Callable[[str], Path]) -> None:
    a, b = halves(load_real(real_data, "mmlupro_mistral7b.jsonl"))
    for train, test in ((a, b), (b, a)):
        spec = propose_offline(train)
        main = spec.rules[0]
        assert main.params.reference == "answer"
        # the choice kind reads the option wherever the extraction leaves it; a comparison needs the learned slot
        assert main.kind == "choice" or (main.params.extract.method == "regex" and "answer" in main.params.extract.pattern)
        assert not getattr(main.params, "normalize", None) or not main.params.normalize.remove_articles
        # MMLU-Pro's own extraction (its `correct` label) is the baseline: "answer is (X)" against the gold.
        assert total_auc(spec, test) >= 0.95


def test_search_halves_keep_behaviour_off_the_documents_and_count_ranges_stable(real_data: Callable[[str], Path]) -> None:
    from rewardsmith.propose import offline

    a, b = halves(load_real(real_data, "bamboogle_qwen.jsonl"))
    ranges = []
    for half in (a, b):
        spec = propose_offline(half)
        assert not any(r.kind in ("length", "repetition") for r in spec.rules)
        assert "retrieved documents" in spec.description
        view = offline._View.of(half)
        calls = offline._call_candidates(view, offline._mine_tags(view))
        assert calls, "the <|begin_of_query|> marker is mined"
        lo, hi = calls[0].params["min_count"], calls[0].params["max_count"]
        assert hi - lo >= 2 and lo >= 1
        ranges.append((lo, hi))
    assert ranges[0] == ranges[1]


def test_message_list_behaviour_rules_read_the_assistant_turns() -> None:
    spec = propose_offline(unlabelled(_agent_set()), name="agent")
    for rule in spec.rules:
        if rule.kind in ("length", "repetition", "count_in_range"):
            assert rule.params.scope == "assistant"


def test_shaping_rules_show_their_share_of_the_advantage() -> None:
    samples = load_demo("math")
    spec = propose_offline(samples)
    shaping = spec.rules[1:]
    assert shaping
    for rule in shaping:
        share = re.search(r"(\d+)% of the GRPO advantage", rule.rationale)
        assert share and int(share.group(1)) <= 25, rule.rationale
        assert "held-out AUC of the total" in rule.rationale


def test_unlabelled_gold_that_never_matches_gets_no_correctness_rule() -> None:
    texts = [f"<think>step {i}</think>\n<answer>{i}</answer>" for i in range(16)]
    samples = SampleSet([Sample(f"s{i}", f"p{i}", t, f"g{i}", None, {"answer": f"never {i}"})
                         for i, t in enumerate(texts)])
    spec = propose_offline(samples)
    assert not any("answer" in r.params.model_dump() and r.kind != "answer_shape" and
                   getattr(r.params, "reference", None) for r in spec.rules)
    assert "no correctness rule" in spec.description and "0%" in spec.description


def test_unlabelled_with_gold_never_ships_a_rule_matching_nothing() -> None:
    samples = unlabelled(_gsm8k_set())
    spec = propose_offline(samples)
    main = spec.rules[0]
    assert main.params.reference == "answer"
    assert "matches on 0%" not in main.rationale
    assert run_spec(spec, samples)[main.name].count(1.0) > 0


def test_no_gold_no_labels_says_what_cannot_be_checked() -> None:
    texts = [f"<think>step {i}\nmore</think>\n<answer>{i}</answer>" for i in range(12)]
    samples = SampleSet([Sample(f"s{i}", "p", t, f"g{i}") for i, t in enumerate(texts + ["just text"] * 4)])
    spec = propose_offline(samples)
    assert "whether an answer is right cannot be checked" in spec.description


def test_a_wrapped_gold_is_unwrapped_for_the_slot_and_by_the_rule() -> None:
    samples = [Sample(f"w{i}", f"p{i}", f"<think>so</think> it is \\boxed{{{i}}}", f"g{i}", None,
                      {"answer": [f"\\boxed{{{i}}}"]}) for i in range(12)]
    spec = propose_offline(SampleSet(samples))
    assert "100% of `answer` cells carry a wrapper" in spec.description and "reference_unwrap" in spec.description
    main = spec.rules[0]
    assert main.params.reference == "answer" and main.params.reference_unwrap is True
    assert "matches on 100% of samples" in main.rationale


def _choice_set(styles: tuple[str, ...], prompts: range) -> SampleSet:
    """Ten-option questions, two completions each (one right, one wrong), the letter written in `styles`."""
    samples = []
    for q in prompts:
        gold, wrong = "ABCDEFGHIJ"[q % 10], "ABCDEFGHIJ"[(q + 3) % 10]
        for k, said in enumerate((gold, wrong)):
            style = styles[(q + k) % len(styles)]
            text = f"Option {wrong} ignores the second law; option {gold} does not.\n" + style.format(x=said)
            samples.append(Sample(f"q{q}-{k}", f"question {q}", text, f"g{q}", 1.0 if said == gold else 0.0,
                                  {"answer": gold}))
    return SampleSet(samples)


def test_learned_choice_slot_reads_the_letter_in_any_case_with_or_without_brackets() -> None:
    """Proposed where every answer reads "The answer is (X).", the slot still reads the answers written otherwise."""
    train = _choice_set(("The answer is ({x}).", "So the answer is ({x})."), range(30))
    spec = propose_offline(train, name="mc")
    main = spec.rules[0]
    assert main.params.extract.method == "regex" and "IGNORECASE" in main.params.extract.flags
    assert "brackets or bold optional" in main.rationale
    held = _choice_set(("so the answer is {x}.", "The answer is **{x}**", "the answer is ({x}) since it holds",
                        "The answer is (J). No: the answer is {x}, on reflection.", "THE ANSWER IS [{x}]"),
                       range(30, 60))
    scores = run_spec(spec, held)[main.name]
    assert scores == [1.0 if s.is_good else 0.0 for s in held]


def test_a_slot_for_several_words_keeps_its_brackets() -> None:
    """Only a one-token gold is read without its brackets: "(Paris France)" is not cut to "Paris"."""
    texts = [f"Thinking about city {i}.\nThe city is (Paris France {i}) today." for i in range(10)]
    slots = mine_slots(texts, [[f"Paris France {i}"] for i in range(10)])
    regex = next(s for s in slots if s.params["method"] == "regex")
    assert re.compile(regex.params["pattern"], re.I).findall("the city is (Rome Italy 3).") == ["Rome Italy 3"]
    letters = mine_slots([f"Thinking.\nThe pick is ({x})." for x in "ABCDEFGHIJ"], [[x] for x in "ABCDEFGHIJ"])
    pattern = re.compile(letters[0].params["pattern"], re.I)
    assert pattern.findall("the pick is B, the pick is **C**") == ["B", "C"]


def test_code_without_tests_gets_format_and_syntax_rules_and_a_written_waiver() -> None:
    """LiveCodeBench-style: labels from hidden tests, no gold and no tests: only format and syntax can be checked."""
    samples = []
    for i in range(24):
        body = f"def solve():\n    return {i}\n" if i % 4 else f"def solve(:\n    return {i}\n"
        text = f"Here is my solution.\n```python\n{body}```\n"
        samples.append(Sample(f"c{i}", f"problem {i}", text, f"g{i}", 1.0 if i % 2 else 0.0, {"difficulty": "easy"}))
    spec = propose_offline(SampleSet(samples), name="lcb-like")
    kinds = {r.kind for r in spec.rules}
    assert {"regex_format", "code_compiles"} <= kinds
    waiver = spec.expectations.correctness_waiver
    assert waiver and "no gold or tests in the file: only format and syntax can be checked" in waiver
    broken = [s for s in samples if "solve(:" in str(s.completion)]
    compiles = next(r for r in spec.rules if r.kind == "code_compiles").name
    scores = run_spec(spec, SampleSet(samples))[compiles]
    assert [sc for sc, s in zip(scores, samples) if s in broken] == [0.0] * len(broken)


def test_mining_more_candidates_than_a_spec_may_hold() -> None:
    """The TUI's 26-sample search file yields over 64 candidates: mining renders them in chunks, not one spec."""
    samples = load_samples(Path(__file__).parent / "tui" / "fixtures" / "search.jsonl")
    spec = propose_offline(samples)
    assert any(rule.kind == "exact_match" for rule in spec.rules)
