"""Behaviour kinds: what the model does across its turns (search calls, repetition)."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from collections.abc import Iterator
from typing import Any

from .base import (
    CountCap,
    Kind,
    KindParams,
    Pattern,
    RawSpan,
    RegexFlag,
    Render,
    Scope,
    check_regex,
    flag_value,
    flags_source,
    py,
)

__all__ = ["CountInRange", "Repetition"]


class CountInRangeParams(KindParams):
    pattern: str = Field(..., description="what to count (a regex; set literal: true for plain text)")
    literal: bool = False
    flags: list[RegexFlag] = Field(default_factory=list)
    min_count: int = Field(..., ge=0)
    max_count: int = Field(..., ge=0)
    score_in: float = 0.5
    score_out: float = 0.0
    scope: Scope = "assistant"

    @model_validator(mode="after")
    def _valid(self) -> CountInRangeParams:
        if self.max_count < self.min_count:
            raise ValueError(f"max_count ({self.max_count}) is below min_count ({self.min_count})")
        if not self.literal:
            check_regex(self.pattern, self.flags)
        return self


class CountInRange(Kind):
    name = "count_in_range"
    family = "behaviour"
    summary = "a capped count: score_in when the number of matches is within [min, max], else score_out"
    catalogue = (
        "Counts non-overlapping matches of `pattern` in the scoped text (assistant turns by default, "
        "so tool results are not counted) and scores score_in when min_count ≤ count ≤ max_count, "
        "else score_out. The seed's capped retry reward: reward 2–5 searches, never more for more, "
        "so the model cannot farm it."
    )
    Params = CountInRangeParams
    binary = True
    variants = ("crlf", "trailing_newline")
    probes = ("search_spam", "repeated_text")

    @classmethod
    def pass_score(cls, params: CountInRangeParams) -> float:  # type: ignore[override]
        return params.score_in

    @classmethod
    def patterns(cls, params: CountInRangeParams) -> list[Pattern]:  # type: ignore[override]
        return [] if params.literal else [Pattern("pattern", params.pattern, flag_value(params.flags), "search")]

    @classmethod
    def count_cap(cls, params: CountInRangeParams) -> CountCap:  # type: ignore[override]
        pattern = re.escape(params.pattern) if params.literal else params.pattern
        return CountCap(pattern, flag_value(params.flags), params.min_count, params.max_count, params.literal)

    @classmethod
    def spans(cls, params: CountInRangeParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """Each match counted, numbered."""
        cap = cls.count_cap(params)
        matches = list(re.finditer(cap.pattern, text, cap.flags))
        for k, m in enumerate(matches, 1):
            if m.end() > m.start():
                yield m.start(), m.end(), f"match {k}/{len(matches)}", False

    @classmethod
    def render(cls, params: CountInRangeParams) -> Render:  # type: ignore[override]
        pattern = re.escape(params.pattern) if params.literal else params.pattern
        out = Render()
        out.regexes["count"] = (py(pattern), flags_source(params.flags))
        out.lit.update(
            min_count=py(params.min_count),
            max_count=py(params.max_count),
            score_in=py(params.score_in),
            score_out=py(params.score_out),
        )
        return out


class RepetitionParams(KindParams):
    ngram: int = Field(3, ge=1, le=20)
    max_penalty: float = Field(-1.0, le=0.0, description="score for text that is one n-gram repeated")
    scope: Scope = "last"


class Repetition(Kind):
    name = "repetition"
    family = "behaviour"
    summary = "n-gram repetition penalty: max_penalty × the share of repeated word n-grams"
    catalogue = (
        "Scores max_penalty × (1 − distinct n-grams / all n-grams) over lower-cased words, 0.0 for "
        "text shorter than one n-gram. Discourages the loops small models fall into."
    )
    Params = RepetitionParams
    variants = ("crlf", "trailing_newline", "case")
    probes = ()

    @classmethod
    def ignores_case(cls, params: RepetitionParams) -> bool:  # type: ignore[override]
        return True  # it lower-cases the words itself

    @classmethod
    def spans(cls, params: RepetitionParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """Each word n-gram seen before."""
        words = list(re.finditer(r"\S+", text))
        seen: set[tuple[str, ...]] = set()
        n = params.ngram
        for i in range(len(words) - n + 1):
            gram = tuple(w.group().lower() for w in words[i:i + n])
            if gram in seen:
                yield words[i].start(), words[i + n - 1].end(), "repeated n-gram", False
            seen.add(gram)

    @classmethod
    def render(cls, params: RepetitionParams) -> Render:  # type: ignore[override]
        out = Render()
        out.lit.update(ngram=py(params.ngram), max_penalty=py(params.max_penalty))
        return out


BEHAVIOUR_KINDS: tuple[type[Kind], ...] = (CountInRange, Repetition)
