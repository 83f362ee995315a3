"""The report's vectorised statistics against the straightforward Python they replaced, on random inputs.

The references below are the per-sample loops the report used before numpy (AUC with its 1e-12 tie
runs, the best cut's sweep, zero-spread groups, fmean / pstdev, bench.weighted_total's fsum): the
vectorised functions must give exactly their numbers, ties and None included.
"""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardsmith import checks
from rewardsmith.advantages import GroupIndex, advantage_arrays, trl_advantages, zero_std_fraction
from rewardsmith.bench import ScoreMatrix, weighted_total
from rewardsmith.checks import auc, best_threshold, build_report, report_json, zero_spread_groups
from rewardsmith.diagnostics import diagnose
from rewardsmith.presets import load_preset
from rewardsmith.samples import Sample, SampleSet, demo_path, load_samples

EPS = 1e-12

# ----------------------------------------------------------------------------- the references


def auc_ref(scores, labels):
    pairs = sorted((s, bool(y)) for s, y in zip(scores, labels) if s is not None and y is not None)
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] - pairs[i][0] <= EPS:  # a run ties with its first value
            j += 1
        rank_sum += ((i + j - 1) / 2 + 1) * sum(1 for _, y in pairs[i:j] if y)
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def best_threshold_ref(scores, labels):
    pairs = sorted((s, bool(y)) for s, y in zip(scores, labels) if s is not None and y is not None)
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    best, best_cut = -1.0, None
    below_pos = below_neg = 0
    i = 0
    while i < len(pairs):
        cut = pairs[i][0]
        score = (pos - below_pos) / pos + below_neg / neg
        if score > best + EPS:
            best, best_cut = score, cut
        while i < len(pairs) and pairs[i][0] == cut:
            below_pos += pairs[i][1]
            below_neg += not pairs[i][1]
            i += 1
    return best_cut


def zero_spread_ref(values, groups):
    out = []
    for gid, idx in groups.items():
        if len(idx) < 2:
            continue
        vals = [values[i] for i in idx if values[i] is not None]
        if len(vals) < 2 or max(vals) - min(vals) <= EPS:
            out.append(gid)
    return out


def stats_ref(values):
    present = [v for v in values if v is not None]
    if not present:
        return {"mean": None, "std": None, "min": None, "max": None, "constant": True}
    return {"mean": statistics.fmean(present), "std": statistics.pstdev(present) if len(present) > 1 else 0.0,
            "min": min(present), "max": max(present), "constant": max(present) - min(present) <= EPS}


# ----------------------------------------------------------------------------- random inputs

# Reward-like values: few distinct ones, runs within 1e-12 (ties), graded fractions, None.
VALUES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, 1.0 + 5e-13, 1.0 + 2e-12, 0.1, 0.2, 0.3]),
    st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=32).map(float),
)
LABEL = st.sampled_from([True, False, None])


