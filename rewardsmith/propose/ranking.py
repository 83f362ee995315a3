"""Testing candidate specs and ranking them: fewer failed checks, then a better AUC, then fewer zero-spread groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checks import Report, build_report
from ..samples import SampleSet
from ..spec import RewardSpec

__all__ = ["Candidate", "evaluate", "rank_key"]


@dataclass
class Candidate:
    """One proposal: its spec and test report, or why it failed."""

    index: int
    spec: RewardSpec | None = None
    report: Report | None = None
    error: str | None = None
    repaired: bool = False
    repairs: int = 0  # repair rounds its answer needed
    angle: str = ""

    def headline(self) -> dict[str, Any]:
        if self.report is None:
            return {"auc": None, "zero_spread": None, "failures": None}
        data = self.report.data
        return {
            "auc": data["total"].get("auc"),
            "zero_spread": data["groups"].get("zero_spread_share"),
            "failures": len(self.report.failures()),
        }


def rank_key(report: Report | None) -> tuple[float, float, float]:
    """Sort key, best first: fewer failed checks, higher AUC of the total, fewer zero-spread groups."""
    if report is None:
        return (float("inf"), 0.0, 1.0)
    data = report.data
    auc = data["total"].get("auc")
    zero = data["groups"].get("zero_spread_share")
    errors = sum(r.get("errors", 0) for r in data["rules"])
    return (len(report.failures()) + (1 if errors else 0), -(auc if auc is not None else 0.5),
            zero if zero is not None else 0.0)


def evaluate(spec: RewardSpec, samples: SampleSet, *, time_limit: float = 2.0, diagnostics: bool = False,
             bench: Any = None) -> tuple[Report, Any]:
    """Score `spec` with its rendered module and build the report (with the diagnostics when asked)."""
    from ..bench import score_samples

    matrix = score_samples(spec, samples, time_limit=time_limit, bench=bench)
    report = build_report(spec, samples, matrix)
    if diagnostics:
        try:
            from ..diagnostics import diagnose
        except ImportError:  # an install without the diagnostics: the core report stands alone
            diagnose = None  # type: ignore[assignment]
        if diagnose is not None:
            diagnose(spec, samples, matrix, bench=bench).attach(report)
    return report, matrix
