"""Weights explainer: the closed-form shares agree with TRL's advantages, and the dominate/vanish weights hold."""

from __future__ import annotations

import pytest

from rewardsmith.bench import score_samples
from rewardsmith.diagnostics import trl_advantages
from rewardsmith.diagnostics.weights import ShareModel, weight_for_share
from rewardsmith.presets import load_preset

from .conftest import run

SETTINGS = [("sum_then_normalize", "group"), ("sum_then_normalize", "batch"), ("sum_then_normalize", "none"),
            ("normalize_then_sum", "group")]


@pytest.fixture(scope="module")
def math_rows(math_samples, bench):
    m = score_samples(load_preset("unsloth-gsm8k"), math_samples, bench=bench)
    rows = [[m.scores[r][i] for r in m.rules] for i in range(len(m.sample_ids))]
    return rows, list(math_samples.groups().values()), m.weights


@pytest.mark.parametrize("aggregation,scale", SETTINGS)
def test_share_model_matches_trl_advantages(math_rows, aggregation, scale):
    rows, groups, weights = math_rows
    model = ShareModel(rows, groups, aggregation=aggregation, scale_rewards=scale)
    for w in (weights, [0.5, 2.0, 1.0, 0.0, 3.0], [1.0, -1.0, 1.0, 1.0, 0.25]):
        expected = trl_advantages(rows, w, groups, aggregation=aggregation, scale_rewards=scale).shares()
        assert model.shares(w) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("aggregation,scale", SETTINGS)
def test_dominate_and_vanish_weights_land_on_their_share(math_rows, aggregation, scale):
    rows, groups, weights = math_rows
    model = ShareModel(rows, groups, aggregation=aggregation, scale_rewards=scale)
    j = 4  # correctness_reward_func
    for target in (0.5, 0.05):
        w = weight_for_share(model, weights, j, target)
        assert w is not None and w > 0
        moved = list(weights)
        moved[j] = w
        share = trl_advantages(rows, moved, groups, aggregation=aggregation, scale_rewards=scale).shares()[j]
        assert share == pytest.approx(target, abs=1e-4)


def test_linear_case_by_hand():
    # scale_rewards="none": share_k = |w_k| A_k / sum_j |w_j| A_j with A the absolute deviations.
    rows = [[1.0, 0.0], [0.0, 0.5], [1.0, 0.5], [0.0, 0.0]]  # A_1 = 2, A_2 = 1 over two groups
    model = ShareModel(rows, [[0, 1], [2, 3]], aggregation="sum_then_normalize", scale_rewards="none")
    assert model.shares([1.0, 1.0]) == pytest.approx([2 / 3, 1 / 3])
    assert weight_for_share(model, [1.0, 1.0], 1, 0.5) == pytest.approx(2.0, rel=1e-5)  # 2 * w1 * A... = w2 * A2
    assert weight_for_share(model, [1.0, 1.0], 1, 0.05) == pytest.approx(2 * 0.05 / 0.95, rel=1e-5)


def test_preset_weights_sections(math_samples, maze_samples, bench):
    maze = run(load_preset("alphamaze"), maze_samples, bench)
    by_rule = {r["rule"]: r for r in maze.part("weights").data["rules"]}
    assert by_rule["xmlcount_reward_func"]["share"] < 0.05 < by_rule["xmlcount_reward_func"]["vanishes_below"]
    assert "weights:drowned:xmlcount_reward_func" in {c.id for c in maze.checks}
    math = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    rules = {r["rule"]: r for r in math.part("weights").data["rules"]}
    assert rules["strict_format_reward_func"]["share"] == 0.0
    assert any("strict_format_reward_func" in line and "never moves" in line for line in math.part("weights").lines)
    assert 0 < rules["correctness_reward_func"]["dominates_at"] < 1.0  # it already takes more than half
    assert not [c for c in math.checks if c.id.startswith("weights:")]
