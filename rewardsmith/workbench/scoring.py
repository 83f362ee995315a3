"""Scores of the live rules on the loaded samples, kept current through one long-lived bench.

The bench worker keeps the samples between calls, so re-scoring one edited rule costs a module
load and one pass of that rule, not a restart and a resend of every sample. Workers run in
threads: every bench call goes through one lock, and a caller that was superseded (the user typed
again) can give up before its turn comes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import resource_tracker

from ..bench import Bench, ScoreMatrix, weighted_total
from ..render import render_module
from ..samples import SampleSet
from ..spec import RewardSpec, Rule

__all__ = ["RuleScores", "ScoreStore", "Scorer", "weighted_total"]


@dataclass
class RuleScores:
    scores: list[float | None]
    errors: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0
    digest: str = ""  # what was scored: the rule's behaviour-relevant content


def rule_digest(rule: Rule) -> str:
    """Changes when the rule's scores can change (not for rationale, weight or role)."""
    return f"{rule.kind}|{rule.params.model_dump_json()}"


class ScoreStore:
    """Scores per rule name for the samples currently loaded."""

    def __init__(self, sample_ids: Sequence[str] = ()) -> None:
        self.sample_ids = list(sample_ids)
        self.by_rule: dict[str, RuleScores] = {}

    def reset(self, sample_ids: Sequence[str]) -> None:
        self.sample_ids = list(sample_ids)
        self.by_rule.clear()

    def get(self, name: str) -> list[float | None] | None:
        item = self.by_rule.get(name)
        return item.scores if item is not None else None

    def stale(self, rules: Sequence[Rule]) -> list[Rule]:
        """Rules with no scores, or scores of an older version of the rule."""
        return [r for r in rules if r.name not in self.by_rule or self.by_rule[r.name].digest != rule_digest(r)]

    def rename(self, old: str, new: str) -> None:
        if old in self.by_rule:
            self.by_rule[new] = self.by_rule.pop(old)

    def total(self, rules: Sequence[Rule]) -> list[float | None]:
        return weighted_total(
            [self.by_rule[r.name].scores for r in rules if r.name in self.by_rule],
            [r.effective_weight for r in rules if r.name in self.by_rule],
            len(self.sample_ids),
        )

    def matrix(self, spec: RewardSpec) -> ScoreMatrix:
        """The core's score matrix for `spec` (every rule must have been scored)."""
        return ScoreMatrix(
            rules=[r.name for r in spec.rules],
            weights=[r.effective_weight for r in spec.rules],
            roles=[r.role for r in spec.rules],
            sample_ids=list(self.sample_ids),
            scores={r.name: self.by_rule[r.name].scores for r in spec.rules},
            errors={r.name: self.by_rule[r.name].errors for r in spec.rules},
            seconds={r.name: self.by_rule[r.name].seconds for r in spec.rules},
        )


class Scorer:
    """One bench worker for the session, shared by the scoring threads."""

    def __init__(self, *, time_limit: float = 2.0) -> None:
        # Start multiprocessing's resource tracker now, while stderr is the real one: inside a
        # running Textual app stderr is captured and has no file descriptor, and spawning the
        # tracker from there fails ("bad value(s) in fds_to_keep"). Every later bench reuses it.
        resource_tracker.ensure_running()
        # Batches of 1,024: at 100,000 samples a re-score is 98 round trips to the worker, not 391
        # (each costs the pipe and the wake-ups); a hung sample still costs only seconds.
        self._bench = Bench(time_limit=time_limit, batch_size=1024)
        self._lock = threading.Lock()
        self._source: str | None = None
        self._has_samples = False

    def warm(self) -> None:
        """Start the worker process now (it takes a moment), while the samples file is still loading."""
        with self._lock:
            if not self._has_samples:
                self._bench.set_samples(SampleSet([]))

    def set_samples(self, samples: SampleSet) -> None:
        with self._lock:
            self._bench.set_samples(samples)
            self._has_samples = True

    def score(
        self,
        spec: RewardSpec,
        names: Sequence[str],
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        count: int,
    ) -> dict[str, RuleScores]:
        """Render `spec`, then score the rules called `names` on every sample.

        Stops early (returning what it has) when `cancelled()` turns true between rules.
        """
        source = render_module(spec)
        out: dict[str, RuleScores] = {}
        with self._lock:
            if cancelled():
                return out
            if source != self._source:
                self._bench.load(source)
                self._source = source
            total = max(1, len(names) * count)
            for k, name in enumerate(names):
                if cancelled():
                    break
                base = k * count
                scores, errors, seconds = self._bench.score_rule(
                    name, (lambda done, base=base: progress(base + done, total)) if progress else None
                )
                out[name] = RuleScores(scores, errors, seconds, rule_digest(spec.rule(name)))
        return out

    def close(self) -> None:
        with self._lock:
            self._bench.close()
