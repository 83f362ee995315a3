"""GRPO advantages: hand-computed groups, and TRL 1.16's own advantage code run on the same rewards."""

from __future__ import annotations

import inspect
import math
import random
import textwrap
import types

import pytest

from rewardsmith.diagnostics import advantage_preview, trl_advantages
from rewardsmith.diagnostics.grpo import correlation, nanstd
from rewardsmith.presets import load_preset

from .conftest import run

EPS = 1e-4


def test_nanstd_is_unbiased_and_nan_below_two_values():
    assert nanstd([1.0, 0.0]) == pytest.approx(math.sqrt(0.5))
    assert math.isnan(nanstd([3.0])) and math.isnan(nanstd([float("nan"), 2.0]))


def test_sum_then_normalize_group_by_hand():
    # Group A: rewards 1 and 0 -> mean 0.5, unbiased std sqrt(0.5) = 0.7071…; group B: 2 and 2 -> no spread.
    res = trl_advantages([[1.0], [0.0], [2.0], [2.0]], [1.0], [[0, 1], [2, 3]])
    assert res.advantages == pytest.approx([0.7070068, -0.7070068, 0.0, 0.0], abs=1e-7)
    assert res.advantages[0] == pytest.approx(0.5 / (math.sqrt(0.5) + EPS))
    assert res.is_std_zero == [False, False, True, True]
    assert res.frac_reward_zero_std == 0.5


def test_scale_rewards_none_and_batch_by_hand():
    rows, groups = [[1.0], [0.0], [2.0], [2.0]], [[0, 1], [2, 3]]
    none = trl_advantages(rows, [1.0], groups, scale_rewards="none")
    assert none.advantages == pytest.approx([0.5, -0.5, 0.0, 0.0])
    assert none.frac_reward_zero_std == 0.5  # TRL still logs the group std under "none"
    batch = trl_advantages(rows, [1.0], groups, scale_rewards="batch")
    # batch std of [1, 0, 2, 2]: mean 1.25, squared deviations sum 2.75, / 3 -> 0.957427…
    std = math.sqrt(2.75 / 3)
    assert batch.advantages == pytest.approx([0.5 / (std + EPS), -0.5 / (std + EPS), 0.0, 0.0])
    assert batch.frac_reward_zero_std == 0.0
    assert trl_advantages(rows, [1.0], groups, scale_rewards=True).advantages == \
        trl_advantages(rows, [1.0], groups).advantages  # TRL maps True -> "group", False -> "none"


def test_weights_none_and_unscorable_rows_by_hand():
    # Two rules, weights 2 and 1. Row 2 has a None for rule 1 (nansum skips it); row 3 is all None.
    rows = [[1.0, 0.0], [0.0, 1.0], [1.0, None], [None, None]]
    res = trl_advantages(rows, [2.0, 1.0], [[0, 1, 2, 3]])
    # totals 2, 1, 2, NaN -> mean 5/3, std sqrt(((1/3)^2*2 + (2/3)^2) / 2) = sqrt(1/3)
    std = math.sqrt(1 / 3)
    assert math.isnan(res.rewards[3]) and res.advantages[3] == 0.0
    assert res.advantages[:3] == pytest.approx([(2 - 5 / 3) / (std + EPS), (1 - 5 / 3) / (std + EPS),
                                                (2 - 5 / 3) / (std + EPS)])
    for row, adv in zip(res.contributions, res.advantages):
        assert sum(row) == pytest.approx(adv)  # the per-rule split is exact


def test_normalize_then_sum_by_hand():
    # Rule 1 separates inside both groups, rule 2 is constant inside each group (it differs across groups).
    rows = [[1.0, 5.0], [0.0, 5.0], [1.0, 0.0], [0.0, 0.0]]
    res = trl_advantages(rows, [1.0, 1.0], [[0, 1], [2, 3]], aggregation="normalize_then_sum")
    z = 0.5 / (math.sqrt(0.5) + EPS)  # each group's rule-1 value, normalised
    std = math.sqrt(4 * z * z / 3)  # batch std of [z, -z, z, -z]
    assert res.advantages == pytest.approx([z / (std + EPS), -z / (std + EPS), z / (std + EPS), -z / (std + EPS)])
    assert res.shares() == pytest.approx([1.0, 0.0])  # rule 2 moves nothing once normalised per group
    sum_first = trl_advantages(rows, [1.0, 1.0], [[0, 1], [2, 3]])
    assert sum_first.shares() == pytest.approx([1.0, 0.0])


def test_correlation_skips_constant_and_none():
    assert correlation([1, 0, 1, 0], [2, 0, 2, 0]) == pytest.approx(1.0)
    assert correlation([1, 1, 1], [0, 1, 2]) is None
    assert correlation([1, None, 0, 1], [1, 5, 0, 1]) == pytest.approx(1.0)


