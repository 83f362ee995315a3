"""Weights explainer: how much each rule moves the GRPO advantage here, and which weights change that.

A rule's *share* is the part of the total |advantage| that its term carries, summed over samples
(see grpo.py: the advantage splits exactly into per-rule terms). Weights interact through the
std TRL divides by, so "weight 2 is twice as important" is rarely true; this section answers with
the samples' own numbers: for each rule, with the other weights held, the weight at which it
would take half of the advantage (dominate) and the weight below which it takes under 5% (vanish).

The share is a closed form of per-group statistics (precomputed once), so searching the weights
costs microseconds per try: for sum_then_normalize with scale_rewards="group",
share_k(w) ∝ Σ_g |w_k|·A_gk / (sqrt(wᵀC_g w / (n_g − 1)) + 1e-4), with A_gk the rule's absolute
deviations from its group mean and C_g their Gram matrix; with a batch-wide or no std (and for
normalize_then_sum) the std is common to all terms and share_k ∝ |w_k|·A_k.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ..fmt import pct
from ._common import Context, Part, Scored, fmt
from .diagnostic import Diagnostic, Plan, register
from .grpo import TRL_EPSILON, GroupIndex, _index, _rows, advantage_arrays

__all__ = ["DIAGNOSTIC", "ShareModel", "conclude", "weight_for_share"]

DOMINATE, VANISH = 0.5, 0.05
_LO, _HI = 1e-6, 1e6


class ShareModel:
    """Each rule's share of the advantage as a function of the weights, for one TRL setting.

    The per-group statistics (A_g, C_g, n_g − 1) are arrays over groups, so a share costs a few
    vector operations however many samples there are.
    """

    def __init__(self, rows: Sequence[Sequence[float | None]] | np.ndarray,
                 groups: Sequence[Sequence[int]] | GroupIndex, *,
                 aggregation: str, scale_rewards: str) -> None:
        n = len(rows)
        k = len(rows[0]) if n else 0
        self.k = k
        r = np.asarray(rows, dtype=float).reshape(n, k)  # None becomes NaN
        scorable = ~np.isnan(r).all(axis=1)
        index = GroupIndex.of_groups(groups, n)
        self.grouped = aggregation == "sum_then_normalize" and scale_rewards == "group"
        self.dev_abs = np.zeros((0, k))  # A_gk, one row per group with two or more scorable completions
        self.gram = np.zeros((0, k, k))  # C_g
        self.dof = np.zeros(0)
        self.linear = np.zeros(k)
        if aggregation == "normalize_then_sum":
            z = np.empty((n, k))
            for j in range(k):
                mean, std = index.mean_std(r[:, j])
                z[:, j] = (r[:, j] - index.spread(mean)) / (index.spread(std) + TRL_EPSILON)
            vals = np.where(np.isnan(z), 0.0, z)[scorable]
            if len(vals):
                self.linear = np.abs(vals - vals.mean(axis=0)).sum(axis=0)
            return
        keep = scorable & (index.of < index.count)
        weight = keep.astype(float)
        count = index.sums(weight)
        values = np.where(np.isnan(r), 0.0, r)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.stack([index.sums(values[:, j] * weight) / count for j in range(k)], axis=1) \
                if k else np.zeros((index.count, 0))
        dev = np.where(keep[:, None], values - np.vstack([means, np.zeros((1, k))])[index.of], 0.0)
        used = count >= 2  # one scorable completion: NaN std, no advantage
        dev_abs = np.stack([index.sums(np.abs(dev[:, j])) for j in range(k)], axis=1)[used] \
            if k else np.zeros((int(used.sum()), 0))
        if not self.grouped:
            self.linear = dev_abs.sum(axis=0)
            return
        self.dev_abs = dev_abs
        self.gram = np.empty((len(dev_abs), k, k))
        for p in range(k):
            for q in range(p, k):
                self.gram[:, p, q] = self.gram[:, q, p] = index.sums(dev[:, p] * dev[:, q])[used]
        self.dof = count[used] - 1

    def _denominators(self, weights: np.ndarray) -> np.ndarray:
        var = np.einsum("gpq,p,q->g", self.gram, weights, weights)
        return np.sqrt(np.maximum(var, 0.0) / self.dof) + TRL_EPSILON

    def shares(self, weights: Sequence[float]) -> list[float]:
        w = np.asarray(weights, dtype=float)
        if self.grouped:
            mass = np.abs(w) * (self.dev_abs / self._denominators(w)[:, None]).sum(axis=0)
        else:
            mass = np.abs(w) * self.linear
        whole = math.fsum(mass.tolist())
        return (mass / whole).tolist() if whole > 0 else [0.0] * self.k

    def share_of(self, j: int, weights: Sequence[float]) -> Callable[[float], float]:
        """Rule j's share as a function of |w_j| alone (the others held): a few vector operations per call.

        With w_j = ±m the group variance is a + 2(±m)b + m²c, so everything else is precomputed.
        """
        sign = -1.0 if weights[j] < 0 else 1.0
        others = np.abs(np.asarray(weights, dtype=float))
        others[j] = 0.0
        if not self.grouped:
            rest = float(others @ self.linear)
            own = float(self.linear[j])
            return lambda m: (m * own / (m * own + rest)) if m * own + rest > 0 else 0.0
        w0 = np.asarray(weights, dtype=float).copy()
        w0[j] = 0.0
        a = np.einsum("gpq,p,q->g", self.gram, w0, w0)
        b2 = sign * 2 * (self.gram[:, j, :] @ w0)
        c = self.gram[:, j, j]
        dev_j = self.dev_abs[:, j]
        rest = self.dev_abs @ others

        def share(m: float) -> float:
            denom = np.sqrt(np.maximum(a + b2 * m + c * m * m, 0.0) / self.dof) + TRL_EPSILON
            own = m * float((dev_j / denom).sum())
            rest_total = float((rest / denom).sum())
            return own / (own + rest_total) if own + rest_total > 0 else 0.0

        return share


def weight_for_share(model: ShareModel, weights: Sequence[float], j: int, target: float) -> float | None:
    """The weight of rule j (others held, sign kept) at which its share reaches `target`; None if never."""
    sign = -1.0 if weights[j] < 0 else 1.0
    share = model.share_of(j, weights)

    if share(_HI) < target:
        return None
    if share(_LO) >= target:
        return 0.0
    lo, hi = math.log(_LO), math.log(_HI)
    for _ in range(40):  # ~3e-11 in log: far finer than any weight anyone types
        mid = (lo + hi) / 2
        if share(math.exp(mid)) >= target:
            hi = mid
        else:
            lo = mid
    return sign * math.exp(hi)


def conclude(ctx: Context, plan: Plan, scored: Scored) -> Part:
    """Each rule's share of the advantage, and the weights at which it would dominate or vanish."""
    m = ctx.matrix
    part = Part("weights", f"Weights ({ctx.aggregation}, scale_rewards={ctx.scale_rewards})")
    rows = _rows(m)
    if not len(rows) or not m.rules:
        part.lines.append("nothing scored")
        return part
    groups, _ = _index(ctx.samples)
    result = advantage_arrays(rows, m.weights, groups, aggregation=ctx.aggregation, scale_rewards=ctx.scale_rewards)
    shares = result.shares()
    model = ShareModel(rows, groups, aggregation=ctx.aggregation, scale_rewards=ctx.scale_rewards)
    mean_moved = np.abs(result.contributions).sum(axis=0) / max(1, len(rows))
    out = []
    for j, name in enumerate(m.rules):
        moved = float(mean_moved[j])
        probe = list(m.weights)
        if probe[j] == 0:
            probe[j] = 1e-9  # a metric: where would it stand if it were trained on?
        dominate = weight_for_share(model, probe, j, DOMINATE)
        vanish = weight_for_share(model, probe, j, VANISH)
        item = {"rule": name, "weight": m.weights[j], "share": shares[j], "mean_abs_advantage": moved,
                "dominates_at": dominate, "vanishes_below": vanish}
        out.append(item)
        if model.shares([1.0 if i == j else 0.0 for i in range(len(m.rules))])[j] == 0.0:
            part.lines.append(f"{name:<28} weight {fmt(m.weights[j])}: never moves the advantage here "
                              "(no spread inside any group), at any weight")
            continue
        if dominate is None:
            dom = "never dominates (≥50%)"
        elif dominate == 0.0:
            dom = "dominates (≥50%) at any weight above 0"
        else:
            dom = f"dominates (≥50%) from weight {fmt(dominate, 3)}"
        van = "vanishes (≤5%) only at 0" if not vanish else f"vanishes (≤5%) below weight {fmt(vanish, 3)}"
        if vanish and abs(m.weights[j]) < abs(vanish):
            van += " — it has vanished now"
        part.lines.append(f"{name:<28} weight {fmt(m.weights[j])}: {100 * shares[j]:5.1f}% of the advantage "
                          f"(mean |Δ| {moved:.2f}); {dom}; {van}")
        if m.weights[j] != 0 and shares[j] < VANISH and vanish is not None:
            part.warn(f"drowned:{name}",
                      f"{name} moves {pct(shares[j], 1)} of the advantage at weight {fmt(m.weights[j])}: "
                      f"the other rules drown it (it needs a weight of about {fmt(vanish, 3)} to reach 5%)")
    part.data = {"rules": out, "aggregation": ctx.aggregation, "scale_rewards": ctx.scale_rewards}
    return part


DIAGNOSTIC = register(Diagnostic("weights", 60, conclude))
