"""Every export target scores like TRL's module: verl called as its loader and reward manager call it,
verifiers through its real v1 Task.score (when verifiers is installed)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rewardsmith.cli import EXPORT_TARGETS, cli
from rewardsmith.errors import RenderError
from rewardsmith.export import check_export, export_spec
from rewardsmith.render import TARGETS, render_module
from rewardsmith.samples import load_samples
from rewardsmith.spec import RewardSpec, load_spec

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ROOT / "rewardsmith" / "data" / "demo"
# search: agentic transcripts, reading the `aliases` column; math and maze: strings and the `answer` column
CASES = [("search-demo", "search.jsonl"), ("math-demo", "math.jsonl"), ("maze-demo", "maze.jsonl"),
         ("unsloth-gsm8k", "math.jsonl"), ("alphamaze", "maze.jsonl")]


def _export(tmp_path: Path, name: str, samples: str, target: str) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / f"{name}-{target}"
    export_spec(load_spec(ROOT / "generated" / name / "spec.yaml"), out, load_samples(DEMOS / samples), target=target)
    return out, json.loads((out / "baseline.json").read_text(encoding="utf-8"))


def _load_like_verl(path: Path) -> Any:
    """What verl.utils.import_utils.load_module does with a file path: a fresh, unregistered module."""
    spec = importlib.util.spec_from_file_location(f"custom_module_{hash(str(path.resolve()))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _total(baseline: dict[str, Any], k: int) -> float:
    """TRL's weighted total of sample k: nansum of weight * score, a None rule counting 0."""
    return sum(w * baseline["scores"][rule][k] for rule, w in zip(baseline["rules"], baseline["weights"])
               if baseline["scores"][rule][k] is not None)


def _same(got: float | None, want: float | None) -> bool:
    if want is None:
        return got is None or math.isnan(got)
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


def test_the_cli_offers_the_renderers_targets():
    assert EXPORT_TARGETS == TARGETS


@pytest.mark.parametrize(("name", "samples"), CASES)
def test_verl_compute_score_matches_trl_scores(tmp_path, name, samples):
    np = pytest.importorskip("numpy")
    out, baseline = _export(tmp_path, name, samples, "verl")
    module = _load_like_verl(out / "rewards.py")
    gt = module.GROUND_TRUTH_COLUMN
    assert gt == baseline["columns"][0]
    for k, sample in enumerate(baseline["samples"]):
        refs = sample["refs"]
        # verl's parquet rows keep list columns as numpy arrays; the reward manager adds these two keys
        extra = {c: np.array(v) if isinstance(v, list) else v for c, v in refs.items() if c != gt}
        extra |= {"num_turns": None, "rollout_reward_scores": {}}
        ground_truth = np.array(refs[gt]) if isinstance(refs[gt], list) else refs[gt]
        result = module.compute_score(data_source="demo", solution_str=sample["completion"],
                                      ground_truth=ground_truth, extra_info=extra)
        assert math.isclose(result["score"], _total(baseline, k), rel_tol=1e-12, abs_tol=1e-12)
        for rule in baseline["rules"]:
            assert _same(result[rule], baseline["scores"][rule][k]), (sample["id"], rule)
        assert set(result) == {"score", *baseline["rules"]}  # verl logs the keys of the first sample for all


def test_verl_scores_a_decoded_transcript_as_trl_scores_that_string(tmp_path):
    """verl hands the decoded response, a string: on it, verl and TRL's functions agree exactly."""
    out, baseline = _export(tmp_path, "search-demo", "search.jsonl", "verl")
    module = _load_like_verl(out / "rewards.py")
    for sample in baseline["samples"][:20]:
        messages = sample["completion"]["messages"]
        decoded = "\n".join(m["content"] for m in messages)
        result = module.compute_score("demo", decoded, sample["refs"]["aliases"], {})
        for fn in module.REWARD_FUNCS:
            want = fn(prompts=None, completions=[decoded], aliases=[sample["refs"]["aliases"]])[0]
            assert _same(result[fn.__name__], want)


