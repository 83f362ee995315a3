"""`rewardsmith audit`: the diagnostics on reward functions rewardsmith did not write, and --to-spec.

Run on the Unsloth five (tests/originals/unsloth_gsm8k.py), TRL's own trl.rewards, and functions
written here to behave like open-r1's (tests/originals/open_r1_like.py), over the bundled GSM8K-style
demo samples.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rewardsmith.audit import AuditError, audit, build_source
from rewardsmith.audit.tospec import equivalents, spec_from_audit
from rewardsmith.cli import cli
from rewardsmith.samples import demo_path, load_samples
from rewardsmith.spec import load_spec

ORIGINALS = Path(__file__).resolve().parent / "originals"
MATH = demo_path("math")


@pytest.fixture(scope="module")
def samples():
    return load_samples(MATH)


@pytest.fixture(scope="module")
def unsloth(samples):
    return audit([str(ORIGINALS / "unsloth_gsm8k.py")], samples)


def _failed(result) -> set[str]:
    return {c.id for c in result.report.checks if not c.ok}


def test_unsloth_five_are_audited_from_their_own_reward_funcs(unsloth):
    assert [r.name for r in unsloth.spec.rules] == [
        "xmlcount_reward_func", "soft_format_reward_func", "strict_format_reward_func", "int_reward_func",
        "correctness_reward_func"]
    correctness = unsloth.spec.rule("correctness_reward_func").params
    assert correctness.reference == "answer" and correctness.scope == "first"
    soft = unsloth.spec.rule("soft_format_reward_func").params.source_patterns
    assert [(p.pattern, p.flags, p.mode) for p in soft] == [
        (r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", [], "match")]


def test_unsloth_findings_dotall_and_wrong_then_right(unsloth):
    failed = _failed(unsloth)
    assert "lint:dot_newline:soft_format_reward_func" in failed
    assert "probes:correctness_reward_func" in failed
    findings = unsloth.diagnostics.part("probes").data["findings"]
    assert {(f["rule"], f["detail"]) for f in findings} >= {("correctness_reward_func", "wrong then right")}
    assert unsloth.report.passed  # quirks are warnings: the functions run under TRL


def test_unsloth_to_spec_recognises_every_function_by_behaviour(unsloth):
    found = equivalents(unsloth)
    assert [(e.function, e.rule.kind if e.rule else None) for e in found] == [
        ("xmlcount_reward_func", "tag_count"), ("soft_format_reward_func", "regex_format"),
        ("strict_format_reward_func", "regex_format"), ("int_reward_func", "answer_shape"),
        ("correctness_reward_func", "exact_match")]
    spec = spec_from_audit(unsloth, found)
    assert spec is not None and [r.name for r in spec.rules] == [e.function for e in found]


def test_trl_rewards_with_completion_ids(samples):
    result = audit(["trl.rewards:think_format_reward", "trl.rewards:get_soft_overlong_punishment(400, 100)"], samples)
    think = result.spec.rule("think_format_reward").params
    assert [(p.pattern, sorted(p.flags), p.mode) for p in think.source_patterns] == [
        (r"^<think>(?!.*<think>)(.*?)</think>.*$", ["DOTALL", "MULTILINE"], "match")]
    # TRL passes completion_ids; without a tokenizer the audit passes the text's UTF-8 bytes.
    lengths = [len(ids) for ids in (s.refs["completion_ids"] for s in result.samples)]
    want = [0.0 if n <= 300 else (300 - n) / 100 if n <= 400 else -1.0 for n in lengths]
    assert result.matrix.scores["soft_overlong_punishment_reward"] == want
    assert not result.matrix.errors.get("soft_overlong_punishment_reward")


def test_open_r1_like_signal_off_the_main_thread(samples):
    result = audit([str(ORIGINALS / "open_r1_like.py")], samples)
    failed = _failed(result)
    assert "audit:thread:timed_accuracy_reward" in failed
    assert not any(c.startswith("audit:thread:") and "timed" not in c for c in failed)
    assert "contract:signal" in failed
    steps = result.spec.rule("reasoning_steps_reward").params.source_patterns
    assert steps and steps[0].mode == "search"
    assert not result.report.passed


def test_build_source_appends_reward_funcs_and_weights(tmp_path):
    path = tmp_path / "rewards.py"
    path.write_text("def a(completions, **kw):\n    return [1.0] * len(completions)\n\ndef helper(x):\n    return x\n")
    built = build_source([str(path)], weights=[0.5])
    assert built.source.endswith("REWARD_FUNCS = [a]\nREWARD_WEIGHTS = [0.5]\n")
    (tmp_path / "none.py").write_text("def helper(x):\n    return x\n")
    with pytest.raises(AuditError, match="no function takes"):
        build_source([str(tmp_path / "none.py")])


def test_cli_audit_writes_a_spec_that_loads(tmp_path):
    out = tmp_path / "audited.yaml"
    result = CliRunner().invoke(cli, ["audit", str(ORIGINALS / "unsloth_gsm8k.py"), str(MATH), "--to-spec", str(out),
                                      "--functions", "soft_format_reward_func,correctness_reward_func",
                                      "--weights", "0.5,2"])
    assert result.exit_code == 0, result.output
    spec = load_spec(out)
    assert [(r.name, r.kind, r.weight) for r in spec.rules] == [
        ("soft_format_reward_func", "regex_format", 0.5), ("correctness_reward_func", "exact_match", 2.0)]


def test_cli_audit_bad_target_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["audit", "nomodule", str(MATH)])
    assert result.exit_code == 2 and "module:name" in result.output
