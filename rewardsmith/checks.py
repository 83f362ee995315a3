"""The report: what the scores say about a reward before any GPU time is spent on it.

Per rule: stats, errors, Nones, cost. With labels: AUC of each reward and of the weighted total,
verifier accuracy and confusion, the misclassified samples. With groups: the share of groups
whose total has zero spread (no GRPO gradient). Then the correctness gate (a reward must check
answers, see `correctness_checks`) and the spec's expectations, each a check that passes or fails.
Plain data throughout: the terminal, the TUI and JSON all render the same dict.
"""

from __future__ import annotations

import json
import math
import statistics
from fractions import Fraction
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Sequence

import numpy as np

from .advantages import GroupIndex, advantage_arrays
from .bench import ScoreMatrix
from .fmt import fmt, pct
from .gold import gold_columns, is_gold_name, is_metadata_name
from .kinds import get_kind
from .samples import SampleSet
from .spec import RewardSpec, Rule

__all__ = [
    "MIN_CORRECTNESS_AUC",
    "LIST_LIMIT",
    "Check",
    "Report",
    "auc",
    "best_threshold",
    "build_report",
    "correctness_checks",
    "correctness_rules",
    "report_json",
    "zero_spread_groups",
]

_EPS = 1e-12
NAN = float("nan")


LIST_LIMIT = 1_000  # per-sample lists in the report (misclassified ids, zero-spread groups …) keep this many


def _column(values: Sequence[float | None] | np.ndarray) -> np.ndarray:
    """A score column as float64, None as NaN."""
    return np.asarray(values, dtype=float)


