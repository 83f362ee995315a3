"""Length kinds: soft overlong punishment, a cosine schedule chosen by correctness, and a length relative to
the other completions of the same prompt; in characters, words, TRL's ``completion_ids`` or a tokenizer's tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import FieldGroups, Kind, KindParams, LengthBudget, RawSpan, Render, Scope, py

__all__ = ["MAX_LENGTH", "Length", "LengthSchedule", "RelativeLength"]

# Longer than any generation budget: a bigger value is a typo or an attack (the probes pad up to it).
MAX_LENGTH = 10_000_000

Unit = Literal["chars", "words", "completion_ids"]
Words = Literal["whitespace", "zh"]
JIEBA = "jieba for Chinese words (pip install jieba, or the zh extra; imported when first used)"


class LengthParams(KindParams):
    unit: Literal["chars", "words", "tokens", "completion_ids"] = Field(
        "chars", description="completion_ids: the token ids TRL passes (the text's UTF-8 bytes where a call has none)"
    )
    words: Words = Field("whitespace", description="words: split at whitespace, or zh (jieba) for Chinese")
    tokenizer: str | None = Field(
        None, description="tokens: a transformers tokenizer name or local path (loaded lazily, once)"
    )
    max_length: int = Field(..., ge=1)
    buffer: int = Field(0, ge=0, description="the penalty ramps from max_length - buffer to max_length")
    penalty: float = Field(1.0, ge=0.0, description="the most that is subtracted (at and past max_length)")
    scope: Scope = "last"

    @model_validator(mode="after")
    def _valid(self) -> LengthParams:
        if self.unit == "tokens" and not self.tokenizer:
            raise ValueError("unit: tokens needs `tokenizer` (a name or a local path)")
        if self.buffer > self.max_length:
            raise ValueError("buffer cannot exceed max_length")
        if self.max_length > MAX_LENGTH:
            raise ValueError(f"max_length is {self.max_length:,}; the limit is {MAX_LENGTH:,} — no completion is "
                             "that long: give the generation budget (max_completion_length)")
        return self


class Length(Kind):
    name = "length"
    family = "length"
    summary = "soft overlong punishment: 0 up to max_length - buffer, ramping to -penalty at max_length"
    catalogue = (
        "DAPO's soft overlong punishment. Scores 0.0 while the length (chars, words, or tokens of a "
        "named tokenizer) is at most max_length − buffer, then falls linearly to −penalty at "
        "max_length, and stays there beyond. Keeps completions inside the generation budget "
        "without truncation noise."
    )
    Params = LengthParams
    variants = ("trailing_newline",)
    probes = ("length_padding",)
    field_groups: FieldGroups = {"unit": {"tokens": {"tokenizer"}, "words": {"words"}}}

    @classmethod
    def needs(cls, params: LengthParams) -> tuple[str, ...]:  # type: ignore[override]
        if params.unit == "tokens":
            return ("transformers for token lengths (imported when first used)",)
        return (JIEBA,) if params.unit == "words" and params.words == "zh" else ()

    @classmethod
    def length_budget(cls, params: LengthParams) -> LengthBudget | None:  # type: ignore[override]
        if params.unit == "words" and params.words == "zh":
            return None  # the padding probe writes English filler
        # Without completion_ids the module counts UTF-8 bytes: ASCII filler is one a character.
        unit = "chars" if params.unit == "completion_ids" else params.unit
        return LengthBudget(params.max_length - params.buffer - 1, unit)  # type: ignore[arg-type]

    @classmethod
    def spans(cls, params: LengthParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """The text past the budget (characters or words; token offsets need the tokenizer)."""
        budget = params.max_length - params.buffer
        if params.unit == "chars" and len(text) > budget:
            yield budget, len(text), f"past {budget} characters", True
        elif params.unit == "words":
            words = list(re.finditer(r"\S+", text))
            if len(words) > budget:
                yield words[budget].start(), len(text), f"past {budget} words", True

    @classmethod
    def render(cls, params: LengthParams) -> Render:  # type: ignore[override]
        out = Render()
        out.lit.update(
            unit=params.unit,
            words=py(params.words),
            tokenizer=py(params.tokenizer),
            max_length=py(params.max_length),
            buffer=py(params.buffer),
            penalty=py(params.penalty),
        )
        return out


class _ByCorrectness(KindParams):
    unit: Unit = Field(
        "chars", description="completion_ids: the token ids TRL passes (the text's UTF-8 bytes where a call has none)"
    )
    words: Words = Field("whitespace", description="words: split at whitespace, or zh (jieba) for Chinese")
    scope: Scope = "last"


class LengthScheduleParams(_ByCorrectness):
    max_len: int = Field(..., ge=1, le=MAX_LENGTH, description="the length at which the schedule reaches its long end")
    min_value_correct: float = Field(0.5, description="a right answer at max_len")
    max_value_correct: float = Field(1.0, description="a right answer of length 0")
    min_value_wrong: float = Field(-1.0, description="a wrong answer of length 0")
    max_value_wrong: float = Field(-0.5, description="a wrong answer at max_len")
    clamp: bool = Field(True, description="past max_len stay at the max_len value (without it the cosine climbs back)")


def _size_lits(out: Render, params: _ByCorrectness) -> None:
    out.lit.update(unit=params.unit, unit_lit=py(params.unit), words=py(params.words), scope=py(params.scope))


def _size_needs(params: _ByCorrectness) -> tuple[str, ...]:
    return (JIEBA,) if params.unit == "words" and params.words == "zh" else ()


class LengthSchedule(Kind):
    name = "length_schedule"
    family = "length"
    summary = "a cosine length schedule chosen by correctness (its gate): short right answers pay most"
    catalogue = (
        "The cosine-scaled reward of 'Demystifying Long Chain-of-Thought Reasoning' (TRL's and open-r1's "
        "get_cosine_scaled_reward). The rule's gate, a correctness verifier, picks the curve: a right answer "
        "scores from max_value_correct at length 0 down to min_value_correct at max_len; a wrong one from "
        "min_value_wrong at length 0 up to max_value_wrong at max_len (a long wrong attempt is punished less, "
        "so exploration survives). Length in chars, words, or completion_ids (TRL's token ids). With clamp "
        "(TRL) a length past max_len stays at the max_len value; without it (open-r1) the cosine comes back up. "
        "None where the gate does not apply (a gold that does not parse)."
    )
    Params = LengthScheduleParams
    chooses_by_gate = True
    variants = ()  # every formatting variant changes the length it scores
    probes = ()
    field_groups: FieldGroups = {"unit": {"words": {"words"}}}

    @classmethod
    def needs(cls, params: LengthScheduleParams) -> tuple[str, ...]:  # type: ignore[override]
        return _size_needs(params)

    @classmethod
    def render(cls, params: LengthScheduleParams) -> Render:  # type: ignore[override]
        out = Render()
        _size_lits(out, params)
        out.lit.update(
            max_len=py(params.max_len),
            min_value_correct=py(params.min_value_correct),
            max_value_correct=py(params.max_value_correct),
            min_value_wrong=py(params.min_value_wrong),
            max_value_wrong=py(params.max_value_wrong),
            clamp=py(params.clamp),
        )
        return out


class RelativeLengthParams(_ByCorrectness):
    pass


class RelativeLength(Kind):
    name = "relative_length"
    family = "length"
    summary = "length against the other completions of the same prompt (Kimi 1.5), chosen by correctness (its gate)"
    catalogue = (
        "Kimi 1.5's length reward (open-r1's len_reward). Within each group of completions of one prompt "
        "(the whole call when no prompts are passed), lambda = 0.5 − (len − shortest) / (longest − shortest): "
        "a right answer (the rule's gate, a correctness verifier, passes) scores lambda, a wrong one min(0, "
        "lambda); a group whose completions are all one length scores 0.0. Length in chars, words or "
        "completion_ids. Discourages overthinking without a fixed budget; it needs several completions per "
        "prompt to say anything."
    )
    Params = RelativeLengthParams
    chooses_by_gate = True
    variants = ()
    probes = ()
    field_groups: FieldGroups = {"unit": {"words": {"words"}}}

    @classmethod
    def needs(cls, params: RelativeLengthParams) -> tuple[str, ...]:  # type: ignore[override]
        return _size_needs(params)

    @classmethod
    def render(cls, params: RelativeLengthParams) -> Render:  # type: ignore[override]
        out = Render()
        _size_lits(out, params)
        return out


LENGTH_KINDS: tuple[type[Kind], ...] = (Length, LengthSchedule, RelativeLength)
