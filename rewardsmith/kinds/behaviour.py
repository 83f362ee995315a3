"""Behaviour kinds: what the model does across its turns (search calls, repetition)."""

from __future__ import annotations

import re

from typing import Literal

from pydantic import Field, field_validator, model_validator

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

__all__ = ["CountInRange", "CountScaled", "Repetition"]

JIEBA = "jieba for Chinese words (pip install jieba, or the zh extra; imported when first used)"


def _counted_patterns(params: Any) -> list[Pattern]:
    """The pattern a counting kind's params search for (none to vet when it is a literal)."""
    return [] if params.literal else [Pattern("pattern", params.pattern, flag_value(params.flags), "search")]


def _matches(cap: CountCap, text: str) -> list[re.Match[str]]:
    """The non-empty matches a counting rule counts, for its spans."""
    return [m for m in re.finditer(cap.pattern, text, cap.flags) if m.end() > m.start()]


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
        return _counted_patterns(params)

    @classmethod
    def count_cap(cls, params: CountInRangeParams) -> CountCap:  # type: ignore[override]
        pattern = re.escape(params.pattern) if params.literal else params.pattern
        return CountCap(pattern, flag_value(params.flags), params.min_count, params.max_count, params.literal)

    @classmethod
    def spans(cls, params: CountInRangeParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """Each match counted, numbered."""
        matches = _matches(cls.count_cap(params), text)
        for k, m in enumerate(matches, 1):
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
    max_penalty: float = Field(-1.0, description="score for text that is one n-gram repeated (0 or below)")
    unit: Literal["words", "completion_ids"] = Field(
        "words", description="n-grams of lower-cased words, or of the token ids TRL passes (UTF-8 bytes without them)"
    )
    words: Literal["whitespace", "zh"] = Field("whitespace", description="words: split at whitespace, or zh (jieba)")
    scope: Scope = "last"


    @field_validator("max_penalty")
    @classmethod
    def _penalty(cls, value: float) -> float:
        if value > 0:
            raise ValueError(f"max_penalty {value} should not be positive: a penalty is 0 or below")
        return value


class Repetition(Kind):
    name = "repetition"
    family = "behaviour"
    summary = "n-gram repetition penalty: max_penalty × the share of repeated word n-grams"
    catalogue = (
        "Scores max_penalty × (1 − distinct n-grams / all n-grams) over lower-cased words (split at "
        "whitespace, or by jieba for Chinese with words: zh), or over TRL's completion_ids (unit: "
        "completion_ids, as trl.rewards does); 0.0 for text shorter than one n-gram. Discourages the "
        "loops small models fall into."
    )
    Params = RepetitionParams
    variants = ("crlf", "trailing_newline", "case")
    probes = ()
    field_groups = {"unit": {"words": {"words"}}}

    @classmethod
    def ignores_case(cls, params: RepetitionParams) -> bool:  # type: ignore[override]
        return params.unit == "words"  # it lower-cases the words itself; token ids keep the case

    @classmethod
    def needs(cls, params: RepetitionParams) -> tuple[str, ...]:  # type: ignore[override]
        return (JIEBA,) if params.unit == "words" and params.words == "zh" else ()

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
        out.lit.update(ngram=py(params.ngram), max_penalty=py(params.max_penalty), unit=params.unit,
                       words=params.words)
        return out


class CountScaledParams(KindParams):
    pattern: str = Field(..., description="what to count (a regex; set literal: true for plain text)")
    literal: bool = False
    flags: list[RegexFlag] = Field(default_factory=list)
    target: int = Field(..., ge=1, description="the count that earns the full score")
    scale: float = Field(1.0, description="the score at target matches and beyond")
    scope: Scope = "last"

    @model_validator(mode="after")
    def _valid(self) -> CountScaledParams:
        if not self.literal:
            check_regex(self.pattern, self.flags)
        return self


class CountScaled(Kind):
    name = "count_scaled"
    family = "behaviour"
    summary = "a proportional count: scale × min(1, matches / target), one reward"
    catalogue = (
        "Counts non-overlapping matches of `pattern` (re.findall) in the scoped text and scores "
        "scale × min(1, count / target): partial credit below target, full credit at and past it, never "
        "more. open-r1's reasoning_steps_reward (Step N:, numbered lines, bullets, First/Second/Next/"
        "Finally, target 3) as one rule, logged as one reward. Farmable by listing markers: keep its "
        "weight small next to a correctness rule."
    )
    Params = CountScaledParams
    variants = ("trailing_newline",)
    probes = ("search_spam",)

    @classmethod
    def patterns(cls, params: CountScaledParams) -> list[Pattern]:  # type: ignore[override]
        return _counted_patterns(params)

    @classmethod
    def count_cap(cls, params: CountScaledParams) -> CountCap:  # type: ignore[override]
        pattern = re.escape(params.pattern) if params.literal else params.pattern
        return CountCap(pattern, flag_value(params.flags), params.target, params.target, params.literal)

    @classmethod
    def spans(cls, params: CountScaledParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """Each match counted, numbered against the target."""
        for k, m in enumerate(_matches(cls.count_cap(params), text), 1):
            yield m.start(), m.end(), f"match {k} (target {params.target})", False

    @classmethod
    def render(cls, params: CountScaledParams) -> Render:  # type: ignore[override]
        pattern = re.escape(params.pattern) if params.literal else params.pattern
        out = Render()
        out.regexes["count"] = (py(pattern), flags_source(params.flags))
        out.lit.update(target=py(params.target), scale=py(params.scale))
        return out


BEHAVIOUR_KINDS: tuple[type[Kind], ...] = (CountInRange, CountScaled, Repetition)