def _label_column(labels: Sequence[bool | None] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labelled, good) masks from labels as True / False / None."""
    y = np.asarray(labels, dtype=float) if len(labels) else np.zeros(0)
    known = ~np.isnan(y)
    return known, known & (y != 0)


class _Tally:
    """A score column over the samples that have a score and a label: its distinct values, in order, with
    how many samples and how many good ones have each. AUC and the best cut read only this."""

    def __init__(self, values: np.ndarray, known: np.ndarray, good: np.ndarray,
                 distinct: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        present = ~np.isnan(values)
        if distinct is None:  # (the present values' distinct values, each present value's index among them)
            uniq, inverse = np.unique(values[present], return_inverse=True)
            distinct = (uniq, inverse.reshape(-1))
        uniq, inverse = distinct
        keep = known[present]
        codes = inverse[keep]
        counts = np.bincount(codes, minlength=len(uniq))
        good_at = np.bincount(codes, weights=good[present][keep], minlength=len(uniq)).astype(np.int64)
        used = counts > 0
        self.values, self.counts, self.good = uniq[used], counts[used], good_at[used]
        self.pos = int(self.good.sum())
        self.neg = int(self.counts.sum()) - self.pos

    def auc(self) -> float | None:
        pos, neg, distinct = self.pos, self.neg, self.values
        if pos == 0 or neg == 0:
            return None
        # Runs of tied scores: a distinct value joins the run while within _EPS of the run's first value.
        if len(distinct) < 2 or bool(np.all(np.diff(distinct) > _EPS)):
            starts = np.arange(len(distinct))
        else:
            run = [0]
            for k in range(1, len(distinct)):
                if distinct[k] - distinct[run[-1]] > _EPS:
                    run.append(k)
            starts = np.asarray(run)
        first = np.concatenate(([0], np.cumsum(self.counts)))  # the first sorted sample of each distinct value
        edges = first[np.append(starts, len(distinct))]
        run_good = np.concatenate(([0], np.cumsum(self.good)))[np.append(starts, len(distinct))]
        i, j = edges[:-1], edges[1:]  # samples [i, j) tie: mid rank (i + j - 1) / 2 + 1
        # Half-integer ranks times counts: exact in float64, so the order of the sum does not matter.
        rank_sum = float(np.sum(((i + j - 1) / 2 + 1) * np.diff(run_good)))
        return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)

    def best_threshold(self) -> float | None:
        pos, neg = self.pos, self.neg
        if not pos or not neg:
            return None
        below_pos = np.concatenate(([0], np.cumsum(self.good)[:-1]))  # labelled samples strictly below each cut
        below_neg = np.concatenate(([0], np.cumsum(self.counts - self.good)[:-1]))
        score = (pos - below_pos) / pos + below_neg / neg
        # Only a strict new maximum can beat the best so far by more than _EPS: walk those alone.
        record = np.flatnonzero(score > np.concatenate(([-np.inf], np.maximum.accumulate(score)[:-1])))
        best, best_cut = -1.0, None
        for k in record.tolist():
            if score[k] > best + _EPS:
                best, best_cut = float(score[k]), float(self.values[k])
        return best_cut


def _tally(scores: Sequence[float | None] | np.ndarray, labels: Sequence[bool | None] | np.ndarray) -> _Tally:
    known, good = _label_column(labels)
    return _Tally(_column(scores), known, good)


def auc(scores: Sequence[float | None] | np.ndarray, labels: Sequence[bool | None] | np.ndarray) -> float | None:
    """Area under the ROC curve (Mann–Whitney, ties count half); None without both classes.

    Samples with no score or no label are left out. Scores within 1e-12 of the first of a run of sorted
    scores tie with it. Vectorised over the distinct scores (one sort).
    """
    return _tally(scores, labels).auc()


def best_threshold(scores: Sequence[float | None] | np.ndarray,
                   labels: Sequence[bool | None] | np.ndarray) -> float | None:
    """The lowest cut (score ≥ cut means good) with the best balanced accuracy on labelled samples.

    Every distinct score is a candidate cut; a later one wins only by more than 1e-12.
    """
    return _tally(scores, labels).best_threshold()


def _zero_spread(values: np.ndarray, index: GroupIndex) -> np.ndarray:
    """Per group: whether it has two or more samples and its values are all equal (or fewer than two scored)."""
    count, lo, hi = index.minmax(values)
    with np.errstate(invalid="ignore"):
        flat = (count < 2) | (hi - lo <= _EPS)
    return flat & (index.size > 1)


def zero_spread_groups(values: Sequence[float | None] | np.ndarray, groups: dict[str, list[int]]) -> list[str]:
    """Groups (of 2 or more) whose values are all equal: GRPO's advantage is zero for them."""
    names = list(groups)
    x = _column(values)
    flat = _zero_spread(x, GroupIndex(list(groups.values()), len(x)))
    return [names[g] for g in np.flatnonzero(flat).tolist()]


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The present values' distinct values, each present value's index among them, and their counts."""
    uniq, inverse, counts = np.unique(values[~np.isnan(values)], return_inverse=True, return_counts=True)
    return uniq, inverse.reshape(-1), counts


def _stats(values: Sequence[float | None] | np.ndarray,
           distinct: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    x = _column(values)
    present = x[~np.isnan(x)]
    if not len(present):
        return {"mean": None, "std": None, "min": None, "max": None, "constant": True}
    uniq, _, counts = distinct if distinct is not None else _distinct(x)
    lo, hi = float(uniq[0]), float(uniq[-1])
    return {
        "mean": math.fsum(present.tolist()) / len(present),  # statistics.fmean
        "std": _pstdev(present, uniq, counts) if len(present) > 1 else 0.0,
        "min": lo,
        "max": hi,
        "constant": hi - lo <= _EPS,
    }


def _pstdev(values: np.ndarray, distinct: np.ndarray, counts: np.ndarray) -> float:
    """statistics.pstdev(values), exactly, computed over the distinct values (rewards have few of them).

    pstdev sums exact fractions over every sample: seconds at 1,000,000 samples; with counts it is the same
    exact sum in a fraction of the time. Many distinct values (a graded reward) go to pstdev itself.
    """
    if len(distinct) > 10_000:
        return statistics.pstdev(values.tolist())
    n = len(values)
    exact = {Fraction(x): c for x, c in zip(distinct.tolist(), counts.tolist())}
    mean = sum((x * c for x, c in exact.items()), Fraction(0)) / n
    mss = sum((c * (x - mean) ** 2 for x, c in exact.items()), Fraction(0)) / n
    root = getattr(statistics, "_float_sqrt_of_frac", None)  # 3.11+: pstdev's correctly rounded square root
    return root(mss.numerator, mss.denominator) if root else math.sqrt(float(mss))


def weighted_total(columns: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """``bench.weighted_total`` (fsum of weight × score, None skipped; NaN where all are None), vectorised.

    The products are added left to right with an error-free transformation (TwoSum): where every addition is
    exact, the sum is the exact sum, which is what fsum returns; the rows where one is not (0.1 + 0.2 …) go
    to fsum itself, once per distinct row of products (rewards take few values).
    """
    n = len(columns[0]) if len(columns) else 0
    if not len(columns):
        return np.full(n, NAN)
    cols = np.stack([_column(c) for c in columns], axis=1)
    missing = np.isnan(cols)
    products = np.where(missing, 0.0, cols * np.asarray(weights, dtype=float))
    total = np.zeros(n)
    inexact = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        for j in range(products.shape[1]):
            b = products[:, j]
            s = total + b
            bb = s - total
            err = (total - (s - bb)) + (b - bb)
            inexact |= err != 0  # NaN (an infinity) counts as inexact too
            total = s
    rows = np.flatnonzero(inexact)
    if len(rows):  # one fsum per distinct row (a skipped score is a 0.0 product: it changes no exact sum)
        distinct, inverse = np.unique(products[rows], axis=0, return_inverse=True)
        total[rows] = np.array([math.fsum(r) for r in distinct.tolist()])[inverse.reshape(-1)]
    total[missing.all(axis=1)] = NAN
    return total


def _bounded(items: np.ndarray, names: Sequence[str]) -> list[str]:
    """The names of the first LIST_LIMIT of `items` (indices)."""
    return [names[i] for i in items[:LIST_LIMIT].tolist()]


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


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values, for the standard json module."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"a {type(value).__name__} in the report cannot be written as JSON")


def report_json(report: Report | dict[str, Any]) -> str:
    """The report as JSON text (what ``--json`` writes), ending in a newline.

    orjson when it is installed (a 1,000,000-sample report in a fraction of the time), the standard json
    module otherwise: the same content either way (indented by two; non-ASCII written as UTF-8, not escaped).
    """
    data = report.to_data() if isinstance(report, Report) else report
    try:
        import orjson
    except ImportError:
        return json.dumps(data, indent=2, ensure_ascii=False, default=_plain) + "\n"
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY
                        | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE).decode("utf-8")


def _misclassified(scores: np.ndarray, known: np.ndarray, good: np.ndarray, cut: float | None) -> np.ndarray:
    """Indices of the labelled, scored samples on the wrong side of `cut`."""
    if cut is None:
        return np.zeros(0, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        wrong = known & ~np.isnan(scores) & ((scores >= cut) != good)
    return np.flatnonzero(wrong)


def build_report(spec: RewardSpec, samples: SampleSet, matrix: ScoreMatrix, *,
                 aggregation: str = "sum_then_normalize", scale_rewards: str = "group") -> Report:
    """Every check the core knows, on one score matrix.

    Per-sample lists (misclassified ids, zero-spread groups) keep their first LIST_LIMIT entries; their
    counts (``misclassified_count``, ``zero_spread``) are over every sample.

    Args:
        aggregation / scale_rewards: TRL's settings the correctness gate computes advantage shares with.
    """
    labels = np.asarray(samples.good_flags(), dtype=float)  # None as NaN
    known, good = _label_column(labels)
    labelled = bool(known.any())
    index, names = GroupIndex.of_samples(samples)
    multi_count = int(np.count_nonzero(index.size > 1))
    columns = {rule: _column(matrix.scores[rule]) for rule in matrix.rules}
    ids = matrix.sample_ids
    rules_data = []
    checks: list[Check] = []

    for rule in spec.rules:
        values = columns[rule.name] if rule.name in columns else _column(matrix.scores[rule.name])
        missing = np.isnan(values)
        errors = matrix.errors.get(rule.name, {})
        item: dict[str, Any] = {
            "name": rule.name,
            "kind": rule.kind,
            "role": rule.role,
            "weight": rule.effective_weight,
            **({"gate": rule.gate} if rule.gate is not None else {}),
            **_stats(values, distinct := _distinct(values)),
            "errors": len(errors),
            "error_samples": {ids[i]: msg for i, msg in sorted(errors.items())[:20]},
            "nones": int(np.count_nonzero(missing)) - sum(1 for i in errors if missing[i]),
            "us_per_call": matrix.us_per_call(rule.name),
        }
        if labelled:
            item["auc"] = _Tally(values, known, good, distinct[:2]).auc()
        if rule.role == "verifier" and labelled:
            passing = get_kind(rule.kind).pass_score(rule.params)
            judged_mask = known & ~missing
            with np.errstate(invalid="ignore"):
                verdict = np.abs(values - passing) <= _EPS
            right = verdict == good
            conf = {
                "tp": int(np.count_nonzero(judged_mask & right & verdict)),
                "fp": int(np.count_nonzero(judged_mask & ~right & verdict)),
                "tn": int(np.count_nonzero(judged_mask & right & ~verdict)),
                "fn": int(np.count_nonzero(judged_mask & ~right & ~verdict)),
            }
            wrong = np.flatnonzero(judged_mask & ~right)
            judged = sum(conf.values())
            item["confusion"] = conf
            item["accuracy"] = (conf["tp"] + conf["tn"]) / judged if judged else None
            item["misclassified"] = _bounded(wrong, ids)
            item["misclassified_count"] = len(wrong)
        if multi_count:
            item["zero_spread_share"] = int(np.count_nonzero(_zero_spread(values, index))) / multi_count
        rules_data.append(item)

        if errors:
            first_i, first_msg = next(iter(sorted(errors.items())))
            checks.append(Check(
                f"errors:{rule.name}", False,
                f"{rule.name} raised on {len(errors)} sample(s); first {ids[first_i]}: {first_msg}",
            ))
        if item["constant"] and len(values) > 1:
            checks.append(Check(
                f"constant:{rule.name}", False,
                f"{rule.name} gives the same score on every sample ({item['mean']}): it teaches nothing here",
                severity="warning",
            ))

    total = weighted_total([columns[r] for r in matrix.rules], matrix.weights) if matrix.rules \
        else np.full(len(ids), NAN)
    total_distinct = _distinct(total)
    total_data: dict[str, Any] = {**_stats(total, total_distinct)}
    if labelled:
        tally = _Tally(total, known, good, total_distinct[:2])
        total_data["auc"] = tally.auc()
        cut = tally.best_threshold()
        total_data["threshold"] = cut
        wrong = _misclassified(total, known, good, cut)
        total_data["misclassified"] = _bounded(wrong, ids)
        total_data["misclassified_count"] = len(wrong)
    groups_data: dict[str, Any] = {"count": len(names), "multi": multi_count}
    if multi_count:
        zs = np.flatnonzero(_zero_spread(total, index))
        groups_data.update(zero_spread=len(zs), zero_spread_share=len(zs) / multi_count,
                           zero_spread_ids=_bounded(zs, names))

    correctness, gate = correctness_checks(spec, samples, matrix, rules_data,
                                           aggregation=aggregation, scale_rewards=scale_rewards,
                                           _arrays=(columns, labels, index))
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
            + ("" if multi_count else " (no group has two or more completions)"),
        ))
    if exp.min_verifier_accuracy is not None:
        for item in rules_data:
            if item["role"] == "verifier":
                acc = item.get("accuracy")
                checks.append(Check(
                    f"verifier_accuracy:{item['name']}", acc is not None and acc >= exp.min_verifier_accuracy,
                    f"verifier {item['name']} agrees with the labels on {_pct(acc)}; the spec expects {_pct(exp.min_verifier_accuracy)}",
                ))
    where = {sid: i for i, sid in enumerate(matrix.sample_ids)} if exp.pins else {}
    for pin in exp.pins:
        if pin.rule not in matrix.scores or pin.sample not in where:
            checks.append(Check(f"pin:{pin.sample}:{pin.rule}", False,
                                f"pin names sample {pin.sample!r} and rule {pin.rule!r}, which are not both here"))
            continue
        got = matrix.scores[pin.rule][where[pin.sample]]
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
            "good": int(np.count_nonzero(good)),
            "bad": int(np.count_nonzero(known & ~good)),
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
                       scale_rewards: str = "group",
                       _arrays: tuple[dict[str, np.ndarray], np.ndarray, GroupIndex] | None = None,
                       ) -> tuple[dict[str, Any], list[Check]]:
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
    if _arrays is None:  # build_report passes what it already computed
        _arrays = ({r: _column(matrix.scores[r]) for r in matrix.rules},
                   np.asarray(samples.good_flags(), dtype=float), GroupIndex.of_samples(samples)[0])
    columns, labels, index = _arrays
    known, good = _label_column(labels)
    both = bool((known & good).any()) and bool((known & ~good).any())
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
    values = columns[main.name] if main.name in columns else _column(matrix.scores[main.name])
    present = values[~np.isnan(values)]
    top = _top_score(main)
    if len(values) > 1 and (not len(present) or float(present.max()) - float(present.min()) <= _EPS):
        shown = "no score" if not len(present) else f"{float(present[0]):g}"
        checks.append(Check(
            "correctness:constant", False,
            f"the main answer rule {main.name} gives {shown} on every one of the {len(values)} samples: it "
            "cannot tell a right answer from a wrong one here. Check where it extracts the answer and how it "
            f"normalises it against {', '.join(get_kind(main.kind).columns(main.params))}, " + _WAIVER_HINT,
        ))
    elif top is not None and len(values) and not bool(np.any(np.abs(present - top) <= _EPS)):
        checks.append(Check(
            "correctness:never_matches", False,
            f"the main answer rule {main.name} matches on 0% of the {len(values)} samples (it never gives its "
            f"top score {top:g}): its extraction or normalisation misses the answers. Compare a completion's "
            f"answer with its {', '.join(get_kind(main.kind).columns(main.params))} value and fix the rule, "
            + _WAIVER_HINT,
        ))

    if both:
        aucs = {n: (by_name[n]["auc"] if n in by_name and "auc" in by_name[n] else auc(columns[n], labels))
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

    if bool(np.any(index.size > 1)):
        rows = np.stack([columns[r] for r in matrix.rules], axis=1) if matrix.rules \
            else np.zeros((len(matrix.sample_ids), 0))
        shares = advantage_arrays(rows, matrix.weights, index, aggregation=aggregation,
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
