"""The bench runs the rendered module in a worker: errors are isolated per sample, hangs are cut."""

from __future__ import annotations

import pytest

from rewardsmith.bench import Bench, ScoreMatrix, score_samples, weighted_total
from rewardsmith.errors import BenchError
from rewardsmith.checks import auc, best_threshold, build_report, zero_spread_groups
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import RewardSpec, Rule

# A module with the generated contract whose rules misbehave on purpose: the bench must survive them.
MISBEHAVING = '''
import time

def fine(prompts=None, completions=None, **kwargs):
    return [float(len(c)) for c in completions]

def raises_on_boom(prompts=None, completions=None, **kwargs):
    return [1 / 0 if c == "boom" else 1.0 for c in completions]

def hangs_on_slow(prompts=None, completions=None, **kwargs):
    out = []
    for c in completions:
        if c == "slow":
            time.sleep(60)
        out.append(0.5)
    return out

def wrong_length(prompts=None, completions=None, **kwargs):
    return [1.0]

def not_applicable(prompts=None, completions=None, **kwargs):
    return [None if c == "boom" else 2.0 for c in completions]

REWARD_FUNCS = [fine, raises_on_boom, hangs_on_slow, wrong_length, not_applicable]
REWARD_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.0]
'''


def _samples(texts, labels=None, groups=None):
    return SampleSet.from_samples([
        Sample(id=f"s{i}", prompt="p", completion=t, group=(groups[i] if groups else f"g{i}"),
               label=None if labels is None else labels[i])
        for i, t in enumerate(texts)
    ])


def _spec(names):
    # The spec only names the rules; the source above is what runs.
    return RewardSpec(name="t", rules=[Rule(name=n, kind="regex_format", params={"pattern": "x"}) for n in names])


def test_errors_and_hangs_are_isolated_per_sample():
    samples = _samples(["ok", "boom", "slow", "fine text"])
    spec = _spec(["fine", "raises_on_boom", "hangs_on_slow", "wrong_length", "not_applicable"])
    m = score_samples(spec, samples, source=MISBEHAVING, time_limit=0.5)
    assert m.scores["fine"] == [2.0, 4.0, 4.0, 9.0]
    assert m.scores["raises_on_boom"] == [1.0, None, 1.0, 1.0]
    assert list(m.errors["raises_on_boom"]) == [1]
    assert "ZeroDivisionError" in m.errors["raises_on_boom"][1]
    assert m.scores["hangs_on_slow"] == [0.5, 0.5, None, 0.5]
    assert m.errors["hangs_on_slow"] == {2: "timed out after 0.5 s"}
    assert set(m.errors["wrong_length"]) == {0, 1, 2, 3}
    assert "returned 1 scores for 4 completions" in m.errors["wrong_length"][0]
    assert m.scores["not_applicable"] == [2.0, None, 2.0, 2.0]
    assert m.errors["not_applicable"] == {}
    # TRL's nansum: a None is skipped, not counted as zero.
    assert m.total()[1] == 4.0 + 0.5  # fine + hangs; the error and the None are skipped
    report = build_report(spec, samples, m)
    failing = {c.id for c in report.failures()}
    assert {"errors:raises_on_boom", "errors:hangs_on_slow", "errors:wrong_length"} <= failing
    assert not report.passed


def test_a_module_that_fails_to_load_is_a_bench_error():
    with Bench() as bench, pytest.raises(BenchError, match="NameError"):
        bench.load("REWARD_FUNCS = [undefined_name]\n")


def test_bench_is_reusable_for_rescoring():
    samples = _samples(["a", "bb"])
    with Bench() as bench:
        bench.load(MISBEHAVING)
        bench.set_samples(samples)
        first = bench.score_rule("fine")
        second = bench.score_rule("fine")
    assert first[0] == second[0] == [1.0, 2.0]


def test_auc_with_ties_and_missing_values():
    assert auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert auc([0.5, 0.5, 0.5, 0.5], [True, False, True, False]) == 0.5
    assert auc([1.0, 0.0, 1.0, 0.0], [True, True, False, False]) == 0.5
    assert auc([None, 1.0, 0.0], [False, True, False]) == 1.0
    assert auc([1.0, 2.0], [True, True]) is None


def test_zero_spread_groups():
    groups = {"a": [0, 1], "b": [2, 3], "c": [4]}
    # Singleton groups carry no GRPO signal either way and are not counted.
    assert zero_spread_groups([1.0, 1.0, 0.0, 2.0, 5.0], groups) == ["a"]
    assert zero_spread_groups([1.0, None, 0.0, 2.0, 5.0], groups) == ["a"]


def _threshold_by_brute_force(scores, labels):
    pairs = [(s, y) for s, y in zip(scores, labels) if s is not None and y is not None]
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    best, cut_at = -1.0, None
    for cut in sorted({s for s, _ in pairs}):
        balanced = sum(1 for s, y in pairs if y and s >= cut) / pos + sum(1 for s, y in pairs if not y and s < cut) / neg
        if balanced > best + 1e-12:
            best, cut_at = balanced, cut
    return cut_at


@pytest.mark.parametrize("seed", range(30))
def test_best_threshold_agrees_with_brute_force(seed):
    import random

    rng = random.Random(seed)
    n = rng.randint(0, 60)
    levels = rng.choice([[0.0, 1.0], [0.0, 0.5, 1.0, 2.0], None])
    scores = [None if rng.random() < 0.1 else (rng.choice(levels) if levels else round(rng.uniform(-1, 1), 2))
              for _ in range(n)]
    labels = [None if rng.random() < 0.1 else rng.random() < 0.5 for _ in range(n)]
    assert best_threshold(scores, labels) == _threshold_by_brute_force(scores, labels)


def test_weighted_total_is_trls_nansum_with_fsum():
    # None is skipped (not zero); a sample every rule skipped stays None.
    assert weighted_total([[1.0, None, None], [2.0, 4.0, None]], [1.0, 0.5]) == [2.0, 2.0, None]
    # fsum: a large term cancelling out does not swallow a small one (a running sum gives 0.0).
    assert weighted_total([[1e16], [1.0], [-1e16]], [1.0, 1.0, 1.0]) == [1.0]
    assert weighted_total([], [], 3) == [None, None, None]
    with pytest.raises(ValueError, match="one weight per column"):
        weighted_total([[1.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="needs 2 values"):
        weighted_total([[1.0, 2.0], [1.0]], [1.0, 1.0])


def test_score_matrix_total_uses_the_effective_weights():
    spec = RewardSpec(name="t", rules=[
        Rule(name="r", kind="regex_format", params={"pattern": "x"}, weight=2.0),
        Rule(name="m", kind="regex_format", params={"pattern": "y"}, role="metric", weight=0.0),
    ])
    m = score_samples(spec, _samples(["x", "xy", "y"]))
    assert m.weights == [2.0, 0.0]
    assert m.scores["m"] == [0.0, 1.0, 1.0]
    assert m.total() == [2.0, 2.0, 0.0]  # the metric is scored but moves nothing
    assert m.total() == weighted_total([m.scores["r"], m.scores["m"]], [2.0, 0.0])
