"""Answer kinds: find the answer in a completion and compare it with a reference column."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from collections.abc import Iterator
from typing import Any

from .base import (
    Extract,
    FieldGroups,
    Kind,
    KindParams,
    Normalize,
    Pattern,
    RawSpan,
    Render,
    Scope,
    check_regex,
    extract_span,
    flags_source,
    py,
    tag_pattern,
)

__all__ = [
    "AnswerParams",
    "AnswerShape",
    "Contains",
    "ExactMatch",
    "Numeric",
    "StepScaledMatch",
    "Tiered",
    "TokenF1",
    "extract_render",
]

_ANSWER_VARIANTS = ("trailing_newline", "crlf", "space_around_tags", "markdown_bold_tags")
_ANSWER_PROBES = (
    "empty_answer_tags",
    "tags_no_content",
    "multiple_answers",
    "or_list",
    "answer_in_think",
    "prompt_echo",
    "repeated_text",
)


def _identifier(value: str) -> str:
    if not value.isidentifier():
        raise ValueError(f"{value!r} is not a column name TRL can pass as a keyword (letters, digits, _)")
    return value


class AnswerParams(KindParams):
    """Fields every reference-comparing kind shares."""

    extract: Extract = Field(default_factory=Extract)
    reference: str = Field("answer", description="dataset column holding the reference answer")
    reference_unwrap: bool = Field(
        False, description="unwrap the reference before comparing: ['\\boxed{4}'], $4$, #### 4 and \\boxed{4} are 4"
    )
    scope: Scope = "last"

    @field_validator("reference")
    @classmethod
    def _reference_is_identifier(cls, value: str) -> str:
        return _identifier(value)


def extract_render(out: Render, e: Extract, key: str = "extract") -> None:
    """Fill `out` with what the `extract` macro needs for one extraction."""
    out.lit[f"{key}_method"] = e.method
    out.lit[f"{key}_strip"] = py(e.strip)
    if e.method == "xml_tag":
        out.regexes[key] = (py(tag_pattern(e.tag)), "re.DOTALL")
        out.lit[f"{key}_last"] = py(e.occurrence == "last")
    elif e.method == "after_tag":
        out.lit[f"{key}_close"] = py("</" + e.tag + ">")
        out.lit[f"{key}_last"] = py(e.occurrence == "last")
    elif e.method == "split":
        out.lit[f"{key}_start"] = py(e.start)
        out.lit[f"{key}_end"] = py(e.end)
        out.lit[f"{key}_index"] = py(e.index)
    elif e.method == "regex":
        out.regexes[key] = (py(e.pattern), flags_source(e.flags))
        out.lit[f"{key}_group"] = py(e.group)
        out.lit[f"{key}_last"] = py(e.occurrence == "last")
    elif e.method == "boxed":
        out.lit[f"{key}_last"] = py(e.occurrence == "last")
    if e.then is not None:
        extract_render(out, e.then, f"{key}_then")


def normalize_render(out: Render, n: Normalize, key: str = "norm") -> None:
    out.lit[key] = py(
        (n.strip, n.lower, n.collapse_whitespace, n.remove_punctuation, n.remove_articles, n.numbers,
         n.remove_whitespace)
    )
    out.lit[f"{key}_any"] = py(n.any())


class ExactMatchParams(AnswerParams):
    normalize: Normalize = Field(default_factory=Normalize)
    score_match: float = 1.0
    score_miss: float = 0.0
    score_missing: float | None = Field(
        None, description="score when no answer is found; null means the same as score_miss"
    )


class ExactMatch(Kind):
    name = "exact_match"
    family = "answers"
    summary = "extracted answer equals the reference (after optional normalisation)"
    catalogue = (
        "Scores score_match when the extracted answer equals the reference column (or any item of it "
        "when the column holds a list of accepted answers), else score_miss. Normalisation (strip, "
        "lower, collapse_whitespace, remove_whitespace, remove_punctuation, remove_articles, numbers) applies to both sides. "
        "Use for short factual answers and exact numeric answers."
    )
    Params = ExactMatchParams
    binary = True
    variants = _ANSWER_VARIANTS + ("case",)
    probes = _ANSWER_PROBES

    @classmethod
    def columns(cls, params: ExactMatchParams) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: ExactMatchParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        normalize_render(out, params.normalize)
        out.lit.update(
            reference=py(params.reference),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
            score_missing=py(params.score_miss if params.score_missing is None else params.score_missing),
        )
        return out


class ContainsParams(KindParams):
    extract: Extract = Field(default_factory=lambda: Extract(method="whole"))
    keywords: list[str] = Field(default_factory=list, description="literal keywords; or use `reference`")
    reference: str | None = Field(None, description="column whose value(s) are the keywords")
    mode: Literal["any", "all", "fraction"] = "any"
    case_sensitive: bool = False
    word_boundary: bool = True
    score: float = 1.0
    score_miss: float = 0.0
    scope: Scope = "last"

    @field_validator("reference")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        return None if v is None else _identifier(v)

    @model_validator(mode="after")
    def _some_keywords(self) -> ContainsParams:
        if not self.keywords and not self.reference:
            raise ValueError("give `keywords` or a `reference` column")
        if any(not k for k in self.keywords):
            raise ValueError("keywords must not be empty strings")
        return self


class Contains(Kind):
    name = "contains"
    family = "answers"
    summary = "the answer mentions keywords (literal or from a column): any, all or a fraction"
    catalogue = (
        "Scores `score` when the extracted text contains the keywords: mode any (one is enough), all, "
        "or fraction (score times the share found). Keywords come from `keywords` or from the "
        "`reference` column (a string or a list). Case-insensitive and whole-word by default. "
        "Cheap partial credit for free-text answers; easy to game by listing many options, so pair "
        "it with a format or length rule."
    )
    Params = ContainsParams
    variants = ("trailing_newline", "crlf", "case")
    probes = ("keyword_stuffing", "or_list", "prompt_echo")

    @classmethod
    def spans(cls, params: ContainsParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """The extracted text, and each keyword found in it."""
        yield from super().spans(params, text, refs)
        span = extract_span(text, params.extract)
        if span is None:
            return
        keywords = list(params.keywords)
        if params.reference:
            ref = refs.get(params.reference)
            keywords = [str(k) for k in (ref if isinstance(ref, (list, tuple)) else [ref]) if k is not None]
        flags = 0 if params.case_sensitive else re.IGNORECASE
        for keyword in filter(None, keywords):
            body = re.escape(keyword)
            pattern = re.compile(rf"(?<!\w){body}(?!\w)" if params.word_boundary else body, flags)
            for m in pattern.finditer(text, span[0], span[1]):
                yield m.start(), m.end(), "keyword", False

    @classmethod
    def columns(cls, params: ContainsParams) -> list[str]:  # type: ignore[override]
        return [params.reference] if params.reference else []

    @classmethod
    def render(cls, params: ContainsParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(
            keywords=py(list(params.keywords)),
            reference=py(params.reference),
            mode=params.mode,
            case_sensitive=py(params.case_sensitive),
            word_boundary=py(params.word_boundary),
            score=py(params.score),
            score_miss=py(params.score_miss),
        )
        return out


def _squad_normalize() -> Normalize:
    return Normalize(strip=True, lower=True, collapse_whitespace=True, remove_punctuation=True, remove_articles=True)


class TokenF1Params(AnswerParams):
    normalize: Normalize = Field(default_factory=_squad_normalize)
    scale: float = 1.0
    score_missing: float = 0.0


class TokenF1(Kind):
    name = "token_f1"
    family = "answers"
    summary = "SQuAD-style token F1 between the answer and the reference (partial credit)"
    catalogue = (
        "Scores scale × the token-level F1 between the normalised extracted answer and the reference "
        "(the best over a list of references). Partial credit for multi-word answers; "
        "score_missing when no answer is found."
    )
    Params = TokenF1Params
    variants = _ANSWER_VARIANTS + ("case",)
    probes = _ANSWER_PROBES

    @classmethod
    def columns(cls, params: TokenF1Params) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: TokenF1Params) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        normalize_render(out, params.normalize)
        out.lit.update(
            reference=py(params.reference), scale=py(params.scale), score_missing=py(params.score_missing)
        )
        return out


class NumericParams(AnswerParams):
    rel_tol: float = Field(1e-6, ge=0.0)
    abs_tol: float = Field(1e-9, ge=0.0)
    score_match: float = 1.0
    score_miss: float = 0.0
    score_unparsed: float | None = Field(None, description="score when the answer is not a number; null = score_miss")


class Numeric(Kind):
    name = "numeric"
    family = "answers"
    summary = "the answer parses as a number equal to the reference within a tolerance"
    catalogue = (
        "Parses the extracted answer and the reference as numbers (commas, $, %, units after the "
        "number, simple fractions a/b and \\frac{a}{b}, unicode minus) and scores score_match when "
        "they agree within rel_tol / abs_tol. Use for math and counting tasks."
    )
    Params = NumericParams
    binary = True
    variants = _ANSWER_VARIANTS + ("fullwidth_digits", "answer_with_units")
    probes = _ANSWER_PROBES + ("boxed_twice",)

    @classmethod
    def columns(cls, params: NumericParams) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: NumericParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(
            reference=py(params.reference),
            rel_tol=py(params.rel_tol),
            abs_tol=py(params.abs_tol),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
            score_unparsed=py(params.score_miss if params.score_unparsed is None else params.score_unparsed),
        )
        return out


class Tier(KindParams):
    test: Literal["exact", "normalized", "contains", "numeric", "f1"]
    score: float
    min_f1: float = Field(0.5, ge=0.0, le=1.0, description="f1 tier: the least F1 that earns it")


def _default_tiers() -> list[Tier]:
    return [
        Tier(test="exact", score=1.0),
        Tier(test="normalized", score=0.8),
        Tier(test="contains", score=0.5),
    ]


class TieredParams(AnswerParams):
    normalize: Normalize = Field(default_factory=_squad_normalize)
    tiers: list[Tier] = Field(default_factory=_default_tiers, min_length=1, max_length=8)
    score_miss: float = 0.0


class Tiered(Kind):
    name = "tiered"
    family = "answers"
    summary = "multi-level partial credit: exact → normalised → contained → else"
    catalogue = (
        "Walks `tiers` in order and scores the first that passes: exact (stripped equality), "
        "normalized (after `normalize`), contains (the normalised reference inside the normalised "
        "answer), numeric (numbers agree), f1 (token F1 ≥ min_f1); else score_miss. "
        "The seed's 'multi-level scoring' idea."
    )
    Params = TieredParams
    variants = _ANSWER_VARIANTS + ("case",)
    probes = _ANSWER_PROBES + ("keyword_stuffing",)

    @classmethod
    def columns(cls, params: TieredParams) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: TieredParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        normalize_render(out, params.normalize)
        out.lit.update(
            reference=py(params.reference),
            tiers=py([(t.test, t.score, t.min_f1) for t in params.tiers]),
            score_miss=py(params.score_miss),
        )
        return out


class StepScaledMatchParams(AnswerParams):
    separator: str = Field("|><|", min_length=1, description="what separates steps in the answer")
    per_step: float = 0.2
    score_miss: float = 0.0


class StepScaledMatch(Kind):
    name = "step_scaled_match"
    family = "answers"
    summary = "on an exact match, per_step × the number of steps in the answer (AlphaMaze)"
    catalogue = (
        "When the extracted answer equals the reference exactly, scores per_step × the number of "
        "pieces the answer splits into on `separator` (AlphaMaze: 0.2 per move); else score_miss. "
        "Longer correct solutions earn more, so it favours long-horizon tasks."
    )
    Params = StepScaledMatchParams
    variants = ("trailing_newline", "crlf")
    probes = ("empty_answer_tags", "answer_in_think", "repeated_text")

    @classmethod
    def columns(cls, params: StepScaledMatchParams) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: StepScaledMatchParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(
            reference=py(params.reference),
            separator=py(params.separator),
            per_step=py(params.per_step),
            score_miss=py(params.score_miss),
        )
        return out


class AnswerShapeParams(KindParams):
    extract: Extract = Field(default_factory=Extract)
    check: Literal["isdigit", "integer", "number", "nonempty", "short_text", "one_of", "fullmatch"] = "number"
    max_words: int = Field(8, ge=1, le=200, description="short_text: the most words allowed")
    options: list[str] = Field(default_factory=list, description="one_of: the accepted answers")
    pattern: str = Field("", description="fullmatch: the pattern the whole answer must match")
    score_match: float = 0.5
    score_miss: float = 0.0
    scope: Scope = "last"

    @model_validator(mode="after")
    def _check_fields(self) -> AnswerShapeParams:
        if self.check == "one_of" and not self.options:
            raise ValueError("one_of needs `options`")
        if self.check == "fullmatch":
            if not self.pattern:
                raise ValueError("fullmatch needs `pattern`")
            check_regex(self.pattern)
        return self


class AnswerShape(Kind):
    name = "answer_shape"
    family = "answers"
    summary = "the answer has the expected shape: digits, a number, short text, one of a set"
    catalogue = (
        "Scores score_match when the extracted answer has a shape, without looking at the reference: "
        "isdigit (Python's str.isdigit, as Unsloth's int reward), integer, number, nonempty, "
        "short_text (1..max_words words), one_of (options), fullmatch (pattern). "
        "A small shaping signal; never the main reward."
    )
    Params = AnswerShapeParams
    binary = True
    variants = ("trailing_newline", "crlf", "space_around_tags")
    probes = ("empty_answer_tags", "tags_no_content")
    field_groups: FieldGroups = {"check": {"short_text": {"max_words"}, "one_of": {"options"}, "fullmatch": {"pattern"}}}

    @classmethod
    def lints(cls, params: AnswerShapeParams) -> tuple[str, ...]:  # type: ignore[override]
        return ("isdigit",) if params.check == "isdigit" else ()

    @classmethod
    def patterns(cls, params: AnswerShapeParams) -> list[Pattern]:  # type: ignore[override]
        out = super().patterns(params)
        if params.check == "fullmatch":  # tested on the extracted answer only: its shape is what can be linted
            out.append(Pattern("pattern", params.pattern, 0, "fullmatch", on="answer"))
        return out

    @classmethod
    def render(cls, params: AnswerShapeParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        out.lit.update(
            check=params.check,
            max_words=py(params.max_words),
            options=py(frozenset(params.options)),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
        )
        if params.check == "fullmatch":
            out.regexes["shape"] = (py(params.pattern), "0")
        return out


ANSWER_KINDS: tuple[type[Kind], ...] = (
    ExactMatch,
    Contains,
    TokenF1,
    Numeric,
    Tiered,
    StepScaledMatch,
    AnswerShape,
)