@st.composite
def columns(draw, max_rules: int = 4):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, max_rules))
    cols = [draw(st.lists(VALUES, min_size=n, max_size=n)) for _ in range(k)]
    labels = draw(st.lists(LABEL, min_size=n, max_size=n))
    group_of = draw(st.lists(st.integers(0, max(0, n // 2)), min_size=n, max_size=n))
    weights = draw(st.lists(st.sampled_from([1.0, 0.5, 2.0, 0.0, -1.0, 0.25]), min_size=k, max_size=k))
    return cols, labels, group_of, weights


def _groups(group_of):
    groups: dict[str, list[int]] = {}
    for i, g in enumerate(group_of):
        groups.setdefault(f"g{g}", []).append(i)
    return groups


def _same(a, b):
    """Equal, NaN equal to NaN (a dict or list compared item by item)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@settings(max_examples=300, deadline=None)
@given(columns())
def test_auc_threshold_zero_spread_and_stats_match_the_python_loops(data):
    cols, labels, group_of, _ = data
    groups = _groups(group_of)
    for col in cols:
        assert auc(col, labels) == auc_ref(col, labels)
        assert best_threshold(col, labels) == best_threshold_ref(col, labels)
        assert zero_spread_groups(col, groups) == zero_spread_ref(col, groups)
        assert checks._stats(col) == stats_ref(col)


@settings(max_examples=300, deadline=None)
@given(columns(max_rules=5))
def test_weighted_total_matches_bench_fsum(data):
    cols, _, _, weights = data
    want = weighted_total(cols, weights)
    got = checks.weighted_total([np.asarray(c, dtype=float) for c in cols], weights).tolist()
    assert [None if math.isnan(v) else v for v in got] == want


@settings(max_examples=200, deadline=None)
@given(columns(), st.sampled_from([("sum_then_normalize", "group"), ("sum_then_normalize", "batch"),
                                    ("sum_then_normalize", "none"), ("normalize_then_sum", "group")]))
def test_group_codes_and_zero_std_fraction_match_the_index_lists(data, setting):
    cols, _, group_of, weights = data
    groups = _groups(group_of)
    names = list(groups)
    codes = [names.index(f"g{g}") for g in group_of]
    rows = [list(r) for r in zip(*cols)]
    agg, scale = setting
    lists = trl_advantages(rows, weights, list(groups.values()), aggregation=agg, scale_rewards=scale)
    coded = advantage_arrays(np.array(rows, dtype=float), weights, GroupIndex.from_codes(codes, len(names)),
                             aggregation=agg, scale_rewards=scale)
    assert _same(coded.lists().__dict__ | {"contributions": None}, lists.__dict__ | {"contributions": None})
    assert np.array_equal(coded.contributions, lists.contributions)
    assert zero_std_fraction(rows, weights, list(groups.values()), aggregation=agg, scale_rewards=scale) == \
        lists.frac_reward_zero_std


# ----------------------------------------------------------------------------- the report itself

SPEC = load_preset("unsloth-gsm8k")
MATH = load_samples(demo_path("math"))


def _matrix(samples, cols):
    rules = [r.name for r in SPEC.rules]
    return ScoreMatrix(rules=rules, weights=[r.effective_weight for r in SPEC.rules],
                       roles=[r.role for r in SPEC.rules], sample_ids=[s.id for s in samples],
                       scores=dict(zip(rules, cols)))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_report_numbers_match_the_python_loops(data):
    """Random scores for the preset's rules on the math demo set: every figure as the loops give it."""
    n = len(MATH)
    k = len(SPEC.rules)
    cols = [data.draw(st.lists(VALUES, min_size=n, max_size=n)) for _ in range(k)]
    labels = [s.is_good for s in MATH]
    matrix = _matrix(MATH, cols)
    d = build_report(SPEC, MATH, matrix).data
    groups = MATH.groups()
    multi = {g: i for g, i in groups.items() if len(i) > 1}
    total = weighted_total(cols, matrix.weights)
    for item, col in zip(d["rules"], cols):
        assert {key: item[key] for key in stats_ref(col)} == stats_ref(col)
        assert item["auc"] == auc_ref(col, labels)
        assert item["zero_spread_share"] == len(zero_spread_ref(col, multi)) / len(multi)
        assert item["nones"] == sum(v is None for v in col)
    assert {key: d["total"][key] for key in stats_ref(total)} == stats_ref(total)
    cut = best_threshold_ref(total, labels)
    wrong = [sid for sid, s, y in zip(matrix.sample_ids, total, labels)
             if cut is not None and s is not None and y is not None and (s >= cut) != y]
    assert (d["total"]["threshold"], d["total"]["misclassified"], d["total"]["misclassified_count"]) == \
        (cut, wrong, len(wrong))
    assert d["groups"]["zero_spread_ids"] == zero_spread_ref(total, multi)
    assert d["samples"]["good"] == labels.count(True) and d["samples"]["bad"] == labels.count(False)


def _cycled(copies: int) -> SampleSet:
    """The math demo set repeated with fresh ids and groups: more groups and misclassified samples than a cap."""
    out = [Sample(f"{s.id}-x{c}", s.prompt, s.completion, f"{s.group}-x{c}", s.label, s.refs)
           for c in range(copies) for s in MATH]
    return SampleSet(out)


def test_per_sample_lists_keep_the_first_entries_and_count_the_rest(monkeypatch):
    """A cap of 5 on a set with hundreds of groups: the lists are the first 5 of the full ones, counts are whole."""
    samples = _cycled(20)
    n = len(samples)
    # A verifier that is wrong on every bad sample, a total that separates nothing, constant groups throughout.
    cols = [[1.0] * n for _ in SPEC.rules]
    matrix = _matrix(samples, cols)
    full = build_report(SPEC, samples, matrix).data
    monkeypatch.setattr(checks, "LIST_LIMIT", 5)
    capped = build_report(SPEC, samples, matrix).data
    assert capped["groups"]["zero_spread_ids"] == full["groups"]["zero_spread_ids"][:5]
    assert capped["groups"]["zero_spread"] == full["groups"]["zero_spread"] == len(samples.groups())
    for got, want in zip(capped["rules"], full["rules"]):
        if "misclassified" in want:
            assert want["misclassified_count"] == len(want["misclassified"]) > 5
            assert got["misclassified"] == want["misclassified"][:5]
            assert got["misclassified_count"] == want["misclassified_count"]


@pytest.mark.slow
def test_grpo_lists_are_capped_and_the_json_is_the_same_with_or_without_orjson(monkeypatch):
    from rewardsmith.diagnostics import grpo, registered

    samples = _cycled(20)
    matrix = _matrix(samples, [[float(i % 4 == 0) for i in range(len(samples))] for _ in SPEC.rules])
    full = diagnose(SPEC, samples, matrix, diagnostics=[grpo.DIAGNOSTIC]).part("grpo").data
    monkeypatch.setattr(checks, "LIST_LIMIT", 5)
    capped = diagnose(SPEC, samples, matrix, diagnostics=[grpo.DIAGNOSTIC]).part("grpo").data
    assert capped["groups"] == full["groups"][:5] and capped["group_count"] == full["group_count"] > 5
    assert list(capped["advantages"].items()) == list(full["advantages"].items())[:5]
    assert capped["zero_std_groups"] == full["zero_std_groups"][:5]
    assert capped["zero_std_group_count"] == full["zero_std_group_count"] == len(full["zero_std_groups"])
    assert capped["settings"] == full["settings"] and capped["rules"] == full["rules"]

    report = build_report(SPEC, samples, matrix)
    diagnose(SPEC, samples, matrix, diagnostics=[d for d in registered() if d.name in ("grpo", "weights")]).attach(report)
    fast = report_json(report)
    monkeypatch.setitem(__import__("sys").modules, "orjson", None)  # the standard json module's path
    slow = report_json(report)
    assert fast.startswith('{\n  "') and slow.startswith('{\n  "')  # indented either way
    assert json.loads(fast) == json.loads(slow) == json.loads(json.dumps(report.to_data()))
    assert fast.endswith("}\n") and slow.endswith("}\n")
