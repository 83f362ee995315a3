"""The opaque kind: a reward function rewardsmith did not write, standing in a spec so it can be audited.

``rewardsmith audit`` builds a pseudo-spec of opaque rules, one per audited function, so every
diagnostic runs on code it cannot see inside: what the kind declares here is what a function of
unknown behaviour can be tested with (formatting variants and hacking probes that apply to any
reward), plus what the audit read from the function's source by AST (the regexes it compiles, whether
it indexes ``completion[0]``, the dataset column its signature takes). It is not in the library
(``KINDS``): nothing renders it, and no proposer writes it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..patterns import compile_flags
from .base import Extract, Kind, KindParams, Pattern, RegexFlag, Render, Scope

__all__ = ["Opaque", "OpaqueParams", "SourcePattern"]


class SourcePattern(KindParams):
    """A regex literal the audited source passes to ``re.compile`` / ``re.match`` / … (found by AST)."""

    pattern: str
    flags: list[RegexFlag] = Field(default_factory=list)
    mode: Literal["match", "search", "fullmatch"] = "search"
    line: int = Field(0, ge=0, description="where the call sits in the source")


class OpaqueParams(KindParams):
    origin: str = Field(..., description="where the function lives: FILE.py:NAME or module:NAME")
    scope: Scope = Field("last", description="'first' when the source indexes completion[0]")
    reference: str | None = Field(None, description="the dataset column the function's signature takes")
    extract: Extract | None = Field(None, description="where the probes look for the answer (read from the samples)")
    source_patterns: list[SourcePattern] = Field(default_factory=list)


class Opaque(Kind):
    name = "opaque"
    family = "opaque"
    summary = "a reward function rewardsmith did not write (an audit's stand-in; never rendered)"
    catalogue = "An audited function. It has no template: `rewardsmith audit --to-spec` offers library kinds instead."
    Params = OpaqueParams
    # What any reward must survive, whatever it checks: formatting that keeps the meaning, and tricks
    # that carry no better answer (an empty answer, hedging, the prompt echoed, a loop of text).
    variants = ("trailing_newline", "crlf", "space_around_tags")
    probes = ("empty_answer_tags", "tags_no_content", "multiple_answers", "or_list", "prompt_echo", "repeated_text")
    llm_proposable = False

    @classmethod
    def patterns(cls, params: OpaqueParams) -> list[Pattern]:  # type: ignore[override]
        return [Pattern(f"source line {p.line}", p.pattern, compile_flags(p.flags), p.mode)
                for p in params.source_patterns]

    @classmethod
    def columns(cls, params: OpaqueParams) -> list[str]:  # type: ignore[override]
        return [params.reference] if params.reference else []

    @classmethod
    def pass_score(cls, params: KindParams) -> Any:
        return None

    @classmethod
    def render(cls, params: KindParams) -> Render:
        raise ValueError("an opaque rule stands for an audited function and has no template; "
                         "`rewardsmith audit --to-spec` offers library kinds that score the same")
