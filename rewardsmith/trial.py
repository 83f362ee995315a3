"""An A/B trial: two short GRPO trainings with TRL's real GRPOTrainer that differ only in the reward.

Arm A trains on the spec; arm B on the spec with one rule ablated (kept as a logged metric, so its
curve still shows) or on a second spec. Both start from the same model, seed, prompts and settings.
After training, each arm answers the held-out prompts and the spec's verifiers (or, without any, its
binary rules that read a reference column) grade the answers. torch and trl are imported only here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TrialError
from .kinds import get_kind
from .render import render_module
from .samples import SampleSet
from .spec import RewardSpec, dump_spec

__all__ = ["CURVES", "INSTALL", "ArmResult", "TrialSettings", "ablate", "grading_rules", "run_trial", "split_prompts"]

INSTALL = 'pip install "torch==2.13.0" "rewardsmith[trl]"  (or your own torch build first, then rewardsmith[trl])'
# What the table and plot compare, as TRL 1.16 logs it each step.
CURVES = ("reward", "frac_reward_zero_std", "completions/mean_length")


@dataclass
class TrialSettings:
    model: str
    steps: int = 10
    seed: int = 0
    num_generations: int = 4
    prompts_per_step: int = 2
    max_completion_length: int = 128
    learning_rate: float = 1e-5
    heldout_share: float = 0.25
    use_cpu: bool = False


@dataclass
class ArmResult:
    name: str
    spec: RewardSpec
    log: list[dict[str, Any]] = field(default_factory=list)  # TRL's log history, one entry per step
    heldout: dict[str, float | None] = field(default_factory=dict)  # grading rule -> pass rate

    def curve(self, key: str) -> list[float | None]:
        return [entry.get(key) for entry in self.log if "loss" in entry]


def ablate(spec: RewardSpec, rule: str) -> RewardSpec:
    """`spec` with `rule` logged as a metric (weight 0) instead of optimised."""
    names = [r.name for r in spec.rules]
    if rule not in names:
        raise TrialError(f"--ablate {rule}: the spec {spec.name!r} has no such rule; it has {', '.join(names)}")
    rules = [r.model_copy(update={"role": "metric", "weight": 0.0}) if r.name == rule else r for r in spec.rules]
    if all(r.effective_weight == 0.0 for r in rules):
        raise TrialError(f"--ablate {rule}: it is the only rule with a weight, so arm B would train on nothing")
    return spec.model_copy(update={"name": f"{spec.name}-without-{rule}", "rules": rules})


def grading_rules(spec: RewardSpec) -> list[tuple[str, float]]:
    """The rules that grade held-out answers, with the score that means a pass.

    The spec's verifiers; without any, its binary rules that read a reference column (correctness).
    """
    verifiers = [r for r in spec.rules if r.role == "verifier"]
    chosen = verifiers or [r for r in spec.rules if get_kind(r.kind).binary and r.columns()]
    return [(r.name, float(get_kind(r.kind).pass_score(r.params))) for r in chosen]


def split_prompts(samples: SampleSet, share: float, seed: int) -> tuple[list[dict], list[dict]]:
    """One row per prompt (its group), with the reference columns; split into train and held-out by a
    seeded hash of the group, so the split does not depend on file order."""
    rows: dict[str, dict] = {}
    for s in samples:
        if s.prompt is not None and s.group not in rows:
            rows[s.group] = {"prompt": s.prompt, **s.refs}
    if len(rows) < 2:
        raise TrialError(f"the dataset has {len(rows)} prompt(s); a trial needs at least 2 (train and held out)")
    order = sorted(rows, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
    n_held = min(len(order) - 1, max(1, round(share * len(order))))
    return [rows[g] for g in order[n_held:]], [rows[g] for g in order[:n_held]]


def _import_training() -> tuple[Any, Any, Any]:
    try:
        import torch
        from datasets import Dataset
        from trl import GRPOConfig, GRPOTrainer
    except ImportError as exc:
        raise TrialError(f"trial trains with TRL, which is not installed here ({exc.name} is missing); "
                         f"install it with: {INSTALL}") from None
    return torch, Dataset, (GRPOConfig, GRPOTrainer)


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # registered so TRL can pickle the reward functions
    spec.loader.exec_module(module)
    return module


def _checkpointing_off(config_cls: Any) -> dict[str, bool]:
    """Activation checkpointing off under whichever name this transformers knows (5.x renamed it)."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(config_cls)}
    return {"activation_checkpointing": False} if "activation_checkpointing" in names else {"gradient_checkpointing": False}


