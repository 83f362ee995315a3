"""Refinement: test a spec, send the report to the model, get a revised spec, test again — until the checks pass.

What Eureka does with training runs, done before any GPU time: the reflection prompt carries each
rule's stats, the AUC of the weighted total, confusion of the verifiers, the misclassified samples
with each rule's score on them, the zero-spread groups, and the robustness and reward-hacking
findings of :mod:`rewardsmith.diagnostics` when it is installed.

Every round is kept: ``DIR/round-K/`` holds ``spec.yaml``, ``report.json`` and ``record.json``
(tokens, cost, model, persona, timing, whether a repair was needed); ``DIR/summary.json`` lists the
rounds side by side and names the best. Round 0 is the spec given. A failure (a timeout, an answer
that stays invalid, the token cap) is written to its round's record before it is raised, and the
earlier rounds stay on disk: the user's work is never lost.

The checks are the spec's expectations. The model may not touch them (it could pass them by
deleting them): every revision keeps the name, task and expectations of the spec it revises. A spec
without expectations gets targets (``min_auc`` on labelled samples, ``max_zero_spread`` on grouped
ones), so "the checks pass" means something.

Passing the checks is not where refine stops by default (``RefineOptions.aim = "high"``): an AUC
of 0.9 is met by specs a trick still games. A round is done when :func:`open_targets` finds
nothing: no failed check, no hacking probe that earns what a correct answer earns, no GRPO signal
below its target, no correctness check (the held-out folds of the gate's checks included) that
fails or warns. ``aim = "checks"`` stops at the checks alone.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bench import Bench, ScoreMatrix
from ..checks import Report
from ..errors import LLMConfigError, LLMError
from ..fsutil import write_atomic
from ..samples import SampleSet
from ..spec import Expectations, RewardSpec, dump_spec
from .answers import ask_for_spec, spec_from_answer
from .prompts import ShownSample, reflect_messages, show_sample
from .ranking import evaluate, rank_key
from .session import LLMSession, settings_from
from .settings import LLMSettings
from .usage import Usage

__all__ = [
    "DEFAULT_MAX_ZERO_SPREAD",
    "DEFAULT_MIN_AUC",
    "open_targets",
    "RefineOptions",
    "Refinement",
    "Round",
    "RoundContext",
    "RoundResult",
    "default_out_dir",
    "first_round",
    "refine",
    "report_for_prompt",
    "run_round",
    "with_targets",
]

DEFAULT_MIN_AUC = 0.9
DEFAULT_MAX_ZERO_SPREAD = 0.5
PROPOSER = "llm-refine"
MAX_FAILING_SHOWN = 6
MAX_FINDINGS = 20

Progress = Callable[..., Any]
_EPS = 1e-9


def open_targets(report: Report) -> list[str]:
    """Why another round is needed, in words the model reads; empty when the spec is done.

    Failed checks (the expectations, the correctness gate); a probe whose total reaches a correct
    answer's (a trick that earns full credit); correctness checks that only warn (a shaping rule
    that outweighs the answer rule, a held-out fold that separates poorly).
    """
    reasons = [c.message for c in report.failures()]
    reasons += [c.message for c in report.checks
                if not c.ok and c.severity != "error" and c.id.startswith("correctness:")]
    diagnostics = report.data.get("diagnostics")
    probes = diagnostics.get("probes") if isinstance(diagnostics, dict) else None
    worst = probes.get("worst") if isinstance(probes, dict) else None
    if isinstance(worst, dict) and worst.get("correct_total") is not None and worst.get("total") is not None:
        if worst["total"] >= worst["correct_total"] - _EPS:
            reasons.append(
                f"a probe built to game the reward earns as much as a correct answer: {worst['probe']} "
                f"({worst['detail']}) reaches a total of {worst['total']:.3g}, a correct answer "
                f"{worst['correct_total']:.3g}; no trick may earn what a correct answer earns")
    return reasons


@dataclass
class Round:
    number: int
    spec: RewardSpec
    report: Report | None
    record: dict[str, Any]
    directory: Path | None = None

    def headline(self) -> dict[str, Any]:
        if self.report is None:
            return {"round": self.number, "auc": None, "zero_spread": None, "failed": None, "passed": False,
                    "error": self.record.get("error")}
        data = self.report.data
        return {
            "round": self.number,
            "spec_hash": self.spec.fingerprint(),
            "auc": _round(data["total"].get("auc")),
            "zero_spread": _round(data["groups"].get("zero_spread_share")),
            "failed": len(self.report.failures()),
            "warnings": sum(1 for c in self.report.checks if not c.ok and c.severity != "error"),
            "passed": self.report.passed,
            "open_targets": len(open_targets(self.report)),
        }


@dataclass
class Refinement:
    rounds: list[Round]
    usage: Usage
    stopped: str
    out_dir: Path | None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> Round:
        """The passing round with the best report, else the best report of all (latest wins ties)."""
        tested = [r for r in self.rounds if r.report is not None]
        return min(tested, key=lambda r: (not r.report.passed, len(open_targets(r.report)),  # type: ignore[arg-type]
                                          rank_key(r.report), -r.number))

    @property
    def passed(self) -> bool:
        return any(r.report is not None and r.report.passed for r in self.rounds)

    def summary(self) -> dict[str, Any]:
        return {
            "stopped": self.stopped,
            "best_round": self.best.number,
            "rounds": [r.headline() for r in self.rounds],
            "settings": self.settings,
            "usage": {k: v for k, v in self.usage.to_data().items() if k != "calls"},
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def with_targets(spec: RewardSpec, samples: SampleSet, *, min_auc: float | None = None,
                 max_zero_spread: float | None = None) -> RewardSpec:
    """`spec` with targets to refine towards: the ones given, or defaults when it has no expectations."""
    exp = spec.expectations.model_copy(deep=True)
    has_any = bool(spec.expectations.model_dump(exclude_defaults=True))
    if min_auc is not None:
        exp.min_auc = min_auc
    elif not has_any and samples.labelled:
        exp.min_auc = DEFAULT_MIN_AUC
    multi = any(len(idx) > 1 for idx in samples.groups().values())
    if max_zero_spread is not None:
        exp.max_zero_spread = max_zero_spread
    elif not has_any and multi:
        exp.max_zero_spread = DEFAULT_MAX_ZERO_SPREAD
    if exp == spec.expectations:
        return spec
    out = spec.model_copy(deep=True)
    out.expectations = Expectations.model_validate(exp.model_dump())
    doc = spec.__dict__.get("_doc")
    if doc is not None:  # keep the user's comments when the round-0 spec is written
        out.__dict__["_doc"] = doc
    return out


def _fmt(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def report_for_prompt(report: Report, matrix: ScoreMatrix, samples: SampleSet,
                      limit: int = MAX_FAILING_SHOWN) -> tuple[dict[str, Any], list[ShownSample]]:
    """The report as the reflection prompt shows it, and the failing samples with their scores.

    Failing samples: good ones the total ranks below the threshold and bad ones above it, half and
    half, worst first; each with every rule's score and the total, so the model sees which rule
    let it through.
    """
    data = report.data
    keys = ("name", "kind", "role", "weight", "mean", "min", "max", "auc", "constant", "errors", "nones",
            "accuracy", "confusion", "zero_spread_share")
    rules = [{k: _fmt(r.get(k)) for k in keys} for r in data["rules"]]
    for r in rules:
        r["line"] = _rule_line(r)
    total = data["total"]
    misclassified = list(total.get("misclassified") or [])
    groups = data["groups"]
    failed = [c.to_data() for c in report.checks if not c.ok and c.severity == "error"]
    findings = [c.message for c in report.checks if not c.ok and c.severity != "error"][:MAX_FINDINGS]
    compact = {
        "total": {"auc": _fmt(total.get("auc")), "threshold": _fmt(total.get("threshold")),
                  "misclassified_count": total.get("misclassified_count", len(misclassified))},
        "groups": {"multi": groups.get("multi", 0), "zero_spread": groups.get("zero_spread", 0),
                   "zero_spread_ids": list(groups.get("zero_spread_ids") or [])[:12]},
        "rules": rules,
        "failed": failed,
        "findings": findings,
    }
    totals = matrix.total()
    index = {sid: i for i, sid in enumerate(matrix.sample_ids)}
    by_id = {s.id: s for s in samples}
    cut = total.get("threshold")
    false_neg = [sid for sid in misclassified if by_id[sid].is_good]
    false_pos = [sid for sid in misclassified if by_id[sid].is_good is False]
    # Worst first: good samples scored lowest, bad samples scored highest.
    false_neg.sort(key=lambda sid: totals[index[sid]] if totals[index[sid]] is not None else float("-inf"))
    false_pos.sort(key=lambda sid: -(totals[index[sid]] or 0.0))
    half = max(1, limit // 2)
    picked = false_neg[:half] + false_pos[:half]
    picked += [sid for sid in false_neg[half:] + false_pos[half:]][: max(0, limit - len(picked))]
    failing = []
    for sid in picked:
        shown = show_sample(by_id[sid], 1200)
        i = index[sid]
        scores = {rule: _fmt(matrix.scores[rule][i]) for rule in matrix.rules}
        scores["TOTAL"] = _fmt(totals[i])
        if cut is not None:
            scores["threshold"] = _fmt(cut)
        shown.scores = scores
        failing.append(shown)
    return compact, failing


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _rule_line(r: dict[str, Any]) -> str:
    """One rule's figures in a sentence the model can read."""
    parts = [f"{r['name']} ({r['kind']}, {r['role']}, weight {r['weight']}): mean {r['mean']}, "
             f"min {r['min']}, max {r['max']}"]
    if r.get("auc") is not None:
        parts.append(f"AUC {r['auc']}")
    if r.get("constant"):
        parts.append("CONSTANT on every sample")
    if r.get("errors"):
        parts.append(f"raised on {r['errors']} samples")
    if r.get("nones"):
        parts.append(f"None (not applicable) on {r['nones']} samples")
    if r.get("accuracy") is not None and r.get("confusion"):
        c = r["confusion"]
        parts.append(f"verifier accuracy {r['accuracy']} (tp {c['tp']}, fp {c['fp']}, tn {c['tn']}, fn {c['fn']})")
    if r.get("zero_spread_share") is not None:
        parts.append(f"zero spread in {_pct(r['zero_spread_share'])} of groups")
    return ", ".join(parts)


