"""The field's standard rewards as presets (trl-rewards, open-r1): the generated modules score as the originals do.

TRL's functions are installed here (the trl extra), so the trl-rewards module is compared with them on the
same inputs. open-r1 is not installed or vendored: its cases are written here from what its rewards compute.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import types

import pytest

from rewardsmith.kinds.base import Extract, extract_span
from rewardsmith.presets import load_preset
from rewardsmith.render import render_module
from rewardsmith.spec import RewardSpec

HAS_MATH_VERIFY = importlib.util.find_spec("math_verify") is not None
needs_math_verify = pytest.mark.skipif(not HAS_MATH_VERIFY, reason="TRL's and open-r1's accuracy use math-verify")

_CACHE: dict[str, types.ModuleType] = {}


def _spec(preset: str, overrides: dict[str, dict] | None = None) -> RewardSpec:
    data = load_preset(preset).to_data()
    for rule in data["rules"]:
        rule["params"].update((overrides or {}).get(rule["name"], {}))
    return RewardSpec.model_validate(data)


def _module(preset: str, overrides: dict[str, dict] | None = None) -> types.ModuleType:
    key = json.dumps([preset, overrides], sort_keys=True)
    if key not in _CACHE:
        module = types.ModuleType(f"standard_{len(_CACHE)}")
        exec(compile(render_module(_spec(preset, overrides)), module.__name__, "exec"), module.__dict__)
        _CACHE[key] = module
    return _CACHE[key]


def _chat(*texts: str) -> list[list[dict[str, str]]]:
    return [[{"role": "assistant", "content": t}] for t in texts]


# ------------------------------------------------------------------ trl-rewards against trl.rewards itself

THINK = [
    "<think>a</think>b", "<think>\na\n</think>\nb", "<think></think>", "x<think>a</think>", "<think>a",
    "<think>a<think>b</think></think>c", "<think>a</think>\n<think>b</think>", "a</think>b", "", "<think>\n</think>",
]


def test_think_format_as_trl_scores_it():
    trl_rewards = pytest.importorskip("trl.rewards")
    ours = _module("trl-rewards").think_format_reward(completions=_chat(*THINK))
    assert ours == trl_rewards.think_format_reward(_chat(*THINK))
    assert ours == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("sizes", [[0, 70, 71, 80, 99, 100, 101, 500]])
def test_soft_overlong_on_completion_ids_as_trl(sizes):
    trl_rewards = pytest.importorskip("trl.rewards")
    ids = [[3] * n for n in sizes]
    module = _module("trl-rewards", {"soft_overlong_punishment_reward": {"max_length": 100, "buffer": 30}})
    # TRL may call with the ids alone: no completions, no TypeError
    ours = module.soft_overlong_punishment_reward(completion_ids=ids)
    assert ours == pytest.approx(trl_rewards.get_soft_overlong_punishment(100, 30)(completion_ids=ids))
    assert ours == pytest.approx([0.0, 0.0, -1 / 30, -1 / 3, -29 / 30, -1.0, -1.0, -1.0])


def test_repetition_on_completion_ids_as_trl():
    trl_rewards = pytest.importorskip("trl.rewards")
    ids = [[1, 2, 3, 4], [5, 5, 5, 5, 5], [1, 2, 1, 2, 1, 2], [9], []]
    module = _module("trl-rewards", {"repetition_penalty_reward": {"ngram": 2, "max_penalty": -0.5}})
    ours = module.repetition_penalty_reward(completion_ids=ids)
    assert ours == pytest.approx(trl_rewards.get_repetition_penalty_reward(2, -0.5)(completion_ids=ids))
    assert ours == pytest.approx([0.0, -0.375, -0.3, 0.0, 0.0])


@needs_math_verify
def test_cosine_on_completion_ids_as_trl():
    trl_rewards = pytest.importorskip("trl.rewards")
    texts = ["so \\boxed{7}", "so \\boxed{8}", "so \\boxed{7}", "so \\boxed{8}", "\\boxed{7}", "\\boxed{7}"]
    solution = ["7", "7", "7", "7", "seven", "7"]
    ids = [[1] * 10, [1] * 10, [1] * 60, [1] * 60, [1] * 5, [1] * 300]
    module = _module("trl-rewards", {"cosine_scaled_reward": {"max_len": 60}})
    ours = module.cosine_scaled_reward(completions=_chat(*texts), solution=solution, completion_ids=ids)
    theirs = trl_rewards.get_cosine_scaled_reward(max_len=60)(_chat(*texts), solution, ids)
    assert ours == pytest.approx(theirs)
    assert ours[2:4] == pytest.approx([0.5, -0.5]) and ours[4] is None and ours[5] == pytest.approx(0.5)


@needs_math_verify
def test_accuracy_and_reasoning_accuracy_as_trl():
    trl_rewards = pytest.importorskip("trl.rewards")
    texts = [
        "<think>maybe \\boxed{2}</think> it is \\boxed{\\frac{1}{2}}",  # right, after the reasoning
        "<think>it is \\boxed{\\frac{1}{2}}</think> no: \\boxed{3}",  # right only inside <think>
        "<think>never closes \\boxed{\\frac{1}{2}}",
        "\\boxed{0.5}",
        "\\boxed{4}",
    ]
    solution = ["\\frac{1}{2}", "\\frac{1}{2}", "\\frac{1}{2}", "1/2", "two"]
    module = _module("trl-rewards")
    for name in ("accuracy_reward", "reasoning_accuracy_reward"):
        ours = getattr(module, name)(completions=_chat(*texts), solution=solution)
        assert ours == getattr(trl_rewards, name)(_chat(*texts), solution), name
    assert module.reasoning_accuracy_reward(completions=_chat(*texts), solution=solution) == [1.0, 0.0, 0.0, 0.0, 0.0]


# ------------------------------------------------------------------ open-r1's rewards (cases written here)


def test_open_r1_format_tag_count_and_steps():
    module = _module("open-r1")
    texts = ["<think>\nwhy\n</think>\n<answer>\n4\n</answer>", "<think>why</think><answer>4</answer>",
             "<think>\nwhy\n</think>\n4\n</answer>", "Step 1: a\nStep 2: b", "1. a\n- b\n* c\nNext, d"]
    assert module.format_reward(completions=_chat(*texts)) == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert module.tag_count_reward(completions=_chat(*texts)) == [1.0, 0.0, 0.75, 0.0, 0.0]
    # one rule, one reward: min(1, markers / 3); "^" has no MULTILINE, so only a first-line "1." counts
    assert module.reasoning_steps_reward(completions=_chat(*texts)) == pytest.approx([0, 0, 0, 2 / 3, 1.0])


def test_open_r1_code_format_takes_the_row_language_escaped():
    module = _module("open-r1")
    body = "<think>\nplan\n</think>\n<answer>\n```{}\ncode\n```\n</answer>"
    texts = [body.format("rust"), body.format("python"), body.format("c++"), body.format("cxx")]
    assert module.code_format_reward(completions=_chat(*texts)) == [0.0, 1.0, 0.0, 0.0]
    assert module.code_format_reward(completions=_chat(*texts), language=["rust", "rust", "c++", "c++"]) == [
        1.0, 0.0, 1.0, 0.0]
    # a column value is text, never regex: "c.." must not match "cxx"
    assert module.code_format_reward(completions=_chat(*texts), language=["c..", "c..", "c..", "c.."]) == [0.0] * 4


@needs_math_verify
def test_open_r1_len_reward_within_each_prompt():
    module = _module("open-r1")
    texts = ["\\boxed{5}", "\\boxed{5} and more words", "\\boxed{6}", "\\boxed{6} and more words",
             "\\boxed{1}", "\\boxed{1}"]
    prompts = ["p"] * 4 + ["q"] * 2
    scores = module.len_reward(prompts=prompts, completions=_chat(*texts), solution=["5"] * 4 + ["1"] * 2)
    # right: 0.5 - (len - shortest) / (longest - shortest); wrong: min(0, that); one length in a group: 0.0
    assert scores == pytest.approx([0.5, -0.5, 0.0, -0.5, 0.0, 0.0])


@needs_math_verify
def test_open_r1_cosine_is_not_clamped_and_an_unparsed_gold_pays():
    module = _module("open-r1", {"cosine_scaled_reward": {"max_len": 20}})
    right = "\\boxed{5}"
    texts = [right + " ", right + " " * 21, "\\boxed{6}" + " "]
    scores = module.cosine_scaled_reward(completions=_chat(*texts), solution=["5", "5", "5"])
    assert scores == pytest.approx([0.75, 0.75, -0.75])  # 30 characters of 20: the cosine is back at its middle
    assert module.accuracy_reward(completions=_chat("anything"), solution=["forty two"]) == [1.0]


def test_open_r1_repetition_in_words_and_chinese():
    module = _module("open-r1", {"repetition_penalty_reward": {"ngram": 2}})
    assert module.repetition_penalty_reward(completions=_chat("A b a B", "one two three")) == pytest.approx(
        [-1 / 3, 0.0])
    pytest.importorskip("jieba")
    zh = _module("open-r1", {"repetition_penalty_reward": {"ngram": 2, "words": "zh"}})
    # 我/爱/北京/我/爱/北京: 5 bigrams, 3 distinct
    assert zh.repetition_penalty_reward(completions=_chat("我爱北京我爱北京")) == pytest.approx([-0.4])


def test_chinese_words_need_jieba_named_and_imported_lazily():
    source = render_module(_spec("open-r1", {"repetition_penalty_reward": {"words": "zh"}}))
    needs = next(line for line in source.splitlines() if line.startswith("Needs:"))
    assert "jieba" in needs
    top = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all("jieba" not in ast.unparse(n) for n in top)
    assert "jieba" not in render_module(_spec("open-r1")).split("Needs:")[1].split("\n")[0]


# ------------------------------------------------------------------ the new features on their own


def test_extraction_in_steps_finds_the_span_the_module_reads():
    e = Extract(method="after_tag", tag="think", then=Extract(method="boxed", occurrence="first"))
    text = "<think>\\boxed{1}</think> so \\boxed{2} or \\boxed{3}"
    start, end, _, _ = extract_span(text, e)
    assert text[start:end] == "2"
    assert extract_span("no reasoning \\boxed{2}", e) is None


def test_a_call_with_only_completion_ids_does_not_raise():
    module = _module("trl-rewards")
    ids = [[1] * 5, [1, 2, 3]]
    assert module.repetition_penalty_reward(completion_ids=ids) == pytest.approx([-2 / 3, 0.0])
    assert module.soft_overlong_punishment_reward(completion_ids=ids) == [0.0, 0.0]


def test_without_completion_ids_the_utf8_bytes_stand_in():
    module = _module("trl-rewards", {"soft_overlong_punishment_reward": {"max_length": 4, "buffer": 0}})
    assert module.soft_overlong_punishment_reward(completions=_chat("abcd", "abcé")) == [0.0, -1.0]


def _error(preset: str, overrides: dict[str, dict]) -> str:
    with pytest.raises(ValueError) as info:
        _spec(preset, overrides)
    return str(info.value)


def test_spec_errors_say_what_to_do():
    data = load_preset("trl-rewards").to_data()
    del data["rules"][3]["gate"]
    with pytest.raises(ValueError, match="picks its value by correctness: set `gate`"):
        RewardSpec.model_validate(data)
    assert "should not be positive" in _error("open-r1", {"repetition_penalty_reward": {"max_penalty": 0.5}})
    assert "has no {value} to fill" in _error("open-r1", {"code_format_reward": {"pattern": "```python"}})
    assert "must be a column name" in _error("open-r1", {"code_format_reward": {"fill_column": "a-b"}})


# ------------------------------------------------------------------ audit --to-spec recognises them by behaviour

_SHAPES = [
    "<think>\nStep 1: add.\nStep 2: check.\n</think>\n<answer>\n\\boxed{4}\n</answer>",
    "<think>First, add. Next, check.</think><answer>4</answer>",
    "<think>\nplan\n</think>\n4",
    "1. add\n- check\n* done\nFinally, 4",
    "just 4",
    "<think>a</think>\n<think>b</think> 4",
    "x<think>a</think> 4",
    "<think>\nStep 1: a\n</think>\n<answer>\n5\n</answer>",
]


@pytest.mark.slow
def test_to_spec_offers_the_presets_rules_for_the_peers_functions(tmp_path):
    from pathlib import Path

    from rewardsmith.audit import audit
    from rewardsmith.audit.tospec import equivalents
    from rewardsmith.samples import load_samples

    rows = [{"id": f"s{k}", "group": f"g{k // 2}", "prompt": [{"role": "user", "content": "2+2?"}],
             "completion": [{"role": "assistant", "content": text}], "solution": "4"}
            for k, text in enumerate(_SHAPES)]
    path = tmp_path / "shapes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    samples = load_samples(path)
    originals = Path(__file__).resolve().parent / "originals" / "open_r1_like.py"
    targets = [str(originals)]
    if importlib.util.find_spec("trl") is not None:
        targets += ["trl.rewards:think_format_reward", "trl.rewards:get_repetition_penalty_reward(3, -1.0)"]
    found = {e.function: (e.source, e.rule.kind if e.rule else None) for e in equivalents(audit(targets, samples))}
    assert found["format_reward"][1] == "regex_format"
    assert found["tag_count_reward"][1] == "tag_count"
    assert found["reasoning_steps_reward"] == ("open-r1", "count_scaled")
    if "think_format_reward" in found:
        assert found["think_format_reward"] == ("trl-rewards", "regex_format")
        assert found["repetition_penalty_reward"] == ("trl-rewards", "repetition")