def _answer(trainer: Any, prompts: list[Any], max_tokens: int) -> list[Any]:
    """One greedy completion per held-out prompt from the trained policy, shaped as TRL passes them."""
    import torch

    model, tok = trainer.model, trainer.processing_class
    out = []
    for prompt in prompts:
        if isinstance(prompt, list):
            text = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        else:
            text = prompt
        ids = tok(text, return_tensors="pt", add_special_tokens=False).to(model.device)
        with torch.no_grad():
            gen = model.generate(**ids, max_new_tokens=max_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        completion = tok.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
        out.append([{"role": "assistant", "content": completion}] if isinstance(prompt, list) else completion)
    return out


def _pass_rates(module: Any, graders: list[tuple[str, float]], rows: list[dict],
                completions: list[Any]) -> dict[str, float | None]:
    columns = {k: [r.get(k) for r in rows] for k in rows[0] if k != "prompt"}
    rates: dict[str, float | None] = {}
    for name, pass_score in graders:
        scores = getattr(module, name)(prompts=[r["prompt"] for r in rows], completions=completions, **columns)
        applied = [s for s in scores if s is not None]
        rates[name] = sum(s == pass_score for s in applied) / len(applied) if applied else None
    return rates


def _train_arm(arm: ArmResult, folder: Path, train: list[dict], heldout: list[dict],
               graders: list[tuple[str, float]], grader_spec: RewardSpec, settings: TrialSettings) -> None:
    torch, Dataset, (GRPOConfig, GRPOTrainer) = _import_training()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(dump_spec(arm.spec), encoding="utf-8")
    (folder / "rewards.py").write_text(render_module(arm.spec), encoding="utf-8")
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    module = _load(folder / "rewards.py", f"rewardsmith_trial_{arm.name}_{digest}")
    torch.manual_seed(settings.seed)
    config = GRPOConfig(
        **_checkpointing_off(GRPOConfig),
        output_dir=str(folder / "trainer"),
        reward_weights=list(module.REWARD_WEIGHTS),
        num_generations=settings.num_generations,
        per_device_train_batch_size=settings.num_generations * settings.prompts_per_step,
        max_completion_length=settings.max_completion_length,
        max_steps=settings.steps,
        learning_rate=settings.learning_rate,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        use_cpu=settings.use_cpu,
        bf16=False,
        seed=settings.seed,
    )
    trainer = GRPOTrainer(model=settings.model, reward_funcs=list(module.REWARD_FUNCS), args=config,
                          train_dataset=Dataset.from_list(train))
    trainer.train()
    arm.log = [dict(e) for e in trainer.state.log_history]
    if graders:
        # both arms are graded by arm A's rules, so the pass rates compare like with like
        grader_folder = folder / "grader"
        grader_folder.mkdir(exist_ok=True)
        (grader_folder / "rewards.py").write_text(render_module(grader_spec), encoding="utf-8")
        grader = _load(grader_folder / "rewards.py", f"rewardsmith_trial_grader_{arm.name}_{digest}")
        completions = _answer(trainer, [r["prompt"] for r in heldout], settings.max_completion_length)
        arm.heldout = _pass_rates(grader, graders, heldout, completions)
        (folder / "heldout.json").write_text(json.dumps(
            [{"prompt": r["prompt"], "completion": c} for r, c in zip(heldout, completions)],
            indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "log_history.json").write_text(json.dumps(arm.log, indent=1, default=_finite) + "\n",
                                             encoding="utf-8")


def _finite(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def run_trial(spec: RewardSpec, samples: SampleSet, out_dir: str | Path, settings: TrialSettings, *,
              ablate_rule: str | None = None, against: RewardSpec | None = None) -> tuple[ArmResult, ArmResult]:
    """Train arm A (`spec`) and arm B (`spec` without `ablate_rule`, or `against`); logs go to `out_dir`.

    Returns:
        The two arms, with TRL's per-step logs and the held-out pass rates.
    """
    if (ablate_rule is None) == (against is None):
        raise TrialError("give one of --ablate RULE or --against SPEC2: arm B needs a reward that differs")
    if settings.steps < 1:
        raise TrialError("--steps must be at least 1")
    _import_training()
    train, heldout = split_prompts(samples, settings.heldout_share, settings.seed)
    other = ablate(spec, ablate_rule) if ablate_rule is not None else against
    arms = (ArmResult("a", spec), ArmResult("b", other))
    graders = grading_rules(spec)
    out = Path(out_dir)
    for arm in arms:
        _train_arm(arm, out / arm.name, train, heldout, graders, spec, settings)
    summary = {
        "settings": settings.__dict__,
        "train_prompts": len(train),
        "heldout_prompts": len(heldout),
        "graded_by": [name for name, _ in graders],
        "arms": {arm.name: {"spec": arm.spec.name, "rules": [r.name for r in arm.spec.rules],
                            "weights": [r.effective_weight for r in arm.spec.rules],
                            "heldout_pass_rate": arm.heldout, "log": f"{arm.name}/log_history.json"}
                 for arm in arms},
    }
    (out / "trial.json").write_text(json.dumps(summary, indent=1, default=_finite) + "\n", encoding="utf-8")
    return arms