def default_out_dir(spec_path: str | Path) -> Path:
    """`SPEC.rounds/` beside the spec, or the first of `SPEC.rounds-2/`, `-3/` … that is free."""
    base = Path(spec_path)
    stem = base.with_suffix("") if base.suffix in (".yaml", ".yml", ".json") else base
    candidate = stem.parent / f"{stem.name}.rounds"
    n = 2
    while candidate.exists():
        candidate = stem.parent / f"{stem.name}.rounds-{n}"
        n += 1
    return candidate


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise LLMConfigError(f"{out_dir} exists and is not a folder")
        taken = sorted(p.name for p in out_dir.glob("round-*"))
        if taken:
            raise LLMConfigError(f"{out_dir} already holds a refine run ({', '.join(taken[:3])} …); "
                                 "choose another --out-dir so that run stays as it is")
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_round(out_dir: Path | None, result: RoundResult) -> None:
    """A tested round's spec, report and record; a failed round's record only (it has no spec of its own)."""
    if out_dir is None:
        return
    rnd = result.round
    folder = out_dir / f"round-{rnd.number}"
    if result.error is None:
        rnd.directory = folder
        write_atomic(folder / "spec.yaml", dump_spec(rnd.spec))
        if rnd.report is not None:
            write_atomic(folder / "report.json", json.dumps(rnd.report.to_data(), indent=1, default=str) + "\n")
    write_atomic(folder / "record.json", json.dumps(rnd.record, indent=1, default=str) + "\n")


