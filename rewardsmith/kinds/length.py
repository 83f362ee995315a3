"""Length kinds: soft overlong punishment in characters, words or tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import FieldGroups, Kind, KindParams, LengthBudget, RawSpan, Render, Scope, py

__all__ = ["MAX_LENGTH", "Length"]

# Longer than any generation budget: a bigger value is a typo or an attack (the probes pad up to it).
MAX_LENGTH = 10_000_000


class LengthParams(KindParams):
    unit: Literal["chars", "words", "tokens"] = "chars"
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
    field_groups: FieldGroups = {"unit": {"tokens": {"tokenizer"}}}

    @classmethod
    def needs(cls, params: LengthParams) -> tuple[str, ...]:  # type: ignore[override]
        return ("transformers for token lengths (imported when first used)",) if params.unit == "tokens" else ()

    @classmethod
    def length_budget(cls, params: LengthParams) -> LengthBudget:  # type: ignore[override]
        return LengthBudget(params.max_length - params.buffer - 1, params.unit)

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
            tokenizer=py(params.tokenizer),
            max_length=py(params.max_length),
            buffer=py(params.buffer),
            penalty=py(params.penalty),
        )
        return out


LENGTH_KINDS: tuple[type[Kind], ...] = (Length,)
