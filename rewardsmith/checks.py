"""The report: what the scores say about a reward before any GPU time is spent on it.

Per rule: stats, errors, Nones, cost. With labels: AUC of each reward and of the weighted total,
verifier accuracy and confusion, the misclassified samples. With groups: the share of groups
whose total has zero spread (no GRPO gradient). Then the correctness gate (a reward must check
answers, see `correctness_checks`) and the spec's expectations, each a check that passes or fails.
Plain data throughout: the terminal, the TUI and JSON all render the same dict.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from fractions import Fraction
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Sequence

import numpy as np

from .advantages import trl_advantages
from .bench import ScoreMatrix
from .fmt import fmt, pct
from .gold import gold_columns, is_gold_name, is_metadata_name
from .kinds import get_kind
from .samples import SampleSet
from .spec import RewardSpec, Rule

__all__ = [
    "MIN_CORRECTNESS_AUC",
    "Check",
    "Report",
    "auc",
    "best_threshold",
    "build_report",
    "correctness_checks",
    "correctness_rules",
    "zero_spread_groups",
]

_EPS = 1e-12


def auc(scores: Sequence[float | None], labels: Sequence[bool | None]) -> float | None:
    """Area under the ROC curve (Mann–Whitney, ties count half); None without both classes.

    Samples with no score or no label are left out. Scores within 1e-12 of the first of a run of sorted
    scores tie with it. Vectorised (numpy): rewards take few distinct values, and only those are walked.
    """
    pairs = [(s, y) for s, y in zip(scores, labels) if s is not None and y is not None]
    if not pairs:
        return None
    values = np.fromiter((s for s, _ in pairs), dtype=float, count=len(pairs))
    good = np.fromiter((bool(y) for _, y in pairs), dtype=bool, count=len(pairs))
    pos = int(good.sum())
    neg = len(pairs) - pos
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(values, kind="stable")
    values, good = values[order], good[order]
    distinct, first = np.unique(values, return_index=True)
    # Runs of tied scores: a distinct value joins the run while within _EPS of the run's first value.
    starts = [0]
    for k in range(1, len(distinct)):
        if distinct[k] - distinct[starts[-1]] > _EPS:
            starts.append(k)
    edges = [int(first[k]) for k in starts] + [len(values)]
    cum_good = np.concatenate(([0], np.cumsum(good)))
    rank_sum = 0.0
    for i, j in zip(edges, edges[1:]):  # samples [i, j) tie: mid rank (i + j - 1) / 2 + 1
        rank_sum += ((i + j - 1) / 2 + 1) * int(cum_good[j] - cum_good[i])
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
        "std": _pstdev(present) if len(present) > 1 else 0.0,
        "min": min(present),
        "max": max(present),
        "constant": max(present) - min(present) <= _EPS,
    }


def _pstdev(values: list[float]) -> float:
    """statistics.pstdev(values), exactly, computed over the distinct values (rewards have few of them).

    pstdev sums exact fractions over every sample: seconds at 1,000,000 samples; with counts it is the same
    exact sum in a fraction of the time. Many distinct values (a graded reward) go to pstdev itself.
    """
    counts = Counter(values)
    if len(counts) > 10_000:
        return statistics.pstdev(values)
    n = len(values)
    exact = {Fraction(x): c for x, c in counts.items()}
    mean = sum((x * c for x, c in exact.items()), Fraction(0)) / n
    mss = sum((c * (x - mean) ** 2 for x, c in exact.items()), Fraction(0)) / n
    root = getattr(statistics, "_float_sqrt_of_frac", None)  # 3.11+: pstdev's correctly rounded square root
    return root(mss.numerator, mss.denominator) if root else math.sqrt(float(mss))


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


def build_report(spec: RewardSpec, samples: SampleSet, matrix: ScoreMatrix, *,
                 aggregation: str = "sum_then_normalize", scale_rewards: str = "group") -> Report:
    """Every check the core knows, on one score matrix.

    Args:
        aggregation / scale_rewards: TRL's settings the correctness gate computes advantage shares with.
    """
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
            **({"gate": rule.gate} if rule.gate is not None else {}),
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

    correctness, gate = correctness_checks(spec, samples, matrix, rules_data,
                                           aggregation=aggregation, scale_rewards=scale_rewards)
    checks.extend(gate)

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
        "correctness": correctness,
    }
    return Report(data=data, checks=checks)


# --------------------------------------------------------------------------- the correctness gate

MIN_CORRECTNESS_AUC = 0.6  # below this the best correctness rule does not explain the labels
def correctness_rules(spec: RewardSpec) -> list[Rule]:
    """Rules that compare the completion with a reference column and count in the total."""
    return [r for r in spec.rules if get_kind(r.kind).columns(r.params) and r.effective_weight != 0]


def _top_score(rule: Rule) -> float | None:
    """The score a rule gives a right answer, where its kind has one (graded kinds may not)."""
    try:
        return float(get_kind(rule.kind).pass_score(rule.params))
    except (AttributeError, TypeError, ValueError):
        return None


def _waivable(checks: list[Check], waiver: str | None) -> list[Check]:
    if not waiver:
        return checks
    out = [Check(c.id, c.ok, f"{c.message} (waived: {waiver})" if not c.ok else c.message, severity="warning")
           for c in checks]
    out.append(Check("correctness:waived", True, f"the correctness checks are waived: {waiver}", severity="warning"))
    return out


_WAIVER_HINT = ("or, if this reward truly needs no correctness rule, say why in the spec's "
                "expectations.correctness_waiver")


def correctness_checks(spec: RewardSpec, samples: SampleSet, matrix: ScoreMatrix,
                       rules_data: Sequence[dict[str, Any]] | None = None, *,
                       aggregation: str = "sum_then_normalize",
                       scale_rewards: str = "group") -> tuple[dict[str, Any], list[Check]]:
    """The gate that keeps `rewardsmith test` from certifying a reward with no correctness signal.

    A *correctness rule* reads a reference column and has a non-zero weight in the total; the *main
    answer rule* is the one of them with the largest weight. The checks fail (severity error) when:

    - the spec has no correctness rule at all (worded for a file with gold, or without);
    - the samples carry gold (`gold_columns`) that no correctness rule reads;
    - a correctness rule reads only metadata about the problem (`difficulty`, `entry_point` …);
    - the main answer rule is constant over the samples, or never gives its top score;
    - the samples have both labels and the best correctness rule's AUC is under 0.6;
    - on groups of two or more completions, shaping rules carry more of the GRPO advantage than
      correctness rules (shares as `diagnostics.grpo` computes them, under TRL's settings given).

    ``expectations.correctness_waiver`` turns the failures into warnings that quote the reason.

    Returns:
        A summary for the report's JSON (gold columns, correctness rules, main rule, best AUC,
        advantage shares) and the checks.
    """
    waiver = spec.expectations.correctness_waiver
    gold = gold_columns(samples)
    correct = correctness_rules(spec)
    names = [r.name for r in correct]
    by_name = {item["name"]: item for item in rules_data or []}
    labels = [s.is_good for s in samples]
    both = any(y is True for y in labels) and any(y is False for y in labels)
    summary: dict[str, Any] = {"gold_columns": gold, "rules": names, "main": None, "best_auc": None,
                               "advantage_share": None, "shaping_share": None, "waiver": waiver}
    checks: list[Check] = []
    gold_text = ", ".join(f"`{c}`" for c in gold)

    if not correct:
        if gold:
            checks.append(Check(
                "correctness:no_rule", False,
                f"no rule compares the completions with a reference, yet the samples carry gold in {gold_text}: "
                "a spec that only shapes — length, format, counts — is not a reward. Add a rule whose reference "
                f"is {gold[0]!r} (a kind that compares an answer with it, such as exact_match or numeric, or one "
                "that runs the code against its tests), " + _WAIVER_HINT,
            ))
        else:
            checks.append(Check(
                "correctness:no_rule", False,
                "no rule compares the completions with a reference, so nothing here checks that an answer is "
                "right: add a gold column to the samples and a rule that reads it, " + _WAIVER_HINT,
            ))
        return summary, _waivable(checks, waiver)

    read = {c for r in correct for c in get_kind(r.kind).columns(r.params)}
    if gold and not read & set(gold):
        checks.append(Check(
            "correctness:gold_unread", False,
            f"the samples carry gold in {gold_text}, which no rule reads (the correctness rules read "
            f"{', '.join(f'`{c}`' for c in sorted(read))}): point a correctness rule's reference at "
            f"{gold[0]!r}, {_WAIVER_HINT}",
        ))
    for rule in correct:
        cols = get_kind(rule.kind).columns(rule.params)
        metadata = [c for c in cols if is_metadata_name(c)]
        if metadata and not any(is_gold_name(c) for c in cols):
            checks.append(Check(
                f"correctness:metadata:{rule.name}", False,
                f"{rule.name} compares the completions with {', '.join(f'`{c}`' for c in metadata)}, which "
                "describes the problem, not its answer: a match there measures nothing. Point its reference at "
                + (f"{gold[0]!r}, " if gold else "a gold column (add one to the samples), ") + _WAIVER_HINT,
            ))

    main = max(correct, key=lambda r: r.effective_weight)
    summary["main"] = main.name
    values = matrix.scores[main.name]
    present = [v for v in values if v is not None]
    top = _top_score(main)
    if len(values) > 1 and (not present or max(present) - min(present) <= _EPS):
        shown = "no score" if not present else f"{present[0]:g}"
        checks.append(Check(
            "correctness:constant", False,
            f"the main answer rule {main.name} gives {shown} on every one of the {len(values)} samples: it "
            "cannot tell a right answer from a wrong one here. Check where it extracts the answer and how it "
            f"normalises it against {', '.join(get_kind(main.kind).columns(main.params))}, " + _WAIVER_HINT,
        ))
    elif top is not None and values and not any(v is not None and abs(v - top) <= _EPS for v in values):
        checks.append(Check(
            "correctness:never_matches", False,
            f"the main answer rule {main.name} matches on 0% of the {len(values)} samples (it never gives its "
            f"top score {top:g}): its extraction or normalisation misses the answers. Compare a completion's "
            f"answer with its {', '.join(get_kind(main.kind).columns(main.params))} value and fix the rule, "
            + _WAIVER_HINT,
        ))

    if both:
        aucs = {n: (by_name[n]["auc"] if n in by_name and "auc" in by_name[n] else auc(matrix.scores[n], labels))
                for n in names}
        known = {n: a for n, a in aucs.items() if a is not None}
        best_name = max(known, key=lambda n: known[n]) if known else None
        best = known.get(best_name) if best_name else None
        summary["best_auc"] = best
        if best is None or best < MIN_CORRECTNESS_AUC:
            got = f"best AUC {best:.3f} ({best_name})" if best is not None else "no AUC (no rule scored both classes)"
            checks.append(Check(
                "correctness:separation", False,
                f"no correctness rule separates the labels: {got}, under {MIN_CORRECTNESS_AUC}. The answer rule "
                "does not agree with what the labels call right: check its extraction, its comparison and its "
                "reference column on a misclassified sample, " + _WAIVER_HINT,
            ))

    groups = list(samples.groups().values())
    if any(len(g) > 1 for g in groups):
        rows = [[matrix.scores[r][i] for r in matrix.rules] for i in range(len(matrix.sample_ids))]
        shares = trl_advantages(rows, matrix.weights, groups, aggregation=aggregation,
                                scale_rewards=scale_rewards).shares()
        share = dict(zip(matrix.rules, shares))
        right = math.fsum(share.get(n, 0.0) for n in names)
        shaping = math.fsum(v for n, v in share.items() if n not in names)
        summary.update(advantage_share=right, shaping_share=shaping)
        if shaping > right + _EPS:
            checks.append(Check(
                "correctness:advantage", False,
                f"shaping rules carry {_pct(shaping)} of the GRPO advantage and correctness rules {_pct(right)}: "
                "training would learn the shape before the answer. Lower the shaping weights (or raise "
                f"{main.name}'s) until correctness carries most of it, " + _WAIVER_HINT,
            ))
    return summary, _waivable(checks, waiver)


# The check messages are prose: a missing figure reads "n/a" there.
_fmt = partial(fmt, style="fixed", none="n/a")
_pct = partial(pct, none="n/a")
