"""The math_equivalent kind: the extracted answer is mathematically equal to the gold (math-verify or the stdlib path)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .answers import AnswerParams, extract_render
from .base import Extract, Kind, Render, py

__all__ = ["MathEquivalent", "MathEquivalentParams"]

MATH_VERIFY = "math-verify if installed, else the stdlib path"


class MathEquivalentParams(AnswerParams):
    extract: Extract = Field(default_factory=lambda: Extract(method="boxed", occurrence="last"))
    backend: Literal["auto", "stdlib", "math_verify"] = Field(
        "auto", description="auto: math-verify when installed (the stdlib path rescues what it misreads), else stdlib"
    )
    score_match: float = 1.0
    score_miss: float = 0.0
    gold_must_parse: bool = Field(
        False, description="the gold must read as mathematics (math-verify's parse, as TRL and open-r1 check it): "
        "'forty two' then counts as a gold that does not parse"
    )
    score_missing: float | None = Field(
        None, description="score where no answer is extracted, whatever the gold (TRL's reasoning accuracy: 0.0 "
        "when the reasoning never closes); null lets the gold decide"
    )
    score_unparsed_gold: float | None = Field(
        None, description="score where the gold does not parse: null skips the row (TRL); open-r1 pays 1.0"
    )


class MathEquivalent(Kind):
    name = "math_equivalent"
    family = "math_equivalent"
    summary = "the answer (last \\boxed{} by default) is mathematically equal to the gold: 1/2 = 0.5 = \\frac{1}{2}"
    catalogue = (
        "Scores score_match when the extracted answer (default: the last \\boxed{}) is mathematically "
        "equivalent to the reference column, else score_miss; None where the gold does not parse (never a "
        "reward for a gold nobody can read). The gold is unwrapped first (\\boxed{}, $…$, #### 4, a list of "
        "aliases). backend auto uses the math-verify package when it is installed (gold parsed first, timeouts "
        "that work in threads and worker processes) and otherwise a standard-library path: integers, decimals, "
        "fractions, \\frac/\\dfrac, \\sqrt, \\pi, ^\\circ, \\%, \\text{}, units after a number, x = 3, tuples and "
        "intervals. Use for MATH/GSM8K-style answers instead of exact_match or numeric."
    )
    Params = MathEquivalentParams
    binary = True
    variants = ("trailing_newline", "crlf", "space_around_tags")
    probes = (
        "empty_answer_tags",
        "tags_no_content",
        "multiple_answers",
        "or_list",
        "answer_in_think",
        "prompt_echo",
        "repeated_text",
        "boxed_twice",
    )

    @classmethod
    def needs(cls, params: MathEquivalentParams) -> tuple[str, ...]:  # type: ignore[override]
        if params.backend == "auto":
            return (MATH_VERIFY,)
        if params.backend == "math_verify":
            return ("math-verify (pip install math-verify)",)
        return ()

    @classmethod
    def columns(cls, params: MathEquivalentParams) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: MathEquivalentParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(
            backend=py(params.backend),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
            score_unparsed_gold=py(params.score_unparsed_gold),
            gold_must_parse=py(params.gold_must_parse),
            score_missing=py(params.score_missing),
        )
        return out