def _trl_block():
    """TRL's own advantage code, cut from GRPOTrainer._generate_and_score_completions."""
    grpo_trainer = pytest.importorskip("trl.trainer.grpo_trainer")
    src = inspect.getsource(grpo_trainer.GRPOTrainer._generate_and_score_completions)
    start = src.rindex("\n", 0, src.index("unscorable_mask = torch.isnan(rewards_per_func).all(dim=1)")) + 1
    end_marker = "advantages = torch.nan_to_num(advantages, nan=0.0)"
    end = src.index(end_marker) + len(end_marker)
    return compile(textwrap.dedent(src[start:end]), "trl-advantages", "exec"), grpo_trainer


@pytest.mark.parametrize("aggregation,scale", [
    ("sum_then_normalize", "group"), ("sum_then_normalize", "batch"), ("sum_then_normalize", "none"),
    ("normalize_then_sum", "group"),
])
def test_matches_trl_own_code(aggregation, scale):
    code, grpo_trainer = _trl_block()
    torch = grpo_trainer.torch
    rng = random.Random(7)
    generations, prompts, funcs = 4, 6, 3
    rows = [[rng.choice([0.0, 0.5, 1.0, 2.0, None]) for _ in range(funcs)] for _ in range(generations * prompts)]
    rows[5] = [None, None, None]  # unscorable
    for i in range(8, 12):  # one group with no spread at all
        rows[i] = [1.0, 0.5, 0.0]
    weights = [1.0, 0.5, 2.0]
    groups = [list(range(p * generations, (p + 1) * generations)) for p in range(prompts)]
    ns = {
        "torch": torch, "nanstd": grpo_trainer.nanstd, "num_generations": generations, "device": "cpu",
        "rewards_per_func": torch.tensor([[math.nan if v is None else v for v in r] for r in rows], dtype=torch.float32),
        "self": types.SimpleNamespace(multi_objective_aggregation=aggregation, scale_rewards=scale,
                                      reward_weights=torch.tensor(weights, dtype=torch.float32), reward_funcs=[0] * funcs),
    }
    exec(code, ns)
    ours = trl_advantages(rows, weights, groups, aggregation=aggregation, scale_rewards=scale)
    assert ours.advantages == pytest.approx(ns["advantages"].tolist(), rel=1e-4, abs=1e-4)
    assert ours.frac_reward_zero_std == pytest.approx(ns["is_std_zero"].float().mean().item())
    assert ours.is_std_zero == ns["is_std_zero"].tolist()


def test_grpo_section_on_the_unsloth_preset(math_samples, bench):
    spec = load_preset("unsloth-gsm8k")
    diag = run(spec, math_samples, bench)
    data = diag.part("grpo").data
    rules = {r["rule"]: r for r in data["rules"]}
    assert rules["strict_format_reward_func"]["constant"] and rules["strict_format_reward_func"]["advantage_share"] == 0.0
    assert sum(r["advantage_share"] for r in data["rules"]) == pytest.approx(1.0)
    assert max(data["rules"], key=lambda r: r["advantage_share"])["rule"] == "correctness_reward_func"
    assert set(data["settings"]) == {"sum_then_normalize/group", "sum_then_normalize/batch",
                                     "sum_then_normalize/none", "normalize_then_sum"}
    assert len(data["groups"]) == len(math_samples.groups())
    preview = advantage_preview(score_matrix := _matrix(spec, math_samples, bench), math_samples)
    assert preview == pytest.approx(data["advantages"])
    assert set(preview) == set(score_matrix.sample_ids)


def _matrix(spec, samples, bench):
    from rewardsmith.bench import score_samples

    return score_samples(spec, samples, bench=bench)


def test_duplicate_and_no_signal_rules_are_flagged(bench):
    from rewardsmith.samples import SampleSet

    from .conftest import sample, spec_of

    spec = spec_of("""
name: dup
rules:
  - {name: right, kind: exact_match, params: {extract: {method: xml_tag}}}
  - {name: right_again, kind: exact_match, weight: 0.5, params: {extract: {method: xml_tag}, score_match: 3.0}}
  - name: long_prompt
    kind: contains
    params: {keywords: [zebra], extract: {method: whole}, scope: transcript}
""")
    rows = []
    for g, zebra in (("g1", " zebra"), ("g2", "")):
        for n, ans in enumerate(["4", "5", "4", "6"]):
            rows.append(sample(f"{g}-{n}", f"<answer>{ans}</answer>{zebra}", group=g, answer="4"))
    diag = run(spec, SampleSet(rows), bench)
    ids = {c.id for c in diag.checks}
    assert "grpo:duplicate:right:right_again" in ids
    assert "grpo:no_signal:long_prompt" in ids  # differs between prompts only
    quiet = run(spec_of("""
name: one
rules:
  - {name: right, kind: exact_match, params: {extract: {method: xml_tag}}}
"""), SampleSet(rows), bench)
    assert not [c for c in quiet.checks if c.id.startswith("grpo:")]


