"""End-to-end: an exported rewardsmith module drives TRL's real ``GRPOTrainer``.

A tiny random Llama and a BPE tokenizer are built locally (nothing is fetched
from the Hub), the ``unsloth-gsm8k`` preset is exported with the rewardsmith
CLI, and the exported ``REWARD_FUNCS`` / ``REWARD_WEIGHTS`` are handed to
``GRPOTrainer`` for two optimisation steps on CPU, once with plain-string
prompts and once with conversational (messages) prompts. A probe reward
function with weight 0 is appended to record what TRL actually passes to reward
functions, so the test can prove that the ``answer`` column reaches them
row-aligned with its prompt.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

from datasets import Dataset  # noqa: E402  (after the importorskip guard)
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]

PRESET = "unsloth-gsm8k"

SYSTEM_PROMPT = (
    "Respond in the following format: <reasoning> ... </reasoning> <answer> ... </answer>"
)
QUESTIONS = {
    "Natalia sold clips to 48 of her friends in April. She sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?": "72",
    "Weng earns 12 dollars an hour for babysitting. Yesterday she just did 50 minutes of "
    "babysitting. How much did she earn?": "10",
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning. "
    "How many eggs are left?": "13",
    "Toulouse has twice as many sheep as Charleston. Charleston has 4 sheep. "
    "How many sheep does Toulouse have?": "8",
}

NUM_GENERATIONS = 2
# Two prompts (x NUM_GENERATIONS completions) per optimisation step; the generation batch
# (per_device_train_batch_size * steps_per_generation) must be divisible by num_generations.
PER_DEVICE_BATCH = 4
MAX_STEPS = 2

# Warnings raised by third-party code on this path that are not rewardsmith's to fix. Kept
# specific so that anything new (or anything from our own module) still fails under
# `filterwarnings = ["error"]`.
pytestmark = [
    pytest.mark.trl,
    # TRL's `unwrap_model_for_generation` reads `model.is_gradient_checkpointing`, which
    # recent transformers (5.x) deprecates in favour of `is_activation_checkpointing`.
    pytest.mark.filterwarnings(
        "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
    ),
]


def _load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def exported_module(tmp_path):
    """Export the preset with the real CLI and import the generated ``rewards.py``.

    A failing export is a test failure, not a skip: the whole point of this file is
    to prove the exporter's output works with TRL.
    """
    out_dir = tmp_path / "exp"
    cmd = [sys.executable, "-m", "rewardsmith", "export", "--preset", PRESET, "--out", str(out_dir)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd[1:])}` exited with {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}",
            pytrace=False,
        )
    rewards_py = out_dir / "rewards.py"
    assert rewards_py.is_file(), f"export did not write {rewards_py}; found {sorted(out_dir.rglob('*'))}"
    return _load_module(rewards_py, f"rewardsmith_export_{tmp_path.name}")


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    tiny_model = _load_module(HERE / "tiny_model.py", "rewardsmith_tests_trl_tiny_model")
    return str(tiny_model.save_tiny_model(tmp_path_factory.mktemp("tiny-llama")))


def _standard_dataset() -> Dataset:
    return Dataset.from_list(
        [{"prompt": f"{SYSTEM_PROMPT}\n{q}\n", "answer": a} for q, a in QUESTIONS.items()]
    )


def _conversational_dataset() -> Dataset:
    return Dataset.from_list(
        [
            {
                "prompt": [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": q},
                ],
                "answer": a,
            }
            for q, a in QUESTIONS.items()
        ]
    )


def _question_of(prompt) -> str:
    """The question text a prompt was built from, for both dataset formats."""
    if isinstance(prompt, list):
        return prompt[-1]["content"]
    return prompt.removeprefix(f"{SYSTEM_PROMPT}\n").removesuffix("\n")


def _make_probe(calls: list[dict]):
    def kwargs_probe(prompts=None, completions=None, **kwargs):
        calls.append({"prompts": prompts, "completions": completions, "kwargs": kwargs})
        return [0.0] * len(completions)

    return kwargs_probe


def _no_checkpointing() -> dict:
    """Turn activation checkpointing off (pointless for a 2-layer model, and slower).

    TRL's configs default ``gradient_checkpointing=True``; recent transformers (5.x) renamed it to
    ``activation_checkpointing`` and emits a FutureWarning when only the old name is set.
    Setting whichever name this transformers version knows avoids the warning without
    filtering it.
    """
    names = {f.name for f in dataclasses.fields(GRPOConfig)}
    if "activation_checkpointing" in names:
        return {"activation_checkpointing": False}
    return {"gradient_checkpointing": False}


def _train(module, dataset: Dataset, model_dir: str, output_dir: Path):
    calls: list[dict] = []
    probe = _make_probe(calls)
    reward_funcs = [*module.REWARD_FUNCS, probe]
    reward_weights = [*module.REWARD_WEIGHTS, 0.0]  # the probe must not shape the reward

    config = GRPOConfig(
        **_no_checkpointing(),
        output_dir=str(output_dir),
        reward_weights=reward_weights,
        num_generations=NUM_GENERATIONS,
        per_device_train_batch_size=PER_DEVICE_BATCH,
        max_completion_length=16,
        max_steps=MAX_STEPS,
        logging_steps=1,
        learning_rate=1e-4,
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        disable_tqdm=True,
        seed=0,
    )
    trainer = GRPOTrainer(
        model=model_dir,
        reward_funcs=reward_funcs,
        args=config,
        train_dataset=dataset,
    )
    trainer.train()
    return trainer, calls, probe.__name__


def _check_run(module, trainer, calls, probe_name, *, conversational: bool):
    # --- the exported module has the documented shape --------------------------------
    assert len(module.REWARD_FUNCS) == len(module.REWARD_WEIGHTS) > 0
    rule_names = [fn.__name__ for fn in module.REWARD_FUNCS]

    # --- TRL used the exported weights (plus the zero-weighted probe) -------------------
    assert trainer.reward_func_names == [*rule_names, probe_name]
    assert trainer.reward_weights.tolist() == pytest.approx([*module.REWARD_WEIGHTS, 0.0])

    # --- every rule's mean reward was logged at every step -----------------------------
    train_logs = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(train_logs) == MAX_STEPS, trainer.state.log_history
    for entry in train_logs:
        for name in [*rule_names, probe_name]:
            key = f"rewards/{name}/mean"
            assert key in entry, f"{key} missing from {sorted(entry)}"
            value = entry[key]
            # TRL turns a None reward into NaN and averages the non-NaN values when logging; a
            # rule that abstained on every completion in the logging window is logged as None.
            # Anything else must be a finite number.
            assert value is None or (isinstance(value, float) and math.isfinite(value)), (key, value)
        assert math.isfinite(entry["loss"])

    # --- the probe saw the reference column, aligned row by row with its prompt --------
    assert len(calls) == MAX_STEPS
    for call in calls:
        prompts, completions, kwargs = call["prompts"], call["completions"], call["kwargs"]
        n = PER_DEVICE_BATCH
        assert len(prompts) == len(completions) == n
        assert "answer" in kwargs, f"reward kwargs were {sorted(kwargs)}"
        assert kwargs["answer"] == [QUESTIONS[_question_of(p)] for p in prompts]
        # `prompt`/`completion` columns are consumed by TRL; the others are broadcast per completion.
        assert "prompt" not in kwargs and "completion" not in kwargs
        assert len(kwargs["completion_ids"]) == n
        # Each prompt appears num_generations times in a row (one group per prompt).
        for start in range(0, n, NUM_GENERATIONS):
            group = prompts[start : start + NUM_GENERATIONS]
            assert all(p == group[0] for p in group)
        if conversational:
            for c in completions:
                assert isinstance(c, list) and len(c) == 1
                assert c[0]["role"] == "assistant" and isinstance(c[0]["content"], str)
            assert all(isinstance(p, list) and p[0]["role"] == "system" for p in prompts)
        else:
            assert all(isinstance(c, str) for c in completions)
            assert all(isinstance(p, str) for p in prompts)

    # --- the exported functions accept what TRL passed, and return one score per row ---
    last = calls[-1]
    for fn in module.REWARD_FUNCS:
        scores = fn(prompts=last["prompts"], completions=last["completions"], **last["kwargs"])
        assert len(scores) == len(last["completions"])
        assert all(s is None or isinstance(s, (int, float)) for s in scores), (fn.__name__, scores)

    # --- and at least one exported rule actually reads the `answer` column -------------
    # The random model never answers correctly, so replay one TRL call with a well-formed
    # completion and vary only `answer`: a reference-based rule must score the two differently.
    text = "<reasoning>\n48 / 2 = 24 and 48 + 24 = 72\n</reasoning>\n<answer>\n72\n</answer>\n"
    completion = [{"role": "assistant", "content": text}] if conversational else text
    row_kwargs = {k: v[:1] if isinstance(v, list) else v for k, v in last["kwargs"].items()}

    def score(fn, answer):
        return fn(prompts=last["prompts"][:1], completions=[completion], **{**row_kwargs, "answer": [answer]})

    sensitive = [fn.__name__ for fn in module.REWARD_FUNCS if score(fn, "72") != score(fn, "13")]
    assert sensitive, f"no rule in {rule_names} reacts to the `answer` column"


def test_grpo_trainer_standard_prompts(exported_module, tiny_model_dir, tmp_path):
    trainer, calls, probe_name = _train(exported_module, _standard_dataset(), tiny_model_dir, tmp_path / "out")
    _check_run(exported_module, trainer, calls, probe_name, conversational=False)


def test_grpo_trainer_conversational_prompts(exported_module, tiny_model_dir, tmp_path):
    trainer, calls, probe_name = _train(
        exported_module, _conversational_dataset(), tiny_model_dir, tmp_path / "out"
    )
    _check_run(exported_module, trainer, calls, probe_name, conversational=True)
