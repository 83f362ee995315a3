"""Diagnostics before training: robustness, hacking probes, GRPO signal, regex lint, TRL contract, weights.

``diagnose(spec, samples, matrix)`` runs every registered diagnostic (see ``diagnostic.py``: each
*plans* the completions it needs scored, then *concludes* from the scores) on a scored sample set.
Completions the diagnostics build (formatting variants, probes, demonstration strings) are scored
together, in one round, through the rendered module in the bench worker: every score shown is the
shipped code's score.

Severity policy
---------------
*error* (``rewardsmith test`` exits 1) is kept for what breaks or silently corrupts a TRL run,
whatever the intent of the spec:

- a reference column a rule needs is missing from the samples, or is one TRL never passes;
- ``REWARD_WEIGHTS`` and ``REWARD_FUNCS`` differ in length; a function cannot be pickled, does not
  accept TRL's extra keywords, or returns the wrong number of scores;
- a signal-based timeout inside an async reward function (TRL runs those off the main thread);
- the diagnostics could not run the module at all.

*warning* (reported, never fails) is everything that judges behaviour: robustness variants, probes
that pay, regex lint, scope "first" on tool transcripts, chat-template prefill, zero-spread and
duplicate rules, weights that drown a rule. Presets reproduce published quirks on purpose
(Unsloth's soft format without DOTALL, completion[0]), so their findings are warnings by
construction and `rewardsmith demo` exports keep working; a preset only gets an error when the
samples cannot feed it (a missing column), which would crash training too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..bench import Bench, ScoreMatrix
from ..checks import Check, Report
from ..errors import BenchError
from ..judging import worker_env_allow
from ..render import render_module
from ..samples import GroupReservoir, SampleSet
from ..spec import RewardSpec
from . import contract, grpo, lint, probes, variants, weights  # noqa: F401  (importing one registers it)
from ._common import Context, Part, Scored, score_candidates
from .diagnostic import Diagnostic, Plan, register, registered
from .grpo import AGGREGATIONS, SCALE_REWARDS, Advantages, advantage_preview, trl_advantages

__all__ = [
    "AGGREGATIONS",
    "EVERY_SAMPLE",
    "MAX_GROUPS",
    "SCALE_REWARDS",
    "Advantages",
    "Diagnostic",
    "Diagnostics",
    "Plan",
    "advantage_preview",
    "bounded",
    "diagnose",
    "register",
    "registered",
    "trl_advantages",
]


@dataclass
class Diagnostics:
    """Every check's lines, findings and data; attach() adds them to a core report."""

    parts: list[Part] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sections(self) -> list[dict[str, Any]]:
        return [{"title": p.title, "lines": list(p.lines)} for p in self.parts]

    @property
    def checks(self) -> list[Check]:
        return [c for p in self.parts for c in p.checks]

    @property
    def errors(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "error" and not c.ok]

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)

    def to_data(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "checks": [c.to_data() for c in self.checks],
            **{p.name: {"title": p.title, "lines": p.lines, **p.data} for p in self.parts},
        }

    def attach(self, report: Report) -> None:
        """Add the sections (terminal), the checks (exit code) and the data (JSON) to `report`."""
        report.data.setdefault("sections", []).extend(self.sections)
        report.data["diagnostics"] = self.to_data()
        report.checks.extend(self.checks)


