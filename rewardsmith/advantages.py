"""TRL's advantages, computed the way TRL 1.16's ``GRPOTrainer._generate_and_score_completions`` does.

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

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = [
    "AGGREGATIONS",
    "SCALE_REWARDS",
    "TRL_EPSILON",
    "Advantages",
    "GroupIndex",
    "nanmean",
    "nanstd",
    "trl_advantages",
]

AGGREGATIONS = ("sum_then_normalize", "normalize_then_sum")
SCALE_REWARDS = ("group", "batch", "none")
TRL_EPSILON = 1e-4  # added to the std before dividing (grpo_trainer.py)
_ISCLOSE_ATOL = 1e-8  # torch.isclose's default, used by TRL for is_std_zero
NAN = float("nan")


def nanmean(values: Sequence[float]) -> float:
    present = [v for v in values if not math.isnan(v)]
    return math.fsum(present) / len(present) if present else NAN


def nanstd(values: Sequence[float]) -> float:
    """TRL's nanstd: Bessel-corrected (unbiased), NaN with fewer than two values."""
    present = [v for v in values if not math.isnan(v)]
    if len(present) < 2:
        return NAN
    mean = math.fsum(present) / len(present)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in present) / (len(present) - 1))


@dataclass
class Advantages:
    """Per sample: the aggregated reward, the std it was divided by, the advantage and its parts."""

    rewards: list[float]  # NaN for unscorable completions
    std: list[float]
    advantages: list[float]
    is_std_zero: list[bool]
    contributions: np.ndarray  # [sample, rule]; each row sums to the advantage (an array: n × rules floats)

    @property
    def frac_reward_zero_std(self) -> float:
        return sum(self.is_std_zero) / len(self.is_std_zero) if self.is_std_zero else 0.0

    def shares(self) -> list[float]:
        """Each rule's share of the total |advantage| movement (sums to 1 unless nothing moves)."""
        mass = np.abs(self.contributions).sum(axis=0)
        whole = math.fsum(mass.tolist())
        return (mass / whole).tolist() if whole > 0 else [0.0] * len(mass)


class GroupIndex:
    """Which group each row is in, so per-group statistics are a few ``np.bincount`` calls, not a loop.

    Rows no group lists get no statistics (NaN), as TRL gives them no baseline.
    """

    def __init__(self, groups: Sequence[Sequence[int]], n: int) -> None:
        self.count = len(groups)
        self.of = np.full(n, self.count, dtype=np.intp)  # self.count: "in no group", a bucket dropped below
        sizes = [len(g) for g in groups]
        rows = np.fromiter(itertools.chain.from_iterable(groups), dtype=np.intp, count=sum(sizes))
        self.of[rows] = np.repeat(np.arange(self.count, dtype=np.intp), sizes)
        self.size = np.bincount(self.of, minlength=self.count + 1)[: self.count]

    def sums(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.of, weights=values, minlength=self.count + 1)[: self.count]

    def mean_std(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """TRL's nanmean and nanstd of `x` per group; a one-row group's std is 0 (it has no spread to scale)."""
        present = ~np.isnan(x)
        filled = np.where(present, x, 0.0)
        count = self.sums(present.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.sums(filled) / count
            dev = np.where(present, x - self.spread(mean), 0.0)
            std = np.sqrt(self.sums(dev * dev) / (count - 1))
        std[count < 2] = NAN
        std[self.size == 1] = 0.0
        return mean, std

    def spread(self, per_group: np.ndarray) -> np.ndarray:
        """A per-group array spread back over the rows (NaN for rows in no group)."""
        return np.append(per_group, NAN)[self.of]


def _nanstd(x: np.ndarray) -> float:
    """TRL's nanstd of a whole column (the batch)."""
    present = x[~np.isnan(x)]
    return nanstd(present.tolist())


def trl_advantages(
    rewards_per_func: Sequence[Sequence[float | None]],
    weights: Sequence[float],
    groups: Sequence[Sequence[int]],
    *,
    aggregation: str = "sum_then_normalize",
    scale_rewards: str = "group",
) -> Advantages:
    """Advantages as TRL 1.16 computes them (vectorised: one pass of numpy per statistic).

    Args:
        rewards_per_func: one row per completion, one column per reward function (None = not applicable).
        weights: ``reward_weights``, one per function.
        groups: the completions of each prompt, as index lists covering every row.
        aggregation: ``multi_objective_aggregation``.
        scale_rewards: "group", "batch" or "none" (True / False as TRL maps them).
    """
    scale = {True: "group", False: "none"}.get(scale_rewards, scale_rewards)  # type: ignore[call-overload]
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"multi_objective_aggregation must be one of {AGGREGATIONS}, not {aggregation!r}")
    if scale not in SCALE_REWARDS:
        raise ValueError(f"scale_rewards must be one of {SCALE_REWARDS}, not {scale_rewards!r}")
    n, k = len(rewards_per_func), len(weights)
    r = np.array(rewards_per_func, dtype=float).reshape(n, k)  # None becomes NaN
    w = np.asarray(weights, dtype=float)
    index = GroupIndex(groups, n)
    unscorable = np.isnan(r).all(axis=1)
    scorable = (~unscorable).astype(float)

    if aggregation == "sum_then_normalize":
        values = np.where(np.isnan(r), 0.0, r)  # nansum: a None adds nothing
        rewards = values @ w
        rewards[unscorable] = NAN
        mean, group_std = index.mean_std(rewards)
        if scale == "batch":
            std = np.where(index.of < index.count, _nanstd(rewards) if n > 1 else 0.0, NAN)
        else:
            std = index.spread(group_std)
        denom = np.ones(n) if scale == "none" else std + TRL_EPSILON
        centre = index.spread(mean)
        # Per-rule means over the scorable rows, None counted as 0 as nansum does:
        # then sum_k w_k (r_ik - mean_k) equals total_i - mean exactly.
        counts = index.sums(scorable)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.stack([np.where(counts > 0, index.sums(values[:, j] * scorable) / counts, 0.0)
                              for j in range(k)], axis=1) if k else np.zeros((index.count, 0))
        rule_centre = np.vstack([means, np.zeros((1, k))])[index.of]
    else:
        z = np.empty((n, k))
        for j in range(k):
            mean_j, std_j = index.mean_std(r[:, j])
            z[:, j] = (r[:, j] - index.spread(mean_j)) / (index.spread(std_j) + TRL_EPSILON)
        values = np.where(np.isnan(z), 0.0, z)
        rewards = values @ w
        rewards[unscorable] = NAN
        s = _nanstd(rewards) if n > 1 else 0.0
        std = np.full(n, s)
        denom = std + TRL_EPSILON
        present = rewards[~np.isnan(rewards)]
        centre = np.full(n, math.fsum(present.tolist()) / len(present) if len(present) else NAN)
        picked = values[~unscorable]
        rule_centre = np.broadcast_to(picked.mean(axis=0) if len(picked) else np.zeros(k), (n, k))
    with np.errstate(invalid="ignore"):
        adv = (rewards - centre) / denom
        contrib = w * (values - rule_centre) / denom[:, None]
    moved = ~np.isnan(adv)
    contrib[~moved] = 0.0
    zero = ~np.isnan(std) & (np.abs(std) <= _ISCLOSE_ATOL)
    return Advantages(rewards.tolist(), std.tolist(), np.where(moved, adv, 0.0).tolist(), zero.tolist(), contrib)
