"""Held-out measurement: propose on one half of a set (by group), test on the other half.

The proposal is tested the way `rewardsmith test` tests it: the spec is rendered, the module runs
in the bench worker on the held-out half, the report and the diagnostics are built as the command
builds them, and the report gives the total's AUC against the labels, the correctness rules' share
of the GRPO advantage, and the verdict (with the waiver, when the spec waives the correctness checks). The set's five-line baseline is scored on
the same held-out half.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardsmith.bench import score_samples
from rewardsmith.checks import auc, build_report
from rewardsmith.diagnostics import diagnose
from rewardsmith.errors import SampleError
from rewardsmith.propose.offline import propose_offline
from rewardsmith.samples import SampleSet
from rewardsmith.spec import RewardSpec

from .baselines import BASELINES
from .datasets import SETS, HeldoutSet, load_set

__all__ = ["Measurement", "measure", "split_by_group"]


@dataclass
class Measurement:
    """One set's figures on its held-out half."""

    name: str
    n: int  # held-out samples
    proposed_auc: float | None
    baseline_auc: float | None
    correctness_share: float | None  # correctness rules' share of the advantage (None: no groups of 2+)
    passed: bool  # what `rewardsmith test` says on the held-out half
    waiver: str | None  # the spec's written reason to need no correctness rule, when it gives one
    spec: RewardSpec | None  # None when the proposer found nothing to propose
    failures: list[str]  # the failing checks' messages, or why there is no proposal

    def row(self) -> dict[str, Any]:
        return {"set": self.name, "n": self.n, "proposed_auc": self.proposed_auc,
                "baseline_auc": self.baseline_auc, "correctness_share": self.correctness_share,
                "rules": [f"{r.name} ({r.kind}, {r.weight:g})" for r in self.spec.rules] if self.spec else [],
                "passed": self.passed, "waiver": self.waiver, "failures": self.failures}


def _half(group: str) -> int:
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 2


def split_by_group(samples: SampleSet) -> tuple[SampleSet, SampleSet]:
    """Two halves with no group in both; the same split every run (a hash of the group id)."""
    halves: tuple[list[Any], list[Any]] = ([], [])
    for s in samples:
        halves[_half(s.group)].append(s)
    return SampleSet(halves[0], samples.path, samples.fields), SampleSet(halves[1], samples.path, samples.fields)


def _text(completion: Any) -> str:
    return completion if isinstance(completion, str) else str(completion)


def measure(name: str, cache_dir: Path | None = None) -> Measurement:
    """Propose on the first half of set `name`, test the proposal and the baseline on the second."""
    spec_of_set: HeldoutSet = SETS[name]
    train, held = split_by_group(load_set(spec_of_set, cache_dir))
    labels = [s.is_good for s in held]
    baseline = BASELINES[spec_of_set.baseline]
    gold = spec_of_set.gold
    base_scores = [baseline(_text(s.completion), s.refs.get(gold) if gold else None) for s in held]
    try:
        spec = propose_offline(train, name=f"{name}-heldout")
    except SampleError as exc:  # the proposer found nothing to reward: a figure of its own
        return Measurement(name=name, n=len(held), proposed_auc=None, baseline_auc=auc(base_scores, labels),
                           correctness_share=None, passed=False, waiver=None, spec=None,
                           failures=[f"no proposal: {exc}"])
    matrix = score_samples(spec, held)
    report = build_report(spec, held, matrix)
    diagnose(spec, held, matrix).attach(report)  # as `rewardsmith test` does: its findings can fail the test
    return Measurement(
        name=name, n=len(held), proposed_auc=report.data["total"].get("auc"), baseline_auc=auc(base_scores, labels),
        correctness_share=report.data["correctness"]["advantage_share"], passed=report.passed,
        waiver=spec.expectations.correctness_waiver, spec=spec, failures=[c.message for c in report.failures()],
    )