def diagnose(
    spec: RewardSpec,
    samples: SampleSet,
    matrix: ScoreMatrix,
    *,
    bench: Bench | None = None,
    source: str | None = None,
    aggregation: str = "sum_then_normalize",
    scale_rewards: str = "group",
    diagnostics: Sequence[Diagnostic[Any]] | None = None,
    max_groups: int | None = None,
) -> Diagnostics:
    """Run every diagnostic on `samples` scored into `matrix`.

    Args:
        bench: a worker to reuse (it is left holding the diagnostics' completions); one is started
            and closed otherwise.
        source: the module to check (an exported ``rewards.py``); the spec is rendered otherwise.
        aggregation / scale_rewards: TRL's ``multi_objective_aggregation`` and ``scale_rewards``
            the GRPO and weights sections assume.
        diagnostics: the diagnostics to run, in this order; every registered one by default.
        max_groups: the groups the per-sample diagnostics (variants, probes, lint, contract) look at, drawn
            with a fixed seed (default :data:`MAX_GROUPS`); the GRPO and weights sections read every sample.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {', '.join(AGGREGATIONS)}")
    if scale_rewards not in SCALE_REWARDS:
        raise ValueError(f"scale_rewards must be one of {', '.join(SCALE_REWARDS)}")
    began = time.perf_counter()
    code = source if source is not None else render_module(spec)
    ctx = Context(spec, samples, matrix, code, aggregation=aggregation, scale_rewards=scale_rewards)
    few, sampling = bounded(samples, matrix, max_groups)
    small = ctx if few is samples else Context(spec, few, sampling.matrix, code, aggregation=aggregation,
                                               scale_rewards=scale_rewards)
    chosen = registered() if diagnostics is None else tuple(diagnostics)
    contexts = [ctx if d.name in EVERY_SAMPLE else small for d in chosen]
    plans = [d.plan(c) for d, c in zip(chosen, contexts)]
    scored, problem = _score_plans(spec, plans, code, bench)
    parts = [d.conclude(c, p, scored) for d, c, p in zip(chosen, contexts, plans)]
    if sampling.line:
        note = Part("sampling", "Diagnostics sample")
        note.lines.append(sampling.line)
        note.data.update(groups=sampling.groups, of=sampling.of, seed=sampling.seed,
                         samples=len(few), every_sample=sorted(EVERY_SAMPLE))
        parts.insert(0, note)
    if problem:
        bench_part = Part("bench", "Diagnostics")
        bench_part.lines.append(f"the module could not be run for the diagnostics: {problem}")
        bench_part.error("module", f"the diagnostics could not run the module: {problem}")
        parts.insert(0, bench_part)
    return Diagnostics(parts, time.perf_counter() - began)


# Diagnostics that build completions from samples look at this many groups at most: their cost then stays
# flat as files grow. Those in EVERY_SAMPLE read only scores (vectorised) and see every sample.
MAX_GROUPS = 2_000
SAMPLE_SEED = 0
EVERY_SAMPLE = frozenset({"grpo", "weights"})


@dataclass
class Sampling:
    """Which groups the bounded diagnostics saw, and the matrix restricted to them."""

    matrix: ScoreMatrix
    groups: int
    of: int
    seed: int = SAMPLE_SEED

    @property
    def line(self) -> str:
        if self.groups >= self.of:
            return ""
        return (f"diagnostics on {self.groups:,} of {self.of:,} groups (drawn with seed {self.seed}); "
                f"the GRPO and weights sections and the report's statistics use every sample")


def bounded(samples: SampleSet, matrix: ScoreMatrix, max_groups: int | None = None,
            seed: int = SAMPLE_SEED) -> tuple[SampleSet, Sampling]:
    """At most `max_groups` whole groups of `samples` (in file order) and their rows of `matrix`.

    The groups are those a :class:`GroupReservoir` keeps, so a lean set (``load_samples(lean=...)``), whose
    loader kept the texts of exactly those groups, gives the same sample as the whole set would.
    """
    limit = MAX_GROUPS if max_groups is None else max_groups
    groups = samples.groups()
    if samples.texts is not None:
        keep, sub = samples.texts
    elif len(groups) <= limit:
        return samples, Sampling(matrix, len(groups), len(groups), seed)
    else:
        reservoir = GroupReservoir(limit, seed)
        for g in groups:
            reservoir.offer(g)
        chosen = reservoir.chosen
        keep = sorted(i for g in chosen for i in groups[g])
        sub = SampleSet([samples[i] for i in keep], samples.path, samples.fields, samples.dropped)
    where = {old: new for new, old in enumerate(keep)}
    small = ScoreMatrix(
        rules=list(matrix.rules), weights=list(matrix.weights), roles=list(matrix.roles),
        sample_ids=[matrix.sample_ids[i] for i in keep],
        scores={r: [col[i] for i in keep] for r, col in matrix.scores.items()},
        errors={r: {where[i]: m for i, m in e.items() if i in where} for r, e in matrix.errors.items()},
        seconds=dict(matrix.seconds),
    )
    return sub, Sampling(small, len(sub.groups()), len(groups), seed)


def _score_plans(spec: RewardSpec, plans: list[Plan], code: str, bench: Bench | None) -> tuple[Scored, str | None]:
    """Every plan's candidates scored through the module in one round (the slow ones in a second, short one).

    Returns the scores and, when the module could not be run, why (every candidate then goes unscored).
    """
    own = bench is None
    worker = bench or Bench(env_allow=worker_env_allow(spec))  # the approved judge's key only
    try:
        try:
            names = worker.load(code)
        except BenchError as exc:
            return Scored(failure=str(exc)), str(exc)
        unknown = [r.name for r in spec.rules if r.name not in names]
        if unknown:
            problem = (f"its REWARD_FUNCS ({', '.join(names) or 'none'}) do not include the spec's "
                       f"{', '.join(unknown)}")
            return Scored(failure=problem), problem
        scored = score_candidates(spec, [c for p in plans for c in p.candidates], source=code, bench=worker)
        slow = _score_near_misses(spec, [c for p in plans for c in p.slow], code, worker)
        scored.scores.update(slow.scores)
        scored.errors.update(slow.errors)
        return scored, scored.failure
    finally:
        if own:
            worker.close()


NEAR_MISS_LIMIT = 0.5  # seconds a backtracking demonstration may run in the worker before it counts as a hang


def _score_near_misses(spec: RewardSpec, candidates: list[Any], code: str, worker: Bench) -> Scored:
    """Near-miss strings for backtracking-prone patterns, alone and with a short limit: a hang costs little."""
    if not candidates:
        return Scored()
    limit = worker.time_limit
    worker.time_limit = min(limit, NEAR_MISS_LIMIT)
    try:
        return score_candidates(spec, candidates, source=code, bench=worker)
    finally:
        worker.time_limit = limit