def test_tiny_spreads_blown_up_by_group_scaling_are_flagged(bench):
    from rewardsmith.samples import SampleSet

    from .conftest import sample, spec_of

    spec = spec_of("""
name: amp
rules:
  - {name: right, kind: exact_match, params: {extract: {method: xml_tag}}}
  - {name: short, kind: length, params: {max_length: 30, buffer: 20, penalty: 0.1}}
""")
    rows = [sample(f"mixed{g}-{n}", f"<answer>{a}</answer>", group=f"mixed{g}", answer="4")
            for g in range(3) for n, a in enumerate(["4", "5", "4", "6"])]
    # Every answer right: only the length penalty separates them, by a few hundredths.
    rows += [sample(f"right-{n}", "<answer>4</answer>" + " " * n, group="right", answer="4") for n in range(4)]
    diag = run(spec, SampleSet(rows), bench)
    (amp,) = diag.part("grpo").data["amplified"]
    assert amp["group"] == "right" and amp["spread"] < 0.05 and amp["max_advantage"] > 1.0
    assert "grpo:amplified" in {c.id for c in diag.checks}
    unscaled = run(spec, SampleSet(rows), bench, scale_rewards="none")
    assert unscaled.part("grpo").data["amplified"] == []


def _reference(rows, weights, groups, aggregation, scale):
    """TRL's arithmetic one group at a time in plain Python (the pre-numpy implementation's loops)."""
    nan = math.nan
    r = [[nan if v is None else v for v in row] for row in rows]
    n, k = len(r), len(weights)
    unscorable = [all(math.isnan(v) for v in row) for row in r]

    def mean(xs):
        xs = [x for x in xs if not math.isnan(x)]
        return math.fsum(xs) / len(xs) if xs else nan

    std = [nan] * n
    adv = [nan] * n
    if aggregation == "sum_then_normalize":
        total = [nan if unscorable[i] else math.fsum(w * v for w, v in zip(weights, r[i]) if not math.isnan(v))
                 for i in range(n)]
        batch = nanstd(total) if n > 1 else 0.0
        for g in groups:
            s = batch if scale == "batch" else (nanstd([total[i] for i in g]) if len(g) > 1 else 0.0)
            m = mean([total[i] for i in g])
            for i in g:
                std[i] = s
                adv[i] = (total[i] - m) / (1.0 if scale == "none" else s + EPS)
    else:
        z = [[nan] * k for _ in range(n)]
        for g in groups:
            for j in range(k):
                col = [r[i][j] for i in g]
                m, s = mean(col), (nanstd(col) if len(g) > 1 else 0.0)
                for i in g:
                    z[i][j] = (r[i][j] - m) / (s + EPS)
        total = [nan if unscorable[i] else math.fsum(w * v for w, v in zip(weights, z[i]) if not math.isnan(v))
                 for i in range(n)]
        s, m = (nanstd(total) if n > 1 else 0.0), mean(total)
        std = [s] * n
        adv = [(t - m) / (s + EPS) for t in total]
    return total, std, [0.0 if math.isnan(a) else a for a in adv]


@pytest.mark.parametrize("aggregation,scale", [("sum_then_normalize", "group"), ("sum_then_normalize", "batch"),
                                               ("sum_then_normalize", "none"), ("normalize_then_sum", "group")])
@pytest.mark.parametrize("seed", range(5))
def test_vectorised_advantages_match_the_per_group_loops(aggregation, scale, seed):
    # Unequal groups (some of one completion), groups not contiguous, Nones and unscorable rows.
    rng = random.Random(seed)
    n, k = 60, 3
    rows = [[rng.choice([0.0, 0.25, 1.0, 3.0, -1.0, None]) for _ in range(k)] for _ in range(n)]
    rows[7] = [None] * k
    order = list(range(n))
    rng.shuffle(order)
    groups, at = [], 0
    while at < n:
        size = rng.randint(1, 6)
        groups.append(order[at:at + size])
        at += size
    weights = [1.0, -0.5, 2.0]
    ours = trl_advantages(rows, weights, groups, aggregation=aggregation, scale_rewards=scale)
    total, std, adv = _reference(rows, weights, groups, aggregation, scale)
    assert ours.rewards == pytest.approx(total, abs=1e-9, nan_ok=True)
    assert ours.std == pytest.approx(std, abs=1e-9, nan_ok=True)
    assert ours.advantages == pytest.approx(adv, abs=1e-9)
    for row, a in zip(ours.contributions, ours.advantages):
        assert math.fsum(row) == pytest.approx(a, abs=1e-9)  # the per-rule parts add up to the advantage
