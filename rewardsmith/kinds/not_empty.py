"""The not_empty verifier: an answer was extracted and says something (not blank, not only punctuation)."""

from __future__ import annotations

from pydantic import Field

from .answers import extract_render
from .base import Extract, Kind, KindParams, Render, Scope, py

__all__ = ["NotEmpty", "NotEmptyParams"]


class NotEmptyParams(KindParams):
    extract: Extract = Field(default_factory=Extract)
    score_match: float = 1.0
    score_miss: float = 0.0
    scope: Scope = "last"


class NotEmpty(Kind):
    name = "not_empty"
    family = "not_empty"
    summary = "an answer is extracted and holds more than whitespace and punctuation"
    catalogue = (
        "Scores score_match when the extraction finds an answer that has at least one character "
        "other than whitespace and punctuation, else score_miss. A cheap verifier that an answer "
        "is there at all; it says nothing about whether it is right, so pair it with a correctness rule."
    )
    Params = NotEmptyParams
    binary = True
    variants = ("trailing_newline", "crlf", "space_around_tags")
    probes = ("empty_answer_tags", "tags_no_content")

    @classmethod
    def render(cls, params: NotEmptyParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(score_match=py(params.score_match), score_miss=py(params.score_miss))
        return out
