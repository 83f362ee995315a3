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
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = [
    "AGGREGATIONS",
    "SCALE_REWARDS",
    "TRL_EPSILON",
    "AdvantageArrays",
    "Advantages",
    "GroupIndex",
    "advantage_arrays",
    "zero_std_fraction",
    "nanmean",
    "nanstd",
    "trl_advantages",
]

AGGREGATIONS = ("sum_then_normalize", "normalize_then_sum")
SCALE_REWARDS = ("group", "batch", "none")
TRL_EPSILON = 1e-4  # added to the std before dividing (grpo_trainer.py)
_ISCLOSE_ATOL = 1e-8  # torch.isclose's default, used by TRL for is_std_zero
NAN = float("nan")
_BY_SAMPLES: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], GroupIndex, list[str]]] = \
    weakref.WeakKeyDictionary()


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
        self._order: np.ndarray | None = None

    @classmethod
    def from_codes(cls, codes: Sequence[int] | np.ndarray, count: int) -> GroupIndex:
        """From each row's group number (``SampleSet.group_codes()``), without index lists."""
        index = cls.__new__(cls)
        index.count = count
        index.of = np.asarray(codes, dtype=np.intp)
        index.size = np.bincount(index.of, minlength=count + 1)[:count]
        index._order = None
        return index

    @classmethod
    def of_samples(cls, samples: Any) -> tuple[GroupIndex, list[str]]:
        """The groups of a SampleSet (``group_codes()``) and their names, computed once per set.

        The report, the GRPO and the weights sections each ask; the cache is keyed as ``SampleSet.groups``
        keys its own (the sample list and its length), so a set whose samples change is read again.
        """
        key = (id(getattr(samples, "samples", samples)), len(samples))
        hit = _BY_SAMPLES.get(samples)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        codes, names = samples.group_codes()
        index = cls.from_codes(codes, len(names))
        try:
            _BY_SAMPLES[samples] = (key, index, names)
        except TypeError:  # not weak-referenceable: no cache
            pass
        return index, names

    @classmethod
    def of_groups(cls, groups: Sequence[Sequence[int]] | GroupIndex, n: int) -> GroupIndex:
        return groups if isinstance(groups, GroupIndex) else cls(groups, n)

    @property
    def order(self) -> np.ndarray:
        """The rows sorted by group (stable: file order within a group), computed once."""
        if self._order is None:
            self._order = np.argsort(self.of, kind="stable")
        return self._order

    @property
    def starts(self) -> np.ndarray:
        """Where each group's rows begin in :attr:`order` (and, last, where the rows in no group begin)."""
        return np.concatenate(([0], np.cumsum(self.size)))

    def rows_of(self, groups: np.ndarray) -> list[list[int]]:
        """The row indices of the given groups (each in file order)."""
        order, starts = self.order, self.starts
        return [order[starts[g]:starts[g + 1]].tolist() for g in groups.tolist()]

    def first_rows(self) -> np.ndarray:
        """Each group's first row (groups have at least one)."""
        return self.order[self.starts[:-1]]

    def minmax(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group: the count of non-NaN values, their min and max (NaN where none)."""
        present = ~np.isnan(x)
        codes, vals = self.of[present], x[present]
        count = np.bincount(codes, minlength=self.count + 1)[: self.count]
        lo = np.full(self.count + 1, np.inf)
        hi = np.full(self.count + 1, -np.inf)
        np.minimum.at(lo, codes, vals)
        np.maximum.at(hi, codes, vals)
        lo, hi = lo[: self.count], hi[: self.count]
        lo[count == 0] = NAN
        hi[count == 0] = NAN
        return count, lo, hi

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
    """TRL's nanstd of a whole column (the batch): :func:`nanstd`'s numbers, its squares taken by numpy."""
    present = x[~np.isnan(x)]
    if len(present) < 2:
        return NAN
    mean = math.fsum(present.tolist()) / len(present)
    dev = present - mean
    return math.sqrt(math.fsum((dev * dev).tolist()) / (len(present) - 1))


@dataclass
class AdvantageArrays:
    """:class:`Advantages` as numpy arrays, for the report and the diagnostics (no per-sample lists)."""

    rewards: np.ndarray
    std: np.ndarray
    advantages: np.ndarray
    is_std_zero: np.ndarray
    contributions: np.ndarray

    @property
    def frac_reward_zero_std(self) -> float:
        return int(np.count_nonzero(self.is_std_zero)) / len(self.is_std_zero) if len(self.is_std_zero) else 0.0

    def shares(self) -> list[float]:
        return Advantages.shares(self)  # type: ignore[arg-type]

    def lists(self) -> Advantages:
        return Advantages(self.rewards.tolist(), self.std.tolist(), self.advantages.tolist(),
                          self.is_std_zero.tolist(), self.contributions)


def trl_advantages(
    rewards_per_func: Sequence[Sequence[float | None]] | np.ndarray,
    weights: Sequence[float],
    groups: Sequence[Sequence[int]] | GroupIndex,
    *,
    aggregation: str = "sum_then_normalize",
    scale_rewards: str = "group",
) -> Advantages:
    """Advantages as TRL 1.16 computes them, as lists (vectorised: one pass of numpy per statistic).

    Args:
        rewards_per_func: one row per completion, one column per reward function (None = not applicable).
        weights: ``reward_weights``, one per function.
        groups: the completions of each prompt, as index lists covering every row, or a GroupIndex.
        aggregation: ``multi_objective_aggregation``.
        scale_rewards: "group", "batch" or "none" (True / False as TRL maps them).
    """
    return advantage_arrays(rewards_per_func, weights, groups, aggregation=aggregation,
                            scale_rewards=scale_rewards).lists()


def advantage_arrays(
    rewards_per_func: Sequence[Sequence[float | None]] | np.ndarray,
    weights: Sequence[float],
    groups: Sequence[Sequence[int]] | GroupIndex,
    *,
    aggregation: str = "sum_then_normalize",
    scale_rewards: str = "group",
) -> AdvantageArrays:
    """:func:`trl_advantages` as numpy arrays (what the report and the diagnostics read)."""
    out = _advantages(rewards_per_func, weights, groups, aggregation, scale_rewards, parts=True)
    assert isinstance(out, AdvantageArrays)
    return out


def _advantages(
    rewards_per_func: Sequence[Sequence[float | None]] | np.ndarray,
    weights: Sequence[float],
    groups: Sequence[Sequence[int]] | GroupIndex,
    aggregation: str,
    scale_rewards: str,
    *,
    parts: bool,
) -> AdvantageArrays | float:
    """The one computation behind the three functions above: parts=False stops once the std is known."""
    scale = {True: "group", False: "none"}.get(scale_rewards, scale_rewards)  # type: ignore[call-overload]
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"multi_objective_aggregation must be one of {AGGREGATIONS}, not {aggregation!r}")
    if scale not in SCALE_REWARDS:
        raise ValueError(f"scale_rewards must be one of {SCALE_REWARDS}, not {scale_rewards!r}")
    n, k = len(rewards_per_func), len(weights)
    r = np.asarray(rewards_per_func, dtype=float).reshape(n, k)  # None becomes NaN
    w = np.asarray(weights, dtype=float)
    index = GroupIndex.of_groups(groups, n)
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
        if not parts:
            return _zero_share(std)
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
        if not parts:
            return _zero_share(std)
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
    return AdvantageArrays(rewards, std, np.where(moved, adv, 0.0), _is_std_zero(std), contrib)


def _is_std_zero(std: np.ndarray) -> np.ndarray:
    return ~np.isnan(std) & (np.abs(std) <= _ISCLOSE_ATOL)


def _zero_share(std: np.ndarray) -> float:
    return int(np.count_nonzero(_is_std_zero(std))) / len(std) if len(std) else 0.0


def zero_std_fraction(
    rewards_per_func: Sequence[Sequence[float | None]] | np.ndarray,
    weights: Sequence[float],
    groups: Sequence[Sequence[int]] | GroupIndex,
    *,
    aggregation: str = "sum_then_normalize",
    scale_rewards: str = "group",
) -> float:
    """``advantage_arrays(...).frac_reward_zero_std`` without computing the advantages."""
    out = _advantages(rewards_per_func, weights, groups, aggregation, scale_rewards, parts=False)
    assert isinstance(out, float)
    return out
