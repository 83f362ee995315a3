"""`rewardsmith trial` end to end: two real GRPOTrainer runs on the tiny local model, side by side."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
pytestmark = [pytest.mark.trl, pytest.mark.slow]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("rewardsmith_tests_trl_tiny_model_trial", HERE / "tiny_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.save_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


def test_trial_ablating_a_rule_runs_both_arms_and_keeps_their_logs(tiny_model_dir, tmp_path):
    out = tmp_path / "trial"
    steps = 2
    cmd = [sys.executable, "-m", "rewardsmith", "trial", str(ROOT / "generated" / "math-demo" / "spec.yaml"),
           str(ROOT / "rewardsmith" / "data" / "demo" / "math.jsonl"), "--model", str(tiny_model_dir),
           "--steps", str(steps), "--ablate", "format_tags", "--generations", "2", "--max-completion-length", "8",
           "--cpu", "--seed", "3", "--out", str(out)]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "A = math-demo   B = math-demo-without-format_tags" in run.stdout
    assert "held-out pass rate" in run.stdout and "frac_reward_zero_std" in run.stdout

    summary = json.loads((out / "trial.json").read_text())
    assert summary["graded_by"] == ["answer_exact_match"]
    a, b = summary["arms"]["a"], summary["arms"]["b"]
    assert a["rules"] == b["rules"] == ["answer_exact_match", "answer_is_bare_number", "format_tags"]
    assert a["weights"][:2] == b["weights"][:2] and a["weights"][2] > 0 and b["weights"][2] == 0.0
    assert summary["train_prompts"] + summary["heldout_prompts"] == len(
        {json.loads(line)["group"] for line in (ROOT / "rewardsmith" / "data" / "demo" / "math.jsonl").read_text().splitlines()})
    for arm in ("a", "b"):
        log = [e for e in json.loads((out / arm / "log_history.json").read_text()) if "loss" in e]
        assert len(log) == steps
        for entry in log:
            for key in ("reward", "frac_reward_zero_std", "completions/mean_length", "rewards/format_tags/mean"):
                assert key in entry, (arm, key, sorted(entry))
        rate = summary["arms"][arm]["heldout_pass_rate"]["answer_exact_match"]
        assert rate is None or 0.0 <= rate <= 1.0
        answers = json.loads((out / arm / "heldout.json").read_text())
        assert len(answers) == summary["heldout_prompts"]
        assert (out / arm / "rewards.py").is_file() and (out / arm / "spec.yaml").is_file()
