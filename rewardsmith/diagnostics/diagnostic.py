"""The one interface every diagnostic implements, and the registry ``diagnose()`` loops over.

A diagnostic works in two steps around one scoring pass:

1. ``plan(ctx) -> Plan``: the completions it needs scored through the module (variants, probes,
   demonstration strings) as :class:`Candidate` s, plus whatever it wants to remember for step 2
   (a subclass of :class:`Plan` adds the fields);
2. ``conclude(ctx, plan, scored) -> Part``: what it concludes from the scores: report lines,
   checks, and the same findings as data.

``diagnose()`` collects every plan first, scores all their candidates in one bench round (the
``slow`` ones, which may hang on purpose, in a second round with a short time limit), then asks
each diagnostic to conclude. A diagnostic that needs no extra completions (GRPO signal, weights)
keeps the default plan. Each declares its place in the report (``order``): the sections come in
that order whatever order the modules were imported in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Generic, TypeVar

from ._common import Candidate, Context, Part, Scored

__all__ = ["Diagnostic", "Plan", "no_plan", "register", "registered"]


@dataclass
class Plan:
    """What a diagnostic wants scored before it can conclude."""

    candidates: list[Candidate] = field(default_factory=list)
    # Strings built to make a pattern backtrack: scored apart, with a short limit, so a hang costs little.
    slow: list[Candidate] = field(default_factory=list)


P = TypeVar("P", bound=Plan)


def no_plan(ctx: Context) -> Plan:
    """The plan of a diagnostic that reads only the samples' own scores."""
    return Plan()


@dataclass(frozen=True)
class Diagnostic(Generic[P]):
    """One diagnostic: its name (the section's key in the JSON report), its place, a plan and a conclusion."""

    name: str
    order: int  # sections are shown by increasing order
    conclude: Callable[[Context, P, Scored], Part]
    plan: Callable[[Context], P] = no_plan  # type: ignore[assignment]


_REGISTRY: list[Diagnostic[Plan]] = []


def register(diagnostic: Diagnostic[P]) -> Diagnostic[P]:
    """Add `diagnostic` to every report from now on; returns it (so a module can keep it by name)."""
    if any(d.name == diagnostic.name for d in _REGISTRY):
        raise ValueError(f"a diagnostic named {diagnostic.name!r} is registered already: pick another name")
    _REGISTRY.append(diagnostic)  # type: ignore[arg-type]
    return diagnostic


def registered() -> tuple[Diagnostic[Plan], ...]:
    """Every registered diagnostic, in report order."""
    return tuple(sorted(_REGISTRY, key=lambda d: d.order))
