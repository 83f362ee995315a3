"""The trial's pieces that need no training: arm B's spec, the graders, the split, the missing-trl message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rewardsmith.errors import TrialError
from rewardsmith.samples import load_samples
from rewardsmith.spec import load_spec
from rewardsmith.trial import ablate, grading_rules, split_prompts

ROOT = Path(__file__).resolve().parents[1]
MATH = ROOT / "generated" / "math-demo" / "spec.yaml"


def test_ablating_keeps_the_rule_as_a_logged_metric():
    spec = load_spec(MATH)
    other = ablate(spec, "format_tags")
    assert [r.name for r in other.rules] == [r.name for r in spec.rules]
    assert [r.effective_weight for r in other.rules][:2] == [r.effective_weight for r in spec.rules][:2]
    assert other.rules[2].role == "metric" and other.rules[2].effective_weight == 0.0
    with pytest.raises(TrialError, match="no such rule; it has answer_exact_match"):
        ablate(spec, "nope")
    lone = ablate(ablate(spec, "format_tags"), "answer_is_bare_number")
    with pytest.raises(TrialError, match="only rule with a weight"):
        ablate(lone, "answer_exact_match")


def test_graders_are_the_binary_rules_reading_a_reference_without_verifiers():
    assert grading_rules(load_spec(MATH)) == [("answer_exact_match", 1.0)]


def test_the_split_is_by_prompt_seeded_and_disjoint():
    samples = load_samples(ROOT / "rewardsmith" / "data" / "demo" / "math.jsonl")
    train, held = split_prompts(samples, 0.25, seed=0)
    groups = {s.group for s in samples}
    assert len(train) + len(held) == len(groups) and len(held) == round(0.25 * len(groups))
    assert not {str(r["prompt"]) for r in train} & {str(r["prompt"]) for r in held}
    assert all("answer" in r for r in train + held)
    assert split_prompts(samples, 0.25, seed=0) == (train, held)
    assert split_prompts(samples, 0.25, seed=1) != (train, held)


@pytest.mark.slow
def test_without_trl_trial_says_how_to_install_it_and_the_cli_starts_without_torch(tmp_path):
    blocked = "import sys; sys.modules['trl'] = None; from rewardsmith.cli import main; main()"
    run = subprocess.run([sys.executable, "-c", blocked, "trial", str(MATH),
                          str(ROOT / "rewardsmith" / "data" / "demo" / "math.jsonl"), "--model", "x", "--ablate",
                          "format_tags", "--out", str(tmp_path / "t")],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert run.returncode != 0
    assert "trl is missing" in run.stderr and 'rewardsmith[trl]' in run.stderr
    assert not (tmp_path / "t").exists()
    start = subprocess.run([sys.executable, "-c", "import sys, rewardsmith.cli; "
                            "print(sorted(m for m in ('torch', 'trl', 'transformers') if m in sys.modules))"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert start.stdout.strip() == "[]"
