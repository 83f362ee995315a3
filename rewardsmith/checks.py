"""The report: what the scores say about a reward before any GPU time is spent on it.

Per rule: stats, errors, Nones, cost. With labels: AUC of each reward and of the weighted total,
verifier accuracy and confusion, the misclassified samples. With groups: the share of groups
whose total has zero spread (no GRPO gradient). Then the spec's expectations, each a check that
passes or fails. Plain data throughout: the terminal, the TUI and JSON all render the same dict.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Sequence

from .bench import ScoreMatrix
from .fmt import fmt, pct
from .kinds import get_kind
from .samples import SampleSet
from .spec import RewardSpec

__all__ = ["Check", "Report", "auc", "best_threshold", "build_report", "zero_spread_groups"]

_EPS = 1e-12


def auc(scores: Sequence[float | None], labels: Sequence[bool | None]) -> float | None:
    """Area under the ROC curve (Mann–Whitney, ties count half); None without both classes.

    Samples with no score or no label are left out.
    """
    pairs = [(s, bool(y)) for s, y in zip(scores, labels) if s is not None and y is not None]
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if pos == 0 or neg == 0:
        return None
    pairs.sort(key=lambda p: p[0])
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and abs(pairs[j + 1][0] - pairs[i][0]) <= _EPS:
            j += 1
        mid_rank = (i + j) / 2 + 1
        rank_sum += mid_rank * sum(1 for k in range(i, j + 1) if pairs[k][1])
        i = j + 1
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def best_threshold(scores: Sequence[float | None], labels: Sequence[bool | None]) -> float | None:
    """The lowest cut (score ≥ cut means good) with the best balanced accuracy on labelled samples.

    One sweep over the sorted scores, so a continuous total over 100,000 samples stays fast.
    """
    pairs = sorted((s, bool(y)) for s, y in zip(scores, labels) if s is not None and y is not None)
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    best, best_cut = -1.0, None
    below_pos = below_neg = 0  # labelled samples strictly below the current cut
    i = 0
    while i < len(pairs):
        cut = pairs[i][0]
        score = (pos - below_pos) / pos + below_neg / neg
        if score > best + _EPS:
            best, best_cut = score, cut
        while i < len(pairs) and pairs[i][0] == cut:
            below_pos += pairs[i][1]
            below_neg += not pairs[i][1]
            i += 1
    return best_cut


def zero_spread_groups(values: Sequence[float | None], groups: dict[str, list[int]]) -> list[str]:
    """Groups (of 2 or more) whose values are all equal: GRPO's advantage is zero for them."""
    out = []
    for gid, idx in groups.items():
        if len(idx) < 2:
            continue
        vals = [values[i] for i in idx if values[i] is not None]
        if len(vals) < 2 or max(vals) - min(vals) <= _EPS:  # type: ignore[operator]
            out.append(gid)
    return out


def _stats(values: Sequence[float | None]) -> dict[str, Any]:
    present = [v for v in values if v is not None]
    if not present:
        return {"mean": None, "std": None, "min": None, "max": None, "constant": True}
    return {
        "mean": statistics.fmean(present),
        "std": statistics.pstdev(present) if len(present) > 1 else 0.0,
        "min": min(present),
        "max": max(present),
        "constant": max(present) - min(present) <= _EPS,
    }


@dataclass
class Check:
    id: str
    ok: bool
    message: str
    severity: str = "error"  # error: fails `test`; warning: reported only

    def to_data(self) -> dict[str, Any]:
        return {"id": self.id, "ok": self.ok, "severity": self.severity, "message": self.message}


@dataclass
class Report:
    data: dict[str, Any]
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks if c.severity == "error")

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.severity == "error"]

    def to_data(self) -> dict[str, Any]:
        return {**self.data, "checks": [c.to_data() for c in self.checks], "passed": self.passed}


def _misclassified(ids: list[str], scores: Sequence[float | None], labels: Sequence[bool | None], cut: float | None) -> list[str]:
    if cut is None:
        return []
    out = []
    for sid, s, y in zip(ids, scores, labels):
        if s is None or y is None:
            continue
        if (s >= cut) != y:
            out.append(sid)
    return out