def _write_summary(out_dir: Path | None, result: Refinement) -> None:
    if out_dir is None:
        return
    write_atomic(out_dir / "summary.json", json.dumps(result.summary(), indent=1, default=str) + "\n")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class RefineOptions:
    """How a refine run goes (the model and its limits are :class:`~rewardsmith.propose.settings.LLMSettings`).

    Args:
        rounds: reflection rounds at most, 0 to 20; the run stops early when the checks pass.
        out_dir: where every round is written (``round-K/`` and ``summary.json``); None keeps them in memory.
        persona: a bundled persona name or a persona file.
        instructions: extra instructions in plain words, sent with every round.
        min_auc: the target AUC of the weighted total (a default when the spec has no expectations).
        max_zero_spread: the target share of zero-spread groups (likewise).
        diagnostics: add the robustness and reward-hacking findings to the report the model reads.
        aim: "high" (another round while :func:`open_targets` finds anything: failed checks, a probe
            that earns what a correct answer earns, correctness warnings) or "checks" (stop when the
            checks pass). "high" needs ``diagnostics`` for the probes.
        time_limit: seconds per rule call when the bench scores a spec.
        template_dir: a folder of prompt templates that overrides the bundled ones.
    """

    rounds: int = 3
    out_dir: str | Path | None = None
    persona: str | None = None
    instructions: str = ""
    min_auc: float | None = None
    max_zero_spread: float | None = None
    diagnostics: bool = True
    aim: str = "high"
    time_limit: float = 2.0
    template_dir: Any = None

    def __post_init__(self) -> None:
        if self.rounds < 0 or self.rounds > 20:
            raise LLMConfigError("rounds must be between 0 and 20")
        if self.aim not in ("high", "checks"):
            raise LLMConfigError("aim must be high or checks")

    def done(self, report: Report | None) -> bool:
        """Whether a round with `report` ends the run."""
        if report is None or not report.passed:
            return False
        return self.aim == "checks" or not open_targets(report)

    @property
    def folder(self) -> Path | None:
        return Path(self.out_dir) if self.out_dir is not None else None


