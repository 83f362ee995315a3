"""One interface for every diagnostic: plan what to score, conclude from the scores; one registry in report order."""

from __future__ import annotations

import pytest

from rewardsmith.bench import score_samples
from rewardsmith.diagnostics import Diagnostic, Plan, diagnose, register, registered
from rewardsmith.diagnostics._common import Candidate, Part
from rewardsmith.presets import load_preset

from .conftest import run


def test_every_diagnostic_is_registered_in_report_order(math_samples, bench):
    names = [d.name for d in registered()]
    assert names == ["robustness", "probes", "grpo", "lint", "contract", "weights"]
    diag = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    assert [p.name for p in diag.parts] == names


def test_a_name_registers_once():
    before = registered()
    with pytest.raises(ValueError, match="registered already"):
        register(Diagnostic("lint", 99, lambda ctx, plan, scored: Part("lint", "again")))
    assert registered() == before


def test_a_new_diagnostic_gets_its_completions_scored_by_the_module(math_samples, bench):
    # A diagnostic written against the interface alone: its candidate goes through the rendered
    # module with everyone else's, and it concludes from the module's own score.
    spec = load_preset("unsloth-gsm8k")
    first = math_samples[0]

    def plan(ctx):
        return Plan(candidates=[Candidate("echo:first", first, first.completion)])

    def conclude(ctx, plan, scored):
        part = Part("echo", "Echo")
        part.data = {rule: scored.get("echo:first", rule) for rule in ctx.matrix.rules}
        return part

    echo = Diagnostic("echo", 1, conclude, plan)
    matrix = score_samples(spec, math_samples, bench=bench)
    diag = diagnose(spec, math_samples, matrix, bench=bench, diagnostics=[echo])
    assert [p.name for p in diag.parts] == ["echo"]
    assert diag.part("echo").data == {rule: matrix.scores[rule][0] for rule in matrix.rules}
    assert "echo" not in [d.name for d in registered()]  # running one is not registering it