def build_report(spec: RewardSpec, samples: SampleSet, matrix: ScoreMatrix) -> Report:
    """Every check the core knows, on one score matrix."""
    labels = [s.is_good for s in samples]
    labelled = any(y is not None for y in labels)
    groups = samples.groups()
    multi = {g: idx for g, idx in groups.items() if len(idx) > 1}
    rules_data = []
    checks: list[Check] = []

    for rule in spec.rules:
        values = matrix.scores[rule.name]
        errors = matrix.errors.get(rule.name, {})
        item: dict[str, Any] = {
            "name": rule.name,
            "kind": rule.kind,
            "role": rule.role,
            "weight": rule.effective_weight,
            **_stats(values),
            "errors": len(errors),
            "error_samples": {matrix.sample_ids[i]: msg for i, msg in sorted(errors.items())[:20]},
            "nones": sum(1 for i, v in enumerate(values) if v is None and i not in errors),
            "us_per_call": matrix.us_per_call(rule.name),
        }
        if labelled:
            item["auc"] = auc(values, labels)
        if rule.role == "verifier" and labelled:
            passing = get_kind(rule.kind).pass_score(rule.params)
            conf = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
            wrong = []
            for sid, v, y in zip(matrix.sample_ids, values, labels):
                if v is None or y is None:
                    continue
                verdict = abs(v - passing) <= _EPS
                key = ("t" if verdict == y else "f") + ("p" if verdict else "n")
                conf[key] += 1
                if verdict != y:
                    wrong.append(sid)
            judged = sum(conf.values())
            item["confusion"] = conf
            item["accuracy"] = (conf["tp"] + conf["tn"]) / judged if judged else None
            item["misclassified"] = wrong
        if multi:
            zs = zero_spread_groups(values, multi)
            item["zero_spread_share"] = len(zs) / len(multi)
        rules_data.append(item)

        if errors:
            first_i, first_msg = next(iter(sorted(errors.items())))
            checks.append(Check(
                f"errors:{rule.name}", False,
                f"{rule.name} raised on {len(errors)} sample(s); first {matrix.sample_ids[first_i]}: {first_msg}",
            ))
        if item["constant"] and len(values) > 1:
            checks.append(Check(
                f"constant:{rule.name}", False,
                f"{rule.name} gives the same score on every sample ({item['mean']}): it teaches nothing here",
                severity="warning",
            ))

    total = matrix.total()
    total_data: dict[str, Any] = {**_stats(total)}
    if labelled:
        total_data["auc"] = auc(total, labels)
        cut = best_threshold(total, labels)
        total_data["threshold"] = cut
        total_data["misclassified"] = _misclassified(matrix.sample_ids, total, labels, cut)
    groups_data: dict[str, Any] = {"count": len(groups), "multi": len(multi)}
    if multi:
        zs = zero_spread_groups(total, multi)
        groups_data.update(zero_spread=len(zs), zero_spread_share=len(zs) / len(multi), zero_spread_ids=zs)

    exp = spec.expectations
    if exp.min_auc is not None:
        got = total_data.get("auc")
        checks.append(Check(
            "min_auc", got is not None and got >= exp.min_auc,
            f"AUC of the weighted total is {_fmt(got)}; the spec expects at least {exp.min_auc}"
            + ("" if labelled else " (the samples carry no labels)"),
        ))
    for name, want in exp.rule_min_auc.items():
        got = next((r.get("auc") for r in rules_data if r["name"] == name), None)
        checks.append(Check(
            f"rule_min_auc:{name}", got is not None and got >= want,
            f"AUC of {name} is {_fmt(got)}; the spec expects at least {want}",
        ))
    if exp.max_zero_spread is not None:
        share = groups_data.get("zero_spread_share")
        checks.append(Check(
            "max_zero_spread", share is not None and share <= exp.max_zero_spread,
            f"{_pct(share)} of groups have zero spread in the total; the spec allows {_pct(exp.max_zero_spread)}"
            + ("" if multi else " (no group has two or more completions)"),
        ))
    if exp.min_verifier_accuracy is not None:
        for item in rules_data:
            if item["role"] == "verifier":
                acc = item.get("accuracy")
                checks.append(Check(
                    f"verifier_accuracy:{item['name']}", acc is not None and acc >= exp.min_verifier_accuracy,
                    f"verifier {item['name']} agrees with the labels on {_pct(acc)}; the spec expects {_pct(exp.min_verifier_accuracy)}",
                ))
    index = {sid: i for i, sid in enumerate(matrix.sample_ids)}
    for pin in exp.pins:
        if pin.rule not in matrix.scores or pin.sample not in index:
            checks.append(Check(f"pin:{pin.sample}:{pin.rule}", False,
                                f"pin names sample {pin.sample!r} and rule {pin.rule!r}, which are not both here"))
            continue
        got = matrix.scores[pin.rule][index[pin.sample]]
        ok = (got is None and pin.score is None) or (
            got is not None and pin.score is not None and math.isclose(got, pin.score, abs_tol=pin.tolerance)
        )
        checks.append(Check(f"pin:{pin.sample}:{pin.rule}", ok,
                            f"{pin.rule} on {pin.sample} scores {got}; pinned at {pin.score}"))

    data = {
        "spec": {"name": spec.name, "hash": spec.fingerprint(), "rules": len(spec.rules)},
        "samples": {
            "path": str(samples.path) if samples.path else None,
            "count": len(samples),
            "fingerprint": samples.fingerprint(),
            "good": sum(1 for y in labels if y is True),
            "bad": sum(1 for y in labels if y is False),
        },
        "rules": rules_data,
        "total": total_data,
        "groups": groups_data,
    }
    return Report(data=data, checks=checks)


# The check messages are prose: a missing figure reads "n/a" there.
_fmt = partial(fmt, style="fixed", none="n/a")
_pct = partial(pct, none="n/a")
