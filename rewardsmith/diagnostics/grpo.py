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
    AdvantageArrays,
    Advantages,
    GroupIndex,
    advantage_arrays,
    nanmean,
    nanstd,
    trl_advantages,
    zero_std_fraction,
)
from ..bench import ScoreMatrix
from .. import checks
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
    n = len(matrix.sample_ids)
    if not matrix.rules:
        return np.zeros((n, 0))
    return np.stack([np.asarray(matrix.scores[r], dtype=float) for r in matrix.rules], axis=1)


def _index(samples: SampleSet) -> tuple[GroupIndex, list[str]]:
    """The samples' groups as a GroupIndex, and their names (in first-seen order)."""
    return GroupIndex.of_samples(samples)


def advantage_preview(matrix: ScoreMatrix, samples: SampleSet, *, aggregation: str = "sum_then_normalize",
                      scale_rewards: str = "group", weights: Sequence[float] | None = None) -> dict[str, float]:
    """The advantage TRL would give each sample (by id): what the TUI previews next to a completion."""
    result = advantage_arrays(_rows(matrix), list(weights) if weights is not None else matrix.weights,
                              _index(samples)[0], aggregation=aggregation, scale_rewards=scale_rewards)
    return dict(zip(matrix.sample_ids, result.advantages.tolist()))


