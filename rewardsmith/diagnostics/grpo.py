"""GRPO signal, computed the way TRL 1.16's ``GRPOTrainer._generate_and_score_completions`` does.

TRL's arithmetic, reproduced here with numpy in float64 (TRL uses float32 tensors), one vector pass per
statistic over every group at once (``GroupIndex``), so 100,000 samples cost a fraction of a second:

- a reward function's ``None`` becomes NaN; a completion for which *every* function returned None
  is unscorable: excluded from the baseline, its advantage forced to 0;
- ``multi_objective_aggregation="sum_then_normalize"`` (default): total = nansum(weight × reward);
  advantage = total − group nanmean, divided by (std + 1e-4) unless ``scale_rewards="none"``;
  std is the *unbiased* nanstd (Bessel's correction; NaN with fewer than two values) of the group
  (``"group"``, the default) or of the whole batch (``"batch"``);
- ``"normalize_then_sum"`` (GDPO): each function is normalised within its group,
  (r − nanmean) / (nanstd + 1e-4), the weighted nansum of those is normalised over the batch;
  ``scale_rewards`` plays no part;
- ``frac_reward_zero_std`` is the mean over completions of ``isclose(std, 0)`` (atol 1e-8), so with
  ``normalize_then_sum`` it is 0 or 1 for the whole batch;
- NaN advantages become 0.

TRL needs equal groups (``num_generations``); samples often have groups of different sizes, so each
group is handled on its own, and "batch" means every sample here. Each advantage is split exactly
into per-rule contributions (the normalisation is linear once the std is fixed), which is what
"a rule's share of the advantage" means below.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Sequence

import numpy as np

from ..advantages import (
    _ISCLOSE_ATOL,
    AGGREGATIONS,
    SCALE_REWARDS,
    TRL_EPSILON,
    Advantages,
    GroupIndex,
    nanmean,
    nanstd,
    trl_advantages,
)
from ..bench import ScoreMatrix
from ..samples import SampleSet
from ._common import Context, Part, Scored, fmt
from .diagnostic import Diagnostic, Plan, register

__all__ = [
    "AGGREGATIONS",
    "DIAGNOSTIC",
    "SCALE_REWARDS",
    "TRL_EPSILON",
    "Advantages",
    "GroupIndex",
    "advantage_preview",
    "conclude",
    "correlation",
    "nanmean",
    "nanstd",
    "trl_advantages",
]

DUPLICATE_R = 0.95

def _rows(matrix: ScoreMatrix) -> np.ndarray:
    """The scores as [sample, rule], None as NaN."""
    n, k = len(matrix.sample_ids), len(matrix.rules)
    return np.array([matrix.scores[r] for r in matrix.rules], dtype=float).reshape(k, n).T


def _groups(samples: SampleSet) -> list[list[int]]:
    return list(samples.groups().values())


def advantage_preview(matrix: ScoreMatrix, samples: SampleSet, *, aggregation: str = "sum_then_normalize",
                      scale_rewards: str = "group", weights: Sequence[float] | None = None) -> dict[str, float]:
    """The advantage TRL would give each sample (by id): what the TUI previews next to a completion."""
    result = trl_advantages(_rows(matrix), list(weights) if weights is not None else matrix.weights,
                            _groups(samples), aggregation=aggregation, scale_rewards=scale_rewards)
    return dict(zip(matrix.sample_ids, result.advantages))


def correlation(a: Sequence[float | None], b: Sequence[float | None]) -> float | None:
    """Pearson r over samples where both rules gave a score; None when either is constant there."""
    x, y = np.array(a, dtype=float), np.array(b, dtype=float)
    both = ~np.isnan(x) & ~np.isnan(y)
    xs, ys = x[both], y[both]
    if len(xs) < 3 or np.ptp(xs) <= 1e-12 or np.ptp(ys) <= 1e-12:
        return None
    dx, dy = xs - xs.mean(), ys - ys.mean()
    return float(np.dot(dx, dy) / math.sqrt(float(np.dot(dx, dx)) * float(np.dot(dy, dy))))


def conclude(ctx: Context, plan: Plan, scored: Scored) -> Part:
    """Zero-spread groups under every setting, each rule's share, duplicates, amplified groups (the samples' own scores)."""
    part = Part("grpo", f"GRPO signal (TRL 1.16: {ctx.aggregation}, scale_rewards={ctx.scale_rewards})")
    m, samples = ctx.matrix, ctx.samples
    rows, groups = _rows(m), _groups(samples)
    multi = [g for g in groups if len(g) > 1]
    gids = list(samples.groups())
    chosen = trl_advantages(rows, m.weights, groups, aggregation=ctx.aggregation, scale_rewards=ctx.scale_rewards)

    # frac_reward_zero_std under every setting, so the choice can be made with the numbers in view.
    settings: dict[str, float] = {}
    for agg in AGGREGATIONS:
        for scale in (SCALE_REWARDS if agg == "sum_then_normalize" else ("group",)):
            res = chosen if (agg, scale) == (ctx.aggregation, ctx.scale_rewards) else trl_advantages(
                rows, m.weights, groups, aggregation=agg, scale_rewards=scale)
            label = agg if agg == "normalize_then_sum" else f"{agg}/{scale}"
            settings[label] = res.frac_reward_zero_std
    zero_groups = [gids[n] for n, g in enumerate(groups) if len(g) > 1 and chosen.is_std_zero[g[0]]]
    part.lines.append(
        f"frac_reward_zero_std {chosen.frac_reward_zero_std:.2f} (share of completions in a group with no "
        f"spread; {len(zero_groups)}/{len(multi)} groups)" + ("" if not zero_groups else ": " + ", ".join(zero_groups[:8])
                                                             + (" …" if len(zero_groups) > 8 else ""))
    )
    part.lines.append("  under other settings: " + ", ".join(f"{k} {v:.2f}" for k, v in settings.items()))

    # Per rule: zero spread within groups (TRL's isclose on the unbiased std), and share of the advantage.
    shares = chosen.shares()
    per_rule: list[dict[str, Any]] = []
    index = GroupIndex(groups, len(rows))
    for j, name in enumerate(m.rules):
        _, rule_std = index.mean_std(rows[:, j])
        flat = np.isnan(rule_std) | (np.abs(rule_std) <= _ISCLOSE_ATOL)
        zero = int(np.count_nonzero(flat & (index.size > 1)))
        present = [v for v in m.scores[name] if v is not None]
        constant = bool(present) and max(present) - min(present) <= 1e-12
        per_rule.append({
            "rule": name, "weight": m.weights[j], "zero_std_groups": zero, "groups": len(multi),
            "frac_zero_std": zero / len(multi) if multi else None, "advantage_share": shares[j] if shares else 0.0,
            "constant": constant,
        })
    part.lines.append("per rule — groups with zero spread, share of the advantage:")
    for item in per_rule:
        flag = "  constant" if item["constant"] else ""
        zs = "–" if item["frac_zero_std"] is None else f"{item['zero_std_groups']}/{item['groups']}"
        part.lines.append(f"  {item['rule']:<28} zero-spread {zs:>6}   share {100 * item['advantage_share']:5.1f}%{flag}")
        if (not item["constant"] and multi and item["zero_std_groups"] == len(multi) and item["weight"] != 0):
            part.warn(f"no_signal:{item['rule']}",
                      f"{item['rule']} varies across prompts but never within a group: it moves no advantage")

    # Near-duplicate rules: the same signal counted twice.
    duplicates = []
    for a in range(len(m.rules)):
        for b in range(a + 1, len(m.rules)):
            corr = correlation(rows[:, a], rows[:, b])
            if corr is not None and corr >= DUPLICATE_R:
                duplicates.append({"rules": [m.rules[a], m.rules[b]], "r": corr})
                part.lines.append(f"near-duplicate: {m.rules[a]} ~ {m.rules[b]} (r = {corr:.3f})")
                part.warn(f"duplicate:{m.rules[a]}:{m.rules[b]}",
                          f"{m.rules[a]} and {m.rules[b]} are near-duplicates (r = {corr:.3f}): "
                          "their weights add up on one signal")

    # Per group: rewards, std, advantages (the first groups on the terminal; all in JSON).
    group_rows = []
    for n, g in enumerate(groups):
        group_rows.append({
            "group": gids[n], "samples": [m.sample_ids[i] for i in g],
            "rewards": [None if math.isnan(chosen.rewards[i]) else chosen.rewards[i] for i in g],
            "std": None if math.isnan(chosen.std[g[0]]) else chosen.std[g[0]],
            "advantages": [chosen.advantages[i] for i in g],
        })
    shown = 6
    part.lines.append("per group (rewards → advantages):")
    for row in group_rows[:shown]:
        rw = " ".join(fmt(v, 2) for v in row["rewards"])
        ad = " ".join(f"{v:+.2f}" for v in row["advantages"])
        part.lines.append(f"  {row['group']}: std {fmt(row['std'], 3)}  [{rw}] → [{ad}]")
    if len(group_rows) > shown:
        part.lines.append(f"  … {len(group_rows) - shown} more groups in the JSON report")
    amplified = _amplified(ctx, group_rows)
    for row in amplified[:3]:
        part.lines.append(f"amplified: {row['group']} spreads only {fmt(row['spread'], 3)} (std {fmt(row['std'], 3)}, "
                          f"median group std {fmt(row['median_std'], 3)}), yet its advantages reach "
                          f"±{row['max_advantage']:.2f}")
    if amplified:
        names = ", ".join(r["group"] for r in amplified[:6])
        part.warn("amplified", f"{len(amplified)} group(s) ({names}) differ only by small amounts that per-group "
                               "scaling blows up to full-size advantages: the model is pushed hard on noise "
                               "(a small shaping term, a per-character penalty)")
    part.data = {
        "amplified": amplified,
        "aggregation": ctx.aggregation, "scale_rewards": ctx.scale_rewards,
        "frac_reward_zero_std": chosen.frac_reward_zero_std, "zero_std_groups": zero_groups,
        "settings": settings, "rules": per_rule, "duplicates": duplicates, "groups": group_rows,
        "advantages": dict(zip(m.sample_ids, chosen.advantages)),
    }
    return part


AMPLIFIED = 0.1  # a group whose std is under a tenth of the typical group's


def _amplified(ctx: Context, group_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups with a tiny but non-zero spread: per-group std scaling turns it into a full advantage."""
    if ctx.aggregation != "sum_then_normalize" or ctx.scale_rewards != "group":
        return []
    stds = sorted(r["std"] for r in group_rows if r["std"] is not None and r["std"] > _ISCLOSE_ATOL)
    if len(stds) < 3:
        return []
    median = statistics.median(stds)
    out = []
    for r in group_rows:
        if r["std"] is None or not (_ISCLOSE_ATOL < r["std"] < AMPLIFIED * median):
            continue
        present = [v for v in r["rewards"] if v is not None]
        out.append({"group": r["group"], "std": r["std"], "median_std": median,
                    "spread": max(present) - min(present), "max_advantage": max(abs(a) for a in r["advantages"])})
    return out


DIAGNOSTIC = register(Diagnostic("grpo", 30, conclude))