def test_verl_names_a_missing_extra_info_column(tmp_path):
    spec = RewardSpec.model_validate({"name": "two", "rules": [
        {"name": "gold", "kind": "exact_match", "params": {"reference": "answer"}},
        {"name": "hint", "kind": "contains", "params": {"reference": "keywords"}}]})
    path = tmp_path / "rewards.py"
    path.write_text(render_module(spec, target="verl"), encoding="utf-8")
    module = _load_like_verl(path)
    said = "<answer>Paris</answer>"
    assert module.compute_score("d", said, "Paris", {"keywords": ["Paris"]}) == {"score": 2.0, "gold": 1.0, "hint": 1.0}
    with pytest.raises(KeyError, match="'keywords'"):
        module.compute_score("d", said, "Paris", {})


def test_a_rule_named_score_cannot_go_to_verl():
    spec = RewardSpec.model_validate({"name": "s", "rules": [{"name": "score", "kind": "exact_match"}]})
    render_module(spec)
    with pytest.raises(RenderError, match="score"):
        render_module(spec, target="verl")
    with pytest.raises(RenderError, match="unknown export target"):
        render_module(spec, target="openrlhf")


def _trace(vf: Any, data: Any, prompt: list[dict], completion: list[dict]) -> Any:
    from pydantic import TypeAdapter
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import AgentInfo, TraceTask

    message = TypeAdapter(vf.Message)
    nodes = []
    for i, m in enumerate(prompt + completion):
        if m["role"] == "tool":  # verifiers' ToolMessage needs the call id the demo transcripts leave out
            m = {**m, "tool_call_id": m.get("tool_call_id", f"call-{i}")}
        nodes.append(MessageNode(message=message.validate_python(m), parent=i - 1 if i else None,
                                 sampled=i >= len(prompt) and m["role"] == "assistant"))
    return vf.Trace(task=TraceTask(type="Demo", data=data), agent=AgentInfo(config=vf.AgentConfig()), nodes=nodes)


@pytest.mark.parametrize(("name", "samples"), CASES)
def test_verifiers_task_score_matches_trl_scores(tmp_path, name, samples):
    vf = pytest.importorskip("verifiers.v1")
    out, baseline = _export(tmp_path, name, samples, "verifiers")
    columns = baseline["columns"]
    data_type = type("DemoData", (vf.TaskData,), {"__annotations__": {c: Any for c in columns},
                                                    **{c: None for c in columns}})
    spec_module = _load_like_verl(out / "rewards.py")
    config = vf.TaskConfig(**spec_module.task_config(out / "rewards.py"))  # plugged by path, as a user would
    for k, sample in enumerate(baseline["samples"]):
        completion = sample["completion"]
        if isinstance(completion, dict):
            completion = completion["messages"]
        elif isinstance(completion, str):
            completion = [{"role": "assistant", "content": completion}]
        prompt = sample["prompt"] if isinstance(sample["prompt"], list) else [{"role": "user", "content": sample["prompt"]}]
        data = data_type(prompt=prompt, **sample["refs"])
        trace = _trace(vf, data, prompt, completion)
        asyncio.run(vf.Task(data, config).score(trace))
        assert math.isclose(trace.reward, _total(baseline, k), rel_tol=1e-12, abs_tol=1e-12)
        recorded = {**{n: r.score for n, r in trace.rewards.items()}, **trace.metrics}
        for rule in baseline["rules"]:
            assert _same(recorded.get(rule), baseline["scores"][rule][k]), (sample["id"], rule)


@pytest.mark.parametrize("target", ["verl", "verifiers"])
def test_cli_exports_a_target_that_check_and_its_own_tests_accept(tmp_path, target):
    out = tmp_path / target
    run = CliRunner().invoke(cli, ["export", str(ROOT / "generated" / "search-demo" / "spec.yaml"),
                                   str(DEMOS / "search.jsonl"), "--out", str(out), "--target", target])
    assert run.exit_code == 0, run.output
    assert json.loads((out / "baseline.json").read_text())["target"] == target
    assert check_export(out).ok
    module = (out / "rewards.py").read_text()
    assert module.startswith('"""Reward functions for GRPO, generated by rewardsmith')
    assert ("def compute_score(" in module) == (target == "verl")
    assert ("def task_config(" in module) == (target == "verifiers")
    (out / "rewards.py").write_text(module.replace("REWARD_WEIGHTS = [1.0", "REWARD_WEIGHTS = [3.0"))
    run = CliRunner().invoke(cli, ["check", str(out)])
    assert run.exit_code == 1