def correlation(a: Sequence[float | None], b: Sequence[float | None]) -> float | None:
    """Pearson r over samples where both rules gave a score; None when either is constant there."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~np.isnan(x) & ~np.isnan(y)
    xs, ys = x[both], y[both]
    if len(xs) < 3 or np.ptp(xs) <= 1e-12 or np.ptp(ys) <= 1e-12:
        return None
    dx, dy = xs - xs.mean(), ys - ys.mean()
    return float(np.dot(dx, dy) / math.sqrt(float(np.dot(dx, dx)) * float(np.dot(dy, dy))))


def conclude(ctx: Context, plan: Plan, scored: Scored) -> Part:
    """Zero-spread groups under every setting, each rule's share, duplicates, amplified groups (the samples' own scores).

    Vectorised over every sample; per-group and per-sample lists in the data keep their first LIST_LIMIT
    entries, with counts over every group.
    """
    part = Part("grpo", f"GRPO signal (TRL 1.16: {ctx.aggregation}, scale_rewards={ctx.scale_rewards})")
    m, samples = ctx.matrix, ctx.samples
    rows = _rows(m)
    index, gids = _index(samples)
    multi_mask = index.size > 1
    multi = int(np.count_nonzero(multi_mask))
    chosen = advantage_arrays(rows, m.weights, index, aggregation=ctx.aggregation, scale_rewards=ctx.scale_rewards)

    # frac_reward_zero_std under every setting, so the choice can be made with the numbers in view.
    settings: dict[str, float] = {}
    for agg in AGGREGATIONS:
        for scale in (SCALE_REWARDS if agg == "sum_then_normalize" else ("group",)):
            label = agg if agg == "normalize_then_sum" else f"{agg}/{scale}"
            settings[label] = chosen.frac_reward_zero_std if (agg, scale) == (ctx.aggregation, ctx.scale_rewards) \
                else zero_std_fraction(rows, m.weights, index, aggregation=agg, scale_rewards=scale)
    first = index.first_rows()
    zero_at = np.flatnonzero(multi_mask & chosen.is_std_zero[first])
    zero_groups = [gids[g] for g in zero_at[:checks.LIST_LIMIT].tolist()]
    part.lines.append(
        f"frac_reward_zero_std {chosen.frac_reward_zero_std:.2f} (share of completions in a group with no "
        f"spread; {len(zero_at)}/{multi} groups)" + ("" if not len(zero_at) else ": " + ", ".join(zero_groups[:8])
                                                   + (" …" if len(zero_at) > 8 else ""))
    )
    part.lines.append("  under other settings: " + ", ".join(f"{k} {v:.2f}" for k, v in settings.items()))

    # Per rule: zero spread within groups (TRL's isclose on the unbiased std), and share of the advantage.
    shares = chosen.shares()
    per_rule: list[dict[str, Any]] = []
    for j, name in enumerate(m.rules):
        _, rule_std = index.mean_std(rows[:, j])
        flat = np.isnan(rule_std) | (np.abs(rule_std) <= _ISCLOSE_ATOL)
        zero = int(np.count_nonzero(flat & multi_mask))
        present = rows[:, j][~np.isnan(rows[:, j])]
        constant = bool(len(present)) and float(present.max()) - float(present.min()) <= 1e-12
        per_rule.append({
            "rule": name, "weight": m.weights[j], "zero_std_groups": zero, "groups": multi,
            "frac_zero_std": zero / multi if multi else None, "advantage_share": shares[j] if shares else 0.0,
            "constant": constant,
        })
    part.lines.append("per rule — groups with zero spread, share of the advantage:")
    for item in per_rule:
        flag = "  constant" if item["constant"] else ""
        zs = "–" if item["frac_zero_std"] is None else f"{item['zero_std_groups']}/{item['groups']}"
        part.lines.append(f"  {item['rule']:<28} zero-spread {zs:>6}   share {100 * item['advantage_share']:5.1f}%{flag}")
        if (not item["constant"] and multi and item["zero_std_groups"] == multi and item["weight"] != 0):
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

    # Per group: rewards, std, advantages (the first groups on the terminal, the first LIST_LIMIT in JSON).
    kept = min(index.count, checks.LIST_LIMIT)
    group_std = chosen.std[first]
    group_rows = []
    rewards, advantages = chosen.rewards, chosen.advantages
    for n, g in enumerate(index.rows_of(np.arange(kept))):
        std = float(group_std[n])
        group_rows.append({
            "group": gids[n], "samples": [m.sample_ids[i] for i in g],
            "rewards": [None if math.isnan(v) else v for v in rewards[g].tolist()],
            "std": None if math.isnan(std) else std,
            "advantages": advantages[g].tolist(),
        })
    shown = 6
    part.lines.append("per group (rewards → advantages):")
    for row in group_rows[:shown]:
        rw = " ".join(fmt(v, 2) for v in row["rewards"])
        ad = " ".join(f"{v:+.2f}" for v in row["advantages"])
        part.lines.append(f"  {row['group']}: std {fmt(row['std'], 3)}  [{rw}] → [{ad}]")
    if index.count > shown:
        part.lines.append(f"  … {index.count - shown} more groups in the JSON report"
                          + (f" (the first {checks.LIST_LIMIT:,})" if index.count > checks.LIST_LIMIT else ""))
    amplified, amplified_count = _amplified(ctx, chosen, index, gids)
    for row in amplified[:3]:
        part.lines.append(f"amplified: {row['group']} spreads only {fmt(row['spread'], 3)} (std {fmt(row['std'], 3)}, "
                          f"median group std {fmt(row['median_std'], 3)}), yet its advantages reach "
                          f"±{row['max_advantage']:.2f}")
    if amplified:
        names = ", ".join(r["group"] for r in amplified[:6])
        part.warn("amplified", f"{amplified_count} group(s) ({names}) differ only by small amounts that per-group "
                               "scaling blows up to full-size advantages: the model is pushed hard on noise "
                               "(a small shaping term, a per-character penalty)")
    n_samples = len(m.sample_ids)
    part.data = {
        "amplified": amplified, "amplified_count": amplified_count,
        "aggregation": ctx.aggregation, "scale_rewards": ctx.scale_rewards,
        "frac_reward_zero_std": chosen.frac_reward_zero_std, "zero_std_groups": zero_groups,
        "zero_std_group_count": len(zero_at),
        "settings": settings, "rules": per_rule, "duplicates": duplicates,
        "groups": group_rows, "group_count": index.count,
        "advantages": dict(zip(m.sample_ids[:checks.LIST_LIMIT], chosen.advantages[:checks.LIST_LIMIT].tolist())),
        "advantage_count": n_samples,
    }
    return part


AMPLIFIED = 0.1  # a group whose std is under a tenth of the typical group's


def _amplified(ctx: Context, chosen: AdvantageArrays, index: GroupIndex,
               gids: Sequence[str]) -> tuple[list[dict[str, Any]], int]:
    """Groups with a tiny but non-zero spread: per-group std scaling turns it into a full advantage.

    Returns the first LIST_LIMIT of them and how many there are.
    """
    if ctx.aggregation != "sum_then_normalize" or ctx.scale_rewards != "group":
        return [], 0
    std = chosen.std[index.first_rows()]
    with np.errstate(invalid="ignore"):
        scaled = ~np.isnan(std) & (std > _ISCLOSE_ATOL)
    stds = sorted(std[scaled].tolist())
    if len(stds) < 3:
        return [], 0
    median = statistics.median(stds)
    with np.errstate(invalid="ignore"):
        picked = np.flatnonzero(scaled & (std < AMPLIFIED * median))
    if not len(picked):
        return [], 0
    _, lo, hi = index.minmax(chosen.rewards)
    reach = np.zeros(index.count + 1)
    np.maximum.at(reach, index.of, np.abs(chosen.advantages))
    out = [{"group": gids[g], "std": float(std[g]), "median_std": median, "spread": float(hi[g] - lo[g]),
            "max_advantage": float(reach[g])} for g in picked[:checks.LIST_LIMIT].tolist()]
    return out, len(picked)


DIAGNOSTIC = register(Diagnostic("grpo", 30, conclude))