@dataclass(frozen=True)
class RoundContext:
    """What every round of one run shares: the session, the samples, the options and the bench."""

    session: LLMSession
    samples: SampleSet
    options: RefineOptions
    bench: Bench

    def score(self, spec: RewardSpec) -> tuple[Report, ScoreMatrix, float]:
        """Score `spec`, build its report; with the seconds it took."""
        began = time.perf_counter()
        report, matrix = evaluate(spec, self.samples, time_limit=self.options.time_limit,
                                  diagnostics=self.options.diagnostics, bench=self.bench)
        return report, matrix, time.perf_counter() - began


@dataclass
class RoundResult:
    """One round as recorded, the scores behind its report, or the LLM error that ended it.

    A failed round carries the spec it meant to revise and no report; its record holds the error.
    """

    round: Round
    matrix: ScoreMatrix | None = None
    error: LLMError | None = None


def first_round(spec: RewardSpec, ctx: RoundContext) -> RoundResult:
    """Round 0: the spec as given (with its targets), tested; no model is asked."""
    ctx.session.say("round 0: testing the spec as given …")
    report, matrix, seconds = ctx.score(spec)
    zero = Round(0, spec, report, {
        "round": 0, "started": _now(), "proposer": spec.provenance.proposer, "spec_hash": spec.fingerprint(),
        "seconds": {"llm": 0.0, "test": round(seconds, 3)},
        "usage": Usage().to_data(), "error": None,
    })
    zero.record["headline"] = zero.headline()
    zero.record["checks"] = _checks(report)
    return RoundResult(zero, matrix)


def run_round(number: int, previous: RoundResult, history: list[Round], ctx: RoundContext) -> RoundResult:
    """Round `number`: send `previous`'s report to the model, validate the revised spec, test it.

    Args:
        number: this round's number (1 or more).
        previous: the round before, tested (its report and scores are what the model reads).
        history: the rounds before `previous`, summed up in the prompt so the model sees the trend.
        ctx: what the rounds share.

    Returns:
        The tested revision; or, when the model request fails (an answer that stays invalid, a
        timeout, the token cap), a result whose ``error`` says so and whose record carries it.
    """
    session, samples, options = ctx.session, ctx.samples, ctx.options
    base = previous.round.spec
    assert previous.round.report is not None and previous.matrix is not None
    compact, failing = report_for_prompt(previous.round.report, previous.matrix, samples)
    trend = [f"round {h['round']}: AUC {h['auc']}, zero-spread groups {_pct(h['zero_spread'])}, "
             f"failed checks {h['failed']}" for h in (r.headline() for r in history)]
    prompt = reflect_messages(
        samples, task=base.task, spec_json=json.dumps(_spec_for_prompt(base), indent=1, ensure_ascii=False),
        report=compact, failing=failing, persona=options.persona, instructions=options.instructions,
        round_no=number, history=trend, template_dir=options.template_dir,
        keep_names=sorted(set(base.expectations.rule_min_auc) | {p.rule for p in base.expectations.pins}),
        reasons=open_targets(previous.round.report),
    )
    provenance = {
        "proposer": PROPOSER,
        "model": session.settings.model,
        "persona": prompt.persona,
        "samples": samples.fingerprint(),
        "round": number,
        "parent": base.fingerprint(),
        "instructions": options.instructions.strip() or None,
    }

    def build(text: str, finish: str | None) -> RewardSpec:
        # The model revises description and rules; name, task and the checks stay the user's.
        return spec_from_answer(text, name=base.name, task=base.task, provenance=provenance,
                                expectations=base.expectations, finish_reason=finish)

    record: dict[str, Any] = {
        "round": number, "started": _now(), "proposer": PROPOSER, "model": session.settings.model,
        "persona": prompt.persona, "parent_hash": base.fingerprint(), "settings": session.settings.public(),
        "prompt_chars": prompt.chars, "failing_shown": prompt.shown, "error": None,
    }
    calls_before = len(session.usage.calls)
    began = time.perf_counter()
    try:
        revised, info = session.run(ask_for_spec(session, prompt, purpose=f"round {number}", build=build))
    except LLMError as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["seconds"] = {"llm": round(time.perf_counter() - began, 3), "test": 0.0}
        record["usage"] = session.usage.since(calls_before).to_data()
        return RoundResult(Round(number, base, None, record), error=exc)
    llm_seconds = time.perf_counter() - began
    session.say(f"round {number}: testing the revised spec …")
    report, matrix, test_seconds = ctx.score(revised)
    record.update(
        spec_hash=revised.fingerprint(),
        repaired=info["repaired"],
        repairs=info["repairs"],
        first_answer_problems=info["problems"],
        seconds={"llm": round(llm_seconds, 3), "test": round(test_seconds, 3)},
        usage=session.usage.since(calls_before).to_data(),
        session={"tokens": session.usage.tokens, "cost_usd": session.usage.cost,
                 "cost_known": session.usage.cost_known},
        checks=_checks(report),
    )
    rnd = Round(number, revised, report, record)
    record["headline"] = rnd.headline()
    return RoundResult(rnd, matrix)


