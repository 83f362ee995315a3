"""The LLM proposer: a model (any provider litellm speaks) writes a reward *spec*; rewardsmith validates it.

Nothing the model returns is executed. Its answer is JSON, parsed and validated with the spec's own
models (:mod:`rewardsmith.propose.answers`); a valid spec is rendered by the same templates as any
other spec, where every literal goes through ``repr``. Several candidates are asked for
concurrently, tested and ranked (:mod:`rewardsmith.propose.ranking`).

The parts, by concern: :mod:`~rewardsmith.propose.session` (cache, token caps, retries),
:mod:`~rewardsmith.propose.transport` (litellm itself), :mod:`~rewardsmith.propose.loop` (the event
loop thread), :mod:`~rewardsmith.propose.usage` (tokens and cost); the exceptions are in
:mod:`rewardsmith.errors`. This module keeps the entry points.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..errors import LLMCancelled, LLMConfigError, LLMOutputError, LLMRequestError, LLMServerError, LLMTimeout
from ..samples import SampleSet
from ..spec import RewardSpec
from .answers import ask_for_spec, spec_from_answer
from .loop import gather_or_cancel
from .prompts import propose_messages, sample_context
from .ranking import Candidate, evaluate, rank_key
from .session import LLMSession, Progress, settings_from
from .settings import LLMSettings
from .usage import CallRecord, Usage

__all__ = [
    "CallRecord",
    "Candidate",
    "LLMSession",
    "Proposal",
    "Usage",
    "apropose_llm",
    "propose_llm",
    "rank_key",
    "run_proposal",
    "spec_from_answer",
]

PROPOSER = "llm"


@dataclass
class Proposal:
    """What run_proposal found: the chosen spec, every candidate ranked, and the session's usage."""

    spec: RewardSpec
    candidates: list[Candidate]
    usage: Usage
    persona: str
    settings: dict[str, Any]
    seconds: float

    def record(self) -> dict[str, Any]:
        return {
            "proposer": PROPOSER,
            "model": self.settings.get("model"),
            "persona": self.persona,
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
            "candidates": [
                {"index": c.index, "ok": c.spec is not None, "error": c.error, "repaired": c.repaired,
                 "repairs": c.repairs,
                 "spec_hash": c.spec.fingerprint() if c.spec else None, **c.headline()}
                for c in self.candidates
            ],
            "usage": self.usage.to_data(),
        }


async def _propose_async(
    session: LLMSession,
    samples: SampleSet,
    *,
    name: str,
    task: str,
    persona: str | None,
    instructions: str,
    candidates: int,
    per_class: int,
    template_dir: Any,
) -> tuple[list[Candidate], str]:
    context = sample_context(samples, per_class=per_class)  # chosen once: every candidate sees the same samples
    prompts = [
        propose_messages(samples, task=task, persona=persona, instructions=instructions, candidate=k,
                         candidates=candidates, per_class=per_class, template_dir=template_dir, context=context)
        for k in range(candidates)
    ]
    persona_name = prompts[0].persona
    provenance = {
        "proposer": PROPOSER,
        "model": session.settings.model,
        "persona": persona_name,
        "samples": samples.fingerprint(),
        "instructions": instructions.strip() or None,
    }

    async def one(k: int) -> Candidate:
        label = "proposal" if candidates == 1 else f"candidate {k + 1}/{candidates}"

        def build(text: str, finish: str | None) -> RewardSpec:
            return spec_from_answer(text, name=name, task=task, provenance=provenance, finish_reason=finish)

        try:
            spec, info = await ask_for_spec(session, prompts[k], purpose=label, build=build)
        except (LLMOutputError, LLMRequestError, LLMServerError, LLMTimeout) as exc:
            if candidates == 1:
                raise
            return Candidate(k, error=str(exc))
        return Candidate(k, spec=spec, repaired=info["repaired"], repairs=info["repairs"])

    return await gather_or_cancel([one(k) for k in range(candidates)]), persona_name


def run_proposal(
    samples: SampleSet,
    *,
    model: str | None = None,
    api_base: str | None = None,
    settings: LLMSettings | None = None,
    name: str = "proposed",
    task: str = "",
    persona: str | None = None,
    instructions: str = "",
    candidates: int = 1,
    per_class: int = 4,
    evaluate_candidates: bool | None = None,
    time_limit: float = 2.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    session: LLMSession | None = None,
    template_dir: Any = None,
) -> Proposal:
    """Ask for `candidates` specs concurrently, validate each, test them and pick the best.

    Candidates are ranked by their report: failed checks, then the AUC of the weighted total, then
    the share of zero-spread groups. With one candidate the test is skipped unless
    `evaluate_candidates` is true. Raises LLMError subclasses; when every candidate fails, the first
    failure is raised.
    """
    if candidates < 1 or candidates > 8:
        raise LLMConfigError("candidates must be between 1 and 8")
    if len(samples) == 0:
        raise LLMConfigError("there are no samples to show the model")
    began = time.perf_counter()
    session = session or LLMSession(settings_from(settings, model, api_base), cancel=cancel, progress=progress)
    found, persona_name = session.run(_propose_async(
        session, samples, name=name, task=task, persona=persona, instructions=instructions,
        candidates=candidates, per_class=per_class, template_dir=template_dir,
    ))
    good = [c for c in found if c.spec is not None]
    if not good:
        raise LLMOutputError("no candidate gave a valid spec:", output="",
                             problems=[c.error or "?" for c in found])
    if evaluate_candidates or (evaluate_candidates is None and len(good) > 1):
        from ..bench import Bench

        with Bench(time_limit=time_limit) as bench:
            for c in good:
                if session.cancel.is_set():
                    raise LLMCancelled("cancelled while testing the candidates")
                session.say(f"testing candidate {c.index + 1} …")
                c.report, _ = evaluate(c.spec, samples, time_limit=time_limit, bench=bench)  # type: ignore[arg-type]
        found.sort(key=lambda c: (c.spec is None, rank_key(c.report), c.index))
    best = next(c for c in found if c.spec is not None)
    assert best.spec is not None
    return Proposal(spec=best.spec, candidates=found, usage=session.usage, persona=persona_name,
                    settings=session.settings.public(), seconds=time.perf_counter() - began)


def propose_llm(samples: SampleSet, **kwargs: Any) -> RewardSpec:
    """The chosen spec of :func:`run_proposal` (same arguments): what the TUI's propose dialog calls."""
    return run_proposal(samples, **kwargs).spec


async def apropose_llm(samples: SampleSet, *, cancel: threading.Event | None = None, **kwargs: Any) -> RewardSpec:
    """:func:`propose_llm` for async callers; cancelling the awaiting task aborts the requests."""
    cancel = cancel or threading.Event()
    try:
        return await asyncio.to_thread(propose_llm, samples, cancel=cancel, **kwargs)
    except asyncio.CancelledError:
        cancel.set()  # the worker thread sees it within 50 ms and aborts its request
        raise
