"""``rewardsmith audit``: the report ``test`` gives a spec, for reward functions rewardsmith did not write.

The audited functions stand in a pseudo-spec of :class:`~rewardsmith.kinds.opaque.Opaque` rules (one
per function, named as TRL logs it): every registered diagnostic then runs unchanged, on the
variants and probes any reward must survive, the regexes the AST found, the column each signature
takes. Every score comes from the user's own code, run in the bench worker exactly as TRL calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from ..bench import Bench, ScoreMatrix, score_samples
from ..checks import Report, build_report
from ..completions import message_text, messages_of
from ..diagnostics import Diagnostics, diagnose
from ..diagnostics._common import Part, assistant_texts
from ..kinds import Extract
from ..samples import SampleSet
from ..spec import RewardSpec, Rule, check_rule_name
from .source import AuditError, AuditSource, FunctionFacts, analyse, build_source, locate

__all__ = ["Audit", "answer_markup", "audit", "pseudo_spec", "with_completion_ids"]

_MAIN_THREAD = "signal only works in main thread"


@dataclass
class Audit:
    """One audit: what ran, what it scored, what the diagnostics found."""

    source: AuditSource
    spec: RewardSpec
    samples: SampleSet
    facts: list[FunctionFacts]
    matrix: ScoreMatrix
    report: Report
    diagnostics: Diagnostics
    threads: dict[str, str | None] = field(default_factory=dict)  # function -> what it raised off the main thread


def _texts(samples: SampleSet) -> list[str]:
    out = []
    for s in samples:
        messages = messages_of(s.completion)
        out.append(s.completion if messages is None else "\n".join(message_text(m) for m in messages))
    return out


def answer_markup(samples: SampleSet) -> Extract | None:
    """Where the samples put their answers, for the probes: an <answer> tag, a \\boxed{}, or unknown (None)."""
    texts = _texts(samples)
    if not texts:
        return None
    if sum("</answer>" in t for t in texts) * 2 >= len(texts):
        return Extract(method="xml_tag", tag="answer")
    if sum("\\boxed{" in t for t in texts) * 2 >= len(texts):
        return Extract(method="boxed")
    return None


def pseudo_spec(source: AuditSource, located: dict[str, Any], facts: list[FunctionFacts],
                samples: SampleSet) -> RewardSpec:
    """One opaque rule per audited function, carrying what the AST and the samples tell about it."""
    weights = located.get("weights") or [1.0] * len(facts)
    if len(weights) != len(facts):
        raise AuditError(f"REWARD_WEIGHTS has {len(weights)} weights for {len(facts)} functions: "
                         "give one weight per function (--weights 1,0.5)")
    extract = answer_markup(samples)
    rules = []
    for f, weight, origin in zip(facts, weights, source.origins):
        try:
            check_rule_name(f.name)
        except ValueError as exc:
            raise AuditError(f"{origin}: {exc}") from None
        params = {"origin": origin, "scope": "first" if f.first_message else "last", "reference": f.reference,
                  "extract": extract.model_dump() if extract else None, "source_patterns": f.patterns}
        rules.append(Rule(name=f.name, kind="opaque", weight=float(weight), params=params))
    names = [r.name for r in rules]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise AuditError(f"two audited functions are called {doubled[0]!r} (TRL would log both as "
                         f"rewards/{doubled[0]}): audit them one at a time")
    return RewardSpec(name="audit", description="audited reward functions", rules=rules,
                      provenance={"proposer": "hand", "source": ", ".join(source.origins)[:500]})


def with_completion_ids(samples: SampleSet) -> SampleSet:
    """`samples` with a ``completion_ids`` column where they have none: TRL always passes token ids.

    Without the policy's tokenizer the ids here are the UTF-8 bytes of the assistant text, so a
    length in "tokens" is a length in bytes (the audit says so); give the column in the samples for real ids.
    """
    if "completion_ids" in samples.columns:
        return samples
    rows = [replace(s, refs={**s.refs, "completion_ids": list("\n".join(assistant_texts(s.completion)).encode())})
            for s in samples]
    return SampleSet(rows, samples.path)


def _thread_payload(samples: SampleSet, n: int = 2) -> dict[str, Any]:
    rows = list(samples)[:n]
    return {"prompts": [s.prompt for s in rows], "completions": [s.completion for s in rows],
            "columns": {c: [s.refs.get(c) for s in rows] for c in samples.columns}}


def _audit_part(audit_source: AuditSource, spec: RewardSpec, facts: list[FunctionFacts],
                threads: dict[str, str | None]) -> Part:
    """What the audit itself read and ran: the source of each function, and its calls off the main thread."""
    part = Part("audit", "Audit (functions rewardsmith did not write)")
    for rule, f in zip(spec.rules, facts):
        p = rule.params
        bits = [f"from {p.origin}", f"weight {rule.weight:g}"]
        if p.reference:
            bits.append(f"reads the column {p.reference!r}")
        if p.scope == "first":
            bits.append("reads completion[0]")
        if p.source_patterns:
            bits.append(f"{len(p.source_patterns)} regex{'es' if len(p.source_patterns) != 1 else ''}")
        part.lines.append(f"{rule.name}: " + ", ".join(bits))
        raised = threads.get(rule.name)
        if raised and _MAIN_THREAD in raised:
            part.error(f"thread:{rule.name}",
                       f"{rule.name} raises off the main thread ({raised}): TRL runs async rewards and reward "
                       "servers off it; math_verify's parse/verify need parsing_timeout=None / timeout_seconds=None there")
        elif raised:
            part.warn(f"thread:{rule.name}", f"{rule.name} raises when called from a worker thread: {raised}")
    if threads and not any(threads.values()):
        part.lines.append("every function also runs off the main thread (as TRL's async paths call it)")
    part.data = {"origins": audit_source.origins, "threads": threads,
                 "functions": [{"name": f.name, "file": f.file, "reference": f.reference,
                                "first_message": f.first_message, "patterns": f.patterns} for f in facts]}
    return part


def audit(targets: Sequence[str], samples: SampleSet, *, functions: Sequence[str] = (),
          weights: Sequence[float] = (), time_limit: float = 2.0, aggregation: str = "sum_then_normalize",
          scale_rewards: str = "group", bench: Bench | None = None) -> Audit:
    """Score the functions of `targets` on `samples` in the bench worker and diagnose them.

    Args:
        targets: a file (``rewards.py`` or ``rewards.py:name``) and/or ``module:name`` (a name may be a call).
        functions: names (or calls) in the file; its REWARD_FUNCS or reward-shaped functions by default.
        weights: one per function (``GRPOConfig(reward_weights=...)``).
    """
    audit_source = build_source(targets, functions, weights)
    samples = with_completion_ids(samples)
    located = locate(audit_source.source, payload=_thread_payload(samples))
    audit_source.name_origins([f["name"] for f in located["funcs"]])
    facts = analyse(audit_source, located)
    spec = pseudo_spec(audit_source, located, facts, samples)
    threads = {f["name"]: f.get("thread") for f in located["funcs"]}
    own = bench is None
    worker = bench or Bench(time_limit=time_limit)
    try:
        matrix = score_samples(spec, samples, source=audit_source.source, bench=worker)
        report = build_report(spec, samples, matrix, aggregation=aggregation, scale_rewards=scale_rewards)
        diag = diagnose(spec, samples, matrix, bench=worker, source=audit_source.source,
                        aggregation=aggregation, scale_rewards=scale_rewards)
    finally:
        if own:
            worker.close()
    diag.parts.insert(0, _audit_part(audit_source, spec, facts, threads))
    diag.attach(report)
    return Audit(audit_source, spec, samples, facts, matrix, report, diag, threads)