def refine(
    spec: RewardSpec,
    samples: SampleSet,
    options: RefineOptions | None = None,
    *,
    settings: LLMSettings | None = None,
    session: LLMSession | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Refinement:
    """Up to ``options.rounds`` reflection rounds on `spec`; stops early when the checks pass.

    Args:
        spec: the spec to refine (round 0).
        samples: what every round is tested on.
        options: the run's settings (:class:`RefineOptions`; its defaults when None).
        settings: the model and its limits; resolved from the environment and config file when None.
        session: a session to run in (its settings, cache and usage) instead of a new one.
        progress: called with short status strings.
        cancel: set it (from any thread) to stop before the next round and abort a request in flight.

    Returns every round (round 0 is `spec` itself, with its targets). Raises an LLMError subclass
    when a round fails; that round's record (with the error) and all earlier rounds are on disk
    in ``options.out_dir`` first.
    """
    options = options or RefineOptions()
    if len(samples) == 0:
        raise LLMConfigError("there are no samples to test the spec on")
    session = session or LLMSession(settings_from(settings, None, None), cancel=cancel, progress=progress)
    folder = options.folder
    if folder is not None:
        _prepare_out_dir(folder)
    current = with_targets(spec, samples, min_auc=options.min_auc, max_zero_spread=options.max_zero_spread)
    result = Refinement(rounds=[], usage=session.usage, stopped="", out_dir=folder, settings=session.settings.public())

    with Bench(time_limit=options.time_limit) as bench:
        ctx = RoundContext(session, samples, options, bench)
        last = first_round(current, ctx)
        result.rounds.append(last.round)
        _write_round(folder, last)
        _write_summary(folder, result)

        for number in range(1, options.rounds + 1):
            if options.done(last.round.report):
                break
            if session.cancel.is_set():
                result.stopped = f"cancelled before round {number}"
                _write_summary(folder, result)
                return result
            outcome = run_round(number, last, result.rounds[:-1], ctx)
            result.rounds.append(outcome.round)
            _write_round(folder, outcome)
            if outcome.error is not None:
                result.stopped = f"round {number} failed: {type(outcome.error).__name__}"
                _write_summary(folder, result)
                raise outcome.error
            _write_summary(folder, result)
            last = outcome

    final = result.rounds[-1]
    if options.done(final.report):
        result.stopped = "the checks pass" if final.number else "the checks already pass: nothing to refine"
        if options.aim == "high":
            result.stopped += ", and no probe earns what a correct answer earns"
    elif final.report is not None and final.report.passed:
        result.stopped = (f"{options.rounds} round(s) done; the checks pass, but "
                          f"{len(open_targets(final.report))} target(s) are still open")
    else:
        result.stopped = f"{options.rounds} round(s) done; checks still fail"
    _write_summary(folder, result)
    return result


def _checks(report: Report) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "failed": [c.message for c in report.failures()],
        "warnings": [c.message for c in report.checks if not c.ok and c.severity != "error"][:MAX_FINDINGS],
        "open_targets": open_targets(report),
    }


def _spec_for_prompt(spec: RewardSpec) -> dict[str, Any]:
    """What the model revises: description and rules (name, task, expectations are not its to change)."""
    data = spec.to_data()
    return {"description": data.get("description", ""), "rules": [
        {k: v for k, v in rule.items() if k != "provenance"} for rule in data["rules"]
    ]}
