"""Out-of-sample figures for the offline proposer: folds by group, held-out AUC, advantage shares.

A rule mined and judged on the same samples looks better than it is (a shaping rule kept at AUC 0.57
in sample scored 0.28 held out). Folds split whole GRPO groups, so completions of one prompt never sit
on both sides; thresholds are fitted on the other folds and scored on the held-out one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from ..checks import auc

__all__ = ["TRL_EPSILON", "advantage_shares", "group_folds", "mean_fold_auc"]

TRL_EPSILON = 1e-4  # TRL adds it to the group's std before dividing
MAX_FOLDS = 5


def group_folds(groups: Sequence[str], k: int = MAX_FOLDS) -> list[int]:
    """The fold of each sample: whole groups dealt round-robin in an order fixed by their ids' hashes.

    Fewer folds when there are fewer groups; a hash (not Python's, which is salted) keeps it stable.
    """
    distinct = sorted(set(groups), key=lambda g: (hashlib.sha256(g.encode("utf-8")).hexdigest(), g))
    k = max(1, min(k, len(distinct)))
    fold_of = {g: i % k for i, g in enumerate(distinct)}
    return [fold_of[g] for g in groups]


def mean_fold_auc(scores: Sequence[float | None], labels: Sequence[bool | None], folds: Sequence[int]) -> float | None:
    """The mean AUC over the folds that hold both classes (None when none does)."""
    values = []
    for f in sorted(set(folds)):
        picked = [i for i, x in enumerate(folds) if x == f]
        value = auc([scores[i] for i in picked], [labels[i] for i in picked])
        if value is not None:
            values.append(value)
    return sum(values) / len(values) if values else None


def advantage_shares(parts: Sequence[tuple[float, Sequence[float | None]]], groups: Sequence[str]) -> list[float]:
    """Each rule's share of the GRPO advantage as TRL computes it (sum, then normalise per group).

    The advantage of sample i is (r_i − mean_g) / (std_g + 1e-4), r the weighted total; rule k
    contributes w_k (s_ki − mean_g(s_k)) / (std_g + 1e-4) of it. A rule's share is the mean absolute
    contribution over samples, divided by the sum of those over rules. None scores count as 0, as
    TRL's nansum does. When no prompt has two completions the whole set stands in for one group
    (the spread a rule would add if the prompts were sampled as groups). All zeros without spread.
    """
    n = len(groups)
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    if all(len(idx) < 2 for idx in members.values()):
        members = {"": list(range(n))}
    dense = [[0.0 if s is None else w * s for s in scores] for w, scores in parts]
    totals = [sum(col[i] for col in dense) for i in range(n)]
    sums = [0.0] * len(parts)
    for idx in members.values():
        if len(idx) < 2:
            continue
        mean = sum(totals[i] for i in idx) / len(idx)
        # torch.std is the unbiased estimate, as TRL uses it
        std = math.sqrt(sum((totals[i] - mean) ** 2 for i in idx) / (len(idx) - 1))
        for k, col in enumerate(dense):
            part_mean = sum(col[i] for i in idx) / len(idx)
            sums[k] += sum(abs(col[i] - part_mean) for i in idx) / (std + TRL_EPSILON)
    whole = sum(sums)
    return [s / whole if whole > 0 else 0.0 for s in sums]
