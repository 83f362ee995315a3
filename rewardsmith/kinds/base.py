"""What every kind shares: the kind contract, and the parameter blocks many kinds reuse.

A kind is defined in one place: its params model, the name of its template macro, its catalogue
text for prompts, the formatting variants that must not change its verdict and the probes it must
not reward. Rendering, the bench, the proposers and the diagnostics all read it from here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Extract",
    "Kind",
    "KindParams",
    "Normalize",
    "RegexFlag",
    "Render",
    "Scope",
    "check_regex",
    "flags_source",
    "py",
]

Scope = Literal["first", "last", "assistant", "transcript"]
"""Which text of a conversational completion a rule reads.

first: ``completion[0]["content"]`` (what most published reward functions index);
last: the last assistant message; assistant: every assistant message joined by newlines;
transcript: every message of the completion, tool turns included.
A plain-string completion is the text under every scope.
"""

RegexFlag = Literal["IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII"]

MAX_TEXT = 4000  # longest literal a spec may carry (patterns, keywords, separators)
MAX_PATTERN = 1000

# Nested unbounded quantifiers such as (a+)+ or (\w*)* backtrack exponentially on a near miss.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]")


def check_regex(pattern: str, flags: list[str] | tuple[str, ...] = ()) -> str:
    """Validate a pattern that will be compiled into a generated module.

    Returns the pattern unchanged, or raises ValueError with a reason a person can act on.
    """
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern is {len(pattern)} characters; the limit is {MAX_PATTERN}")
    if "\x00" in pattern:
        raise ValueError("pattern contains a NUL character")
    value = 0
    for name in flags:
        value |= getattr(re, name)
    try:
        re.compile(pattern, value)
    except re.error as exc:
        raise ValueError(f"not a valid Python regular expression: {exc}") from None
    if _NESTED_QUANTIFIER.search(pattern):
        raise ValueError(
            "nested unbounded quantifiers (like (a+)+) backtrack catastrophically; "
            "rewrite the group without an inner + or *"
        )
    return pattern


def flags_source(flags: list[str] | tuple[str, ...]) -> str:
    """Python source for a set of regex flags, e.g. ``re.DOTALL | re.MULTILINE``."""
    return " | ".join(f"re.{f}" for f in flags) if flags else "0"


def py(value: Any) -> str:
    """Python source for a literal from a spec: the only way spec text reaches a template."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite number {value!r} cannot be rendered")
        return repr(value)
    if isinstance(value, (bool, int, str)) or value is None:
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(py(v) + ", " for v in value).rstrip(" ") + ")"
    if isinstance(value, (set, frozenset)):
        return "frozenset({" + ", ".join(py(v) for v in sorted(value)) + "})" if value else "frozenset()"
    raise TypeError(f"cannot render a literal of type {type(value).__name__}")


class KindParams(BaseModel):
    """Base of every kind's params: unknown fields are errors, strings are bounded."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _bounded_strings(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str) and len(value) > MAX_TEXT:
                    raise ValueError(f"{key}: text is {len(value)} characters; the limit is {MAX_TEXT}")
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class Extract(KindParams):
    """How an answer kind finds the answer in a completion.

    xml_tag: the text inside ``<tag>...</tag>`` (first or last pair), absent when there is none;
    after_tag: the text after the first or last ``</tag>``;
    split: ``text.split(start)[index]`` then cut at ``end`` — the lenient idiom of many published
      reward functions (with no ``start`` in the text, the whole text is the answer);
    regex: a capture group of a pattern (first or last match);
    boxed: the content of ``\\boxed{...}`` with nested braces (first or last);
    last_line: the last non-empty line; whole: the whole text.
    """

    method: Literal["xml_tag", "after_tag", "split", "regex", "boxed", "last_line", "whole"] = "xml_tag"
    tag: str = Field("answer", description="tag name for xml_tag / after_tag, without brackets")
    occurrence: Literal["first", "last"] = "last"
    start: str = Field("", description="split: the separator the answer follows")
    end: str = Field("", description="split: the separator the answer stops at (optional)")
    index: int = Field(-1, description="split: which piece after splitting on start (Python index)")
    pattern: str = Field("", description="regex: the pattern; the answer is its capture group")
    group: int = Field(1, ge=0, le=99)
    flags: list[RegexFlag] = Field(default_factory=list)
    strip: bool = True

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.:\-|]{0,63}", value):
            raise ValueError("a tag name is letters, digits, _ . : - | (like answer or think)")
        return value

    @model_validator(mode="after")
    def _method_fields(self) -> Extract:
        if self.method == "split" and not self.start:
            raise ValueError("split needs `start`, the separator the answer follows")
        if self.method == "regex":
            if not self.pattern:
                raise ValueError("regex needs `pattern`")
            check_regex(self.pattern, self.flags)
            if re.compile(self.pattern).groups < self.group:
                raise ValueError(f"pattern has fewer than {self.group} capture groups")
        return self


class Normalize(KindParams):
    """What two strings are compared after. All off reproduces Python's plain ``==``."""

    strip: bool = False
    lower: bool = False
    collapse_whitespace: bool = False
    remove_whitespace: bool = Field(False, description="drop all whitespace: '<|up|> <|down|>' == '<|up|><|down|>'")
    remove_punctuation: bool = False
    remove_articles: bool = False
    numbers: bool = Field(False, description="'1,000.50' -> '1000.5', '$3' -> '3'")

    def any(self) -> bool:
        return any(self.model_dump().values())


@dataclass
class Render:
    """What a kind hands its template macro: literals as Python source, regexes to precompile."""

    lit: dict[str, str] = field(default_factory=dict)
    regexes: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (pattern source, flags source)
    helpers: set[str] = field(default_factory=set)


class Kind:
    """One entry of the rule library. Subclasses fill in the class attributes and `render`."""

    name: ClassVar[str]
    family: ClassVar[str]  # the template file under templates/kinds/ that holds its macro
    summary: ClassVar[str]  # one line for listings
    catalogue: ClassVar[str]  # what an LLM proposer reads: when to use it, what it returns
    Params: ClassVar[type[KindParams]]
    binary: ClassVar[bool] = False  # returns one of two values: may serve as a verifier
    # Renders as `async def` (TRL awaits coroutine rewards concurrently); its template module then
    # also defines `<name>_finish`, the statement that turns the per-completion `item`s into scores.
    asynchronous: ClassVar[bool] = False
    # Formatting variants (ids from the diagnostics catalogue) that must not change its verdict.
    variants: ClassVar[tuple[str, ...]] = ()
    # Probes (ids from the diagnostics catalogue) built to game it that it must not reward.
    probes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def columns(cls, params: KindParams) -> list[str]:
        """Reference columns the generated function needs from the dataset."""
        return []

    @classmethod
    def pass_score(cls, params: KindParams) -> float:
        """The score a binary kind gives when its check passes (what a verifier tests for)."""
        return getattr(params, "score_match")

    @classmethod
    def scope(cls, params: KindParams) -> str:
        return getattr(params, "scope", "last")

    @classmethod
    def render(cls, params: KindParams) -> Render:
        raise NotImplementedError

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return cls.Params.model_json_schema()
