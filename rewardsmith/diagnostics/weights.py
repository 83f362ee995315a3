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
from dataclasses import dataclass
from typing import Callable, Sequence

from ..fmt import pct
from ._common import Context, Part, Scored, fmt
from .diagnostic import Diagnostic, Plan, register
from .grpo import TRL_EPSILON, nanmean, nanstd, trl_advantages

__all__ = ["DIAGNOSTIC", "ShareModel", "conclude", "weight_for_share"]

DOMINATE, VANISH = 0.5, 0.05
_LO, _HI = 1e-6, 1e6


@dataclass
class _Group:
    dev_abs: list[float]  # A_gk
    gram: list[list[float]]  # C_g
    dof: int


class ShareModel:
    """Each rule's share of the advantage as a function of the weights, for one TRL setting."""

    def __init__(self, rows: Sequence[Sequence[float | None]], groups: Sequence[Sequence[int]], *,
                 aggregation: str, scale_rewards: str) -> None:
        k = len(rows[0]) if rows else 0
        self.k = k
        r = [[math.nan if v is None else float(v) for v in row] for row in rows]
        scorable = [i for i, row in enumerate(r) if not all(math.isnan(v) for v in row)]
        self.grouped = aggregation == "sum_then_normalize" and scale_rewards == "group"
        self.groups: list[_Group] = []
        self.linear = [0.0] * k
        if aggregation == "normalize_then_sum":
            z = [[math.nan] * k for _ in r]
            for g in groups:
                for j in range(k):
                    col = [r[i][j] for i in g]
                    mean, s = nanmean(col), (nanstd(col) if len(g) > 1 else 0.0)
                    for i in g:
                        z[i][j] = (r[i][j] - mean) / (s + TRL_EPSILON)
            for j in range(k):
                vals = [0.0 if math.isnan(z[i][j]) else z[i][j] for i in scorable]
                mean = math.fsum(vals) / len(vals) if vals else 0.0
                self.linear[j] = math.fsum(abs(v - mean) for v in vals)
            return
        keep = set(scorable)
        for g in groups:
            rows_g = [i for i in g if i in keep]
            if len(rows_g) < 2:
                continue  # one scorable completion: NaN std, no advantage
            dev = []
            for j in range(k):
                vals = [0.0 if math.isnan(r[i][j]) else r[i][j] for i in rows_g]
                mean = math.fsum(vals) / len(vals)
                dev.append([v - mean for v in vals])
            a = [math.fsum(abs(x) for x in dev[j]) for j in range(k)]
            if self.grouped:
                gram = [[math.fsum(x * y for x, y in zip(dev[p], dev[q])) for q in range(k)] for p in range(k)]
                self.groups.append(_Group(a, gram, len(rows_g) - 1))
            else:
                self.linear = [x + y for x, y in zip(self.linear, a)]

    def shares(self, weights: Sequence[float]) -> list[float]:
        if self.grouped:
            mass = [0.0] * self.k
            for g in self.groups:
                var = math.fsum(weights[p] * weights[q] * g.gram[p][q] for p in range(self.k) for q in range(self.k))
                denom = math.sqrt(max(var, 0.0) / g.dof) + TRL_EPSILON
                for j in range(self.k):
                    mass[j] += abs(weights[j]) * g.dev_abs[j] / denom
        else:
            mass = [abs(w) * a for w, a in zip(weights, self.linear)]
        whole = math.fsum(mass)
        return [m / whole if whole > 0 else 0.0 for m in mass]


    def share_of(self, j: int, weights: Sequence[float]) -> Callable[[float], float]:
        """Rule j's share as a function of |w_j| alone (the others held): O(groups) per call.

        With w_j = ±m the group variance is a + 2(±m)b + m²c, so everything else is precomputed.
        """
        sign = -1.0 if weights[j] < 0 else 1.0
        others = [abs(w) if i != j else 0.0 for i, w in enumerate(weights)]
        if not self.grouped:
            rest = math.fsum(o * a for o, a in zip(others, self.linear))
            own = self.linear[j]
            return lambda m: (m * own / (m * own + rest)) if m * own + rest > 0 else 0.0
        w0 = [0.0 if i == j else w for i, w in enumerate(weights)]
        terms = []
        for g in self.groups:
            a = math.fsum(w0[p] * w0[q] * g.gram[p][q] for p in range(self.k) for q in range(self.k))
            b = math.fsum(w0[q] * g.gram[j][q] for q in range(self.k))
            rest = math.fsum(o * d for o, d in zip(others, g.dev_abs))
            terms.append((a, sign * 2 * b, g.gram[j][j], g.dof, g.dev_abs[j], rest))

        def share(m: float) -> float:
            own = rest_total = 0.0
            for a, b2, c, dof, dev_j, rest in terms:
                denom = math.sqrt(max(a + b2 * m + c * m * m, 0.0) / dof) + TRL_EPSILON
                own += m * dev_j / denom
                rest_total += rest / denom
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
    rows = [[m.scores[r][i] for r in m.rules] for i in range(len(m.sample_ids))]
    groups = list(ctx.samples.groups().values())
    if not rows or not m.rules:
        part.lines.append("nothing scored")
        return part
    result = trl_advantages(rows, m.weights, groups, aggregation=ctx.aggregation, scale_rewards=ctx.scale_rewards)
    shares = result.shares()
    model = ShareModel(rows, groups, aggregation=ctx.aggregation, scale_rewards=ctx.scale_rewards)
    n = max(1, len(rows))
    out = []
    for j, name in enumerate(m.rules):
        moved = math.fsum(abs(row[j]) for row in result.contributions) / n
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
