"""The choice kind: the option a multiple-choice answer picked is the gold option (letter, index or text)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .answers import AnswerParams, extract_render
from .base import Extract, Kind, Render, py

__all__ = ["Choice", "ChoiceParams"]


class ChoiceParams(AnswerParams):
    extract: Extract = Field(default_factory=lambda: Extract(method="whole"))
    options: str | None = Field(None, description="column holding the option texts in letter order (optional)")
    letters: str = Field("ABCDEFGHIJ", description="the option letters, in order (upper case)")
    index_base: int = Field(0, ge=0, le=1, description="a gold given as a number: the first option's index")
    score_match: float = 1.0
    score_miss: float = 0.0

    @field_validator("options")
    @classmethod
    def _options_column(cls, value: str | None) -> str | None:
        if value is not None and not value.isidentifier():
            raise ValueError(f"{value!r} is not a column name TRL can pass as a keyword (letters, digits, _)")
        return value

    @field_validator("letters")
    @classmethod
    def _letters(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2,26}", value) or len(set(value)) != len(value):
            raise ValueError("letters are 2 to 26 different upper-case letters, in option order (like ABCD)")
        return value


class Choice(Kind):
    name = "choice"
    family = "choice"
    summary = "multiple choice: the option the answer picks ('answer is (E)', '(E)', 'E.') is the gold option"
    catalogue = (
        "Reads which option the extracted text (default: the whole completion) chose: the last answer "
        "statement ('the answer is (E)', 'Answer: E'), else the last \\boxed{}, else the closing '(E)', 'E)', "
        "'E.'; with `options` (a column of option texts) an option's text counts too. Scores score_match when "
        "it is the gold option (the reference column as a letter, '(E)', an index or the option's text), else "
        "score_miss; None where the gold names no option. An answer naming several options chooses none, and "
        "option letters are never read as the article 'a'. Use for MMLU-style multiple choice."
    )
    Params = ChoiceParams
    binary = True
    variants = ("trailing_newline", "crlf", "markdown_bold_tags")
    probes = ("empty_answer_tags", "tags_no_content", "multiple_answers", "or_list", "prompt_echo", "repeated_text")

    @classmethod
    def columns(cls, params: ChoiceParams) -> list[str]:  # type: ignore[override]
        return [params.reference] + ([params.options] if params.options else [])

    @classmethod
    def render(cls, params: ChoiceParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(
            letters=py(params.letters),
            with_options=py(params.options is not None),
            index_base=py(params.index_base),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
        )
        return out
