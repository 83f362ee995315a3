"""Format kinds: the shape of the completion, independent of whether the answer is right."""

from __future__ import annotations

import re
from typing import Literal, Union

from pydantic import Field, model_validator

from .answers import extract_render
from collections.abc import Iterator
from typing import Any

from .base import (
    Extract,
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

__all__ = ["AllowedTokens", "RegexFormat", "TagCount"]



class RegexFormatParams(KindParams):
    pattern: str = Field(..., description="a Python regular expression")
    mode: Literal["match", "search", "fullmatch"] = "search"
    flags: list[RegexFlag] = Field(default_factory=list)
    score_match: float = 1.0
    score_miss: float = 0.0
    scope: Scope = "last"
    fill_column: str | None = Field(
        None, description="a dataset column whose value (regex-escaped) replaces each {value} in pattern, per row"
    )
    fill_default: str = Field("", description="the value for {value} where the call has no such column")

    @model_validator(mode="after")
    def _valid(self) -> RegexFormatParams:
        if self.fill_column is not None:
            if not self.fill_column.isidentifier():
                raise ValueError(f"fill_column {self.fill_column!r} must be a column name (an identifier)")
            if FILL not in self.pattern:
                raise ValueError(f"fill_column is set but pattern has no {FILL} to fill")
        check_regex(filled(self), self.flags)
        return self


FILL = "{value}"


def filled(params: RegexFormatParams, value: str | None = None) -> str:
    """The pattern with {value} filled (escaped) by `value`, or by the default: what the module compiles."""
    if params.fill_column is None:
        return params.pattern
    return params.pattern.replace(FILL, re.escape(params.fill_default if value is None else value))


class RegexFormat(Kind):
    name = "regex_format"
    family = "format"
    summary = "the completion matches a regular expression (match / search / fullmatch, flags)"
    catalogue = (
        "Scores score_match when `pattern` matches the scoped text with re.match (anchored at the "
        "start), re.search (anywhere) or re.fullmatch (the whole text), else score_miss. Add DOTALL "
        "when `.` must cross newlines: without it a pattern like <think>.*?</think> never matches "
        "multi-line reasoning (the bug that left Unsloth's format reward at zero). With score_match 0 "
        "and score_miss > 0 it rewards an absence: AutoDidact's 0.7 for a transcript (scope transcript) "
        "in which no tool call failed (no 'Error during'). With fill_column, each {value} in the pattern is "
        "replaced per row by that column's value, regex-escaped (open-r1's code format with a per-row "
        "`language`: ```{value}), and by fill_default where the call has no such column."
    )
    Params = RegexFormatParams
    binary = True
    variants = ("trailing_newline", "space_around_tags")
    probes = ("tags_no_content", "empty_answer_tags", "prompt_echo")
    # Its verdict is its pattern's: lint's demonstration strings are scored through the module.
    verdict_is_pattern = True

    @classmethod
    def patterns(cls, params: RegexFormatParams) -> list[Pattern]:  # type: ignore[override]
        return [Pattern("pattern", filled(params), flag_value(params.flags), params.mode)]

    @classmethod
    def spans(cls, params: RegexFormatParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """The stretch the format pattern matched."""
        value = refs.get(params.fill_column) if params.fill_column else None
        pattern = filled(params, None if value is None else str(value))
        m = getattr(re.compile(pattern, flag_value(params.flags)), params.mode)(text)
        if m is not None and m.end() > m.start():
            yield m.start(), m.end(), f"{params.mode} of the format", True

    @classmethod
    def render(cls, params: RegexFormatParams) -> Render:  # type: ignore[override]
        out = Render()
        out.lit.update(mode=params.mode, score_match=py(params.score_match), score_miss=py(params.score_miss))
        if params.fill_column is None:
            out.regexes["format"] = (py(params.pattern), flags_source(params.flags))
        else:
            out.lit.update(fill=py(params.pattern.split(FILL)), fill_column=py(params.fill_column),
                           fill_default=py(params.fill_default), flags=flags_source(params.flags))
        return out


class TrailingPenalty(KindParams):
    """Subtracts (len(text.split(after)[-1]) - offset) * per_char: penalises text after a marker.

    Note the idiom it reproduces: when `after` is absent, the whole text counts as trailing.
    """

    after: str = Field(..., min_length=1)
    per_char: float = 0.001
    offset: int = Field(0, ge=0, le=100)


class TagRequirement(KindParams):
    """Adds `value` when `text` occurs exactly `times` times, then applies `penalty` (only then)."""

    text: str = Field(..., min_length=1)
    value: float = 0.125
    times: int = Field(1, ge=0, le=100)
    penalty: TrailingPenalty | None = Field(
        None, description="a trailing-text penalty applied only when this requirement holds (xmlcount)"
    )


class TagCountParams(KindParams):
    items: list[Union[TagRequirement, TrailingPenalty]] = Field(..., min_length=1, max_length=32)
    scope: Scope = "last"


class TagCount(Kind):
    name = "tag_count"
    family = "format"
    summary = "partial credit per tag that occurs exactly once, minus a trailing-text penalty (xmlcount)"
    catalogue = (
        "The xmlcount family (willccbb's gist, Unsloth, AlphaMaze). `items` are applied in order, "
        "starting from 0.0: a requirement {text, value, times} adds value when text occurs exactly "
        "`times` times (text usually includes the newline, like '<reasoning>\\n'); a penalty "
        "{after, per_char, offset} subtracts per_char × (characters after the last `after` − offset), "
        "always as an item, or only when a requirement holds as that requirement's `penalty` "
        "(as the gist's count_xml does). "
        "Gives a smooth format signal to small models that rarely hit a strict regex."
    )
    Params = TagCountParams
    variants = ("crlf",)
    probes = ("tags_no_content", "repeated_text")

    @classmethod
    def spans(cls, params: TagCountParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        """Each occurrence of a counted tag, and the trailing text a penalty charges for."""
        for item in params.items:
            marker = getattr(item, "text", None)
            if marker is not None:
                at = text.find(marker)
                while at >= 0:
                    yield at, at + len(marker), f"{marker.strip()!s} (wanted {item.times}×)", False
                    at = text.find(marker, at + len(marker))
            after = getattr(item, "after", None) or getattr(getattr(item, "penalty", None), "after", None)
            if after:
                cut = text.rfind(after)
                lo = cut + len(after) if cut >= 0 else 0
                if lo < len(text) and text[lo:].strip():
                    yield lo, len(text), f"trailing text after {after.strip()}", True

    @classmethod
    def render(cls, params: TagCountParams) -> Render:  # type: ignore[override]
        steps = []
        for item in params.items:
            if isinstance(item, TagRequirement):
                then = item.penalty
                then_src = None if then is None else (py(then.after), py(then.offset), py(then.per_char))
                steps.append(("count", py(item.text), py(item.times), py(item.value), then_src))
            else:
                steps.append(("penalty", py(item.after), py(item.offset), py(item.per_char), None))
        out = Render()
        out.lit["steps"] = steps  # type: ignore[assignment]  # tuples of sources, laid out by the macro
        return out


class AllowedTokensParams(KindParams):
    extract: Extract = Field(default_factory=lambda: Extract(method="after_tag", tag="think", occurrence="first"))
    tokens: list[str] = Field(..., min_length=1, max_length=256)
    ignore_whitespace: bool = True
    score_match: float = 1.0
    score_miss: float = 0.0
    scope: Scope = "last"

    @model_validator(mode="after")
    def _tokens(self) -> AllowedTokensParams:
        if any(not t for t in self.tokens):
            raise ValueError("tokens must not be empty strings")
        return self


class AllowedTokens(Kind):
    name = "allowed_tokens"
    family = "format"
    summary = "the answer is a non-empty sequence of allowed tokens and nothing else"
    catalogue = (
        "Scores score_match when the extracted answer (whitespace removed if ignore_whitespace) is "
        "one or more of `tokens` back to back and nothing else, else score_miss. AlphaMaze's "
        "direction-token check (<|up|> <|down|> <|left|> <|right|>)."
    )
    Params = AllowedTokensParams
    binary = True
    variants = ("trailing_newline", "crlf")
    probes = ("empty_answer_tags", "repeated_text")

    @classmethod
    def render(cls, params: AllowedTokensParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        # Longest first, so a token that is a prefix of another never wins a tie.
        ordered = sorted(set(params.tokens), key=lambda t: (-len(t), t))
        out.regexes["tokens"] = (py("|".join(re.escape(t) for t in ordered)), "0")
        # When no token is a prefix of another, at most one matches at any position, so the answer is tokens back
        # to back exactly when one run of them matches it whole: the scores take that one fullmatch.
        if not any(a != b and b.startswith(a) for a in ordered for b in ordered):
            out.regexes["run"] = (py("(?:" + "|".join(re.escape(t) for t in ordered) + ")+"), "0")
        out.lit.update(
            ignore_whitespace=py(params.ignore_whitespace),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
        )
        return out


FORMAT_KINDS: tuple[type[Kind], ...] = (RegexFormat, TagCount, AllowedTokens)
