"""The seed presets reproduce published quirks on purpose: the diagnostics find them, as warnings only."""

from __future__ import annotations

import json

import pytest

from rewardsmith.presets import load_preset

from .conftest import run

EXPECTED = {
    # preset: (samples fixture, warnings that must be there)
    "unsloth-gsm8k": ("math_samples", {
        "lint:dot_newline:soft_format_reward_func", "lint:dot_newline:strict_format_reward_func",
        "lint:anchor_newline:strict_format_reward_func", "lint:isdigit:int_reward_func",
        "lint:whole_text:correctness_reward_func", "robustness:xmlcount_reward_func",
        "probes:correctness_reward_func", "grpo:amplified",
    }),
    "alphamaze": ("maze_samples", {"robustness:xmlcount_reward_func", "weights:drowned:xmlcount_reward_func"}),
    "seed-exact-retry": ("seed_samples", {
        "robustness:reward_exact_match", "contract:scope_first:reward_exact_match",
        "contract:scope_first:reward_retry_behavior",
    }),
}


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_findings_are_warnings(preset, request, bench):
    fixture, expected = EXPECTED[preset]
    diag = run(load_preset(preset), request.getfixturevalue(fixture), bench)
    assert diag.errors == []
    ids = {c.id for c in diag.checks}
    assert expected <= ids, sorted(expected - ids)
    assert [p.name for p in diag.parts] == ["robustness", "probes", "grpo", "lint", "contract", "weights"]
    json.dumps(diag.to_data(), allow_nan=False)  # strict JSON: the report is read by other tools
    assert all(isinstance(line, str) for s in diag.sections for line in s["lines"])
    assert diag.seconds < 3
