"""What every kind shares: the kind contract, and the parameter blocks many kinds reuse.

A kind is defined in one place: its params model, the name of its template macro, its catalogue
text for prompts, the formatting variants that must not change its verdict, the probes it must
not reward and the inputs they need, the patterns it compiles, the spans it shows, which form
fields go together and what it needs installed. Rendering, the bench, the proposers, the
diagnostics and the TUI all read it from here; none of them branches on a kind's name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..patterns import compile_flags, vet_pattern
from ..runtime.extract import (
    _extract_after_tag_span,
    _extract_boxed_span,
    _extract_last_line_span,
    _extract_regex_span,
    _extract_split_span,
    _extract_xml_tag_span,
    _strip_span,
    _whole_span,
)

__all__ = [
    "CountCap",
    "Extract",
    "FieldGroups",
    "Kind",
    "KindParams",
    "LengthBudget",
    "MAX_ITEMS",
    "MAX_TEXT",
    "Normalize",
    "Pattern",
    "RawSpan",
    "RegexFlag",
    "Render",
    "Scope",
    "EXTRACT_FIELDS",
    "check_regex",
    "extract_span",
    "flag_value",
    "flags_source",
    "py",
    "tag_pattern",
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
MAX_ITEMS = 256  # longest list a param may hold (keywords, options, tokens …)


def check_regex(pattern: str, flags: list[str] | tuple[str, ...] = (), field: str = "pattern") -> str:
    """Validate a pattern that will be compiled into a generated module (see :mod:`rewardsmith.patterns`).

    Returns the pattern unchanged, or raises ValueError with a reason a person can act on, naming `field`
    (the validators run on the whole params, so the error's location alone stops at ``params``).
    """
    try:
        return vet_pattern(pattern, flags)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


flag_value = compile_flags  # the kinds' name for it


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
        # Checked before anything else looks at the values: a spec may be an LLM's, and hostile.
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str) and len(value) > MAX_TEXT:
                    raise ValueError(f"{key}: text is {len(value):,} characters; the limit is {MAX_TEXT:,} — "
                                     "shorten it (a long reference belongs in a column of the samples)")
                if isinstance(value, (list, tuple)):
                    if len(value) > MAX_ITEMS:
                        raise ValueError(f"{key}: {len(value):,} items; the limit is {MAX_ITEMS} — keep the "
                                         "list short, or read the values from a reference column")
                    for i, item in enumerate(value):
                        if isinstance(item, str) and len(item) > MAX_TEXT:
                            raise ValueError(f"{key}[{i}]: text is {len(item):,} characters; the limit is "
                                             f"{MAX_TEXT:,} — shorten it")
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
    then: Extract | None = Field(
        None, description="a further extraction applied to what this one found (after </think>, then \\boxed{})"
    )

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
        depth, step = 0, self.then
        while step is not None:
            depth += 1
            step = step.then
        if depth > 3:
            raise ValueError("then: at most 4 extraction steps")
        return self


EXTRACT_FIELDS: FieldGroups = {
    "method": {
        "xml_tag": {"tag", "occurrence"},
        "after_tag": {"tag", "occurrence"},
        "split": {"start", "end", "index"},
        "regex": {"pattern", "group", "flags", "occurrence"},
        "boxed": {"occurrence"},
    }
}


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
    """What a kind hands its template macro: literals as Python source, regexes to precompile.

    The runtime helpers the macro calls are not listed: render reads them from the rendered code.
    """

    lit: dict[str, str] = field(default_factory=dict)
    regexes: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (pattern source, flags source)


@dataclass(frozen=True)
class Pattern:
    """A regex a rule compiles, for the regex lint.

    field: where it sits in the params ("pattern", "extract.pattern"); mode: how the module applies
    it (match / search / fullmatch); on: "text" when it runs on the scoped completion, "answer" when
    it only ever sees an extracted answer (then only its shape is linted, not its matches).
    """

    field: str
    pattern: str
    flags: int
    mode: str
    on: Literal["text", "answer"] = "text"


@dataclass(frozen=True)
class CountCap:
    """What the search-spam probe needs of a capped count: the regex, its flags, the range.

    literal: the pattern is plain text (shown as the example when the samples have none).
    """

    pattern: str
    flags: int
    min_count: int
    max_count: int
    literal: bool


@dataclass(frozen=True)
class LengthBudget:
    """What the padding probe needs: the longest text not penalised, and in which unit."""

    edge: int
    unit: Literal["chars", "words", "tokens"]


RawSpan = tuple[int, int, str, bool]
"""(start, end, note, region) in the scoped text; region marks a stretch judged as a whole."""

FieldGroups = dict[str, dict[str, set[str]]]
"""For a params model: a selector field -> its value -> the fields that only matter for that value."""


def extract_span(text: str, e: Any) -> tuple[int, int, int, int] | None:
    """Where `e` (an :class:`Extract`) finds the answer: the runtime's span form, stripped as the module strips."""
    last = e.occurrence == "last"
    if e.method == "xml_tag":
        span = _extract_xml_tag_span(text, re.compile(tag_pattern(e.tag), re.DOTALL), last)
    elif e.method == "after_tag":
        span = _extract_after_tag_span(text, f"</{e.tag}>", last)
    elif e.method == "split":
        span = _extract_split_span(text, e.start, e.end, e.index)
    elif e.method == "regex":
        span = _extract_regex_span(text, re.compile(e.pattern, flag_value(e.flags)), e.group, last)
    elif e.method == "boxed":
        span = _extract_boxed_span(text, last)
    elif e.method == "last_line":
        span = _extract_last_line_span(text)
    else:
        span = _whole_span(text)
    span = _strip_span(text, span) if e.strip else span
    if span is None or e.then is None:
        return span
    inner = extract_span(text[span[0] : span[1]], e.then)
    if inner is None:
        return None
    return tuple(span[0] + k for k in inner)  # type: ignore[return-value]


def tag_pattern(tag: str) -> str:
    """The regex of an xml_tag extraction: the tag pair, the content as group 1."""
    return re.escape("<" + tag + ">") + "(.*?)" + re.escape("</" + tag + ">")


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
    # Whether an LLM proposer may write it (a kind that calls a model at training time is added by hand).
    llm_proposable: ClassVar[bool] = True
    # Which fields of its params only matter for one value of another (the rule editor shows those alone).
    field_groups: ClassVar[FieldGroups] = {}
    # Its verdict is exactly whether its pattern matches: lint scores demonstration strings through it.
    verdict_is_pattern: ClassVar[bool] = False
    # It scores each completion as a pair (value if right, value if wrong) and its gate, a correctness
    # verifier the rule must name, picks one (a length schedule chosen by correctness).
    chooses_by_gate: ClassVar[bool] = False

    @classmethod
    def reads_completion_ids(cls, params: KindParams) -> bool:
        """Whether the rule reads TRL's ``completion_ids`` (then a call with only the ids is enough)."""
        return getattr(params, "unit", None) == "completion_ids"

    @classmethod
    def lints(cls, params: KindParams) -> tuple[str, ...]:
        """Idiom lints (ids from diagnostics.lint) that apply to this rule, beyond its patterns."""
        return ()

    @classmethod
    def needs(cls, params: KindParams) -> tuple[str, ...]:
        """What the generated module needs beyond the standard library for this rule (the "Needs:" line)."""
        return ()

    @classmethod
    def patterns(cls, params: KindParams) -> list[Pattern]:
        """The regexes this rule compiles from its params, for the regex lint."""
        extract = getattr(params, "extract", None)
        if isinstance(extract, Extract) and extract.method == "regex":
            return [Pattern("extract.pattern", extract.pattern, flag_value(extract.flags), "search")]
        return []

    @classmethod
    def spans(cls, params: KindParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:
        """Where in the scoped `text` the rule found its evidence (the TUI highlights these).

        The default shows the extracted answer, when the kind extracts one.
        """
        extract = getattr(params, "extract", None)
        if isinstance(extract, Extract) and extract.method != "whole":
            span = extract_span(text, extract)
            if span is not None and span[0] < span[1]:
                yield span[0], span[1], "answer", False

    @classmethod
    def ignores_case(cls, params: KindParams) -> bool:
        """Whether upper-casing the text must leave the verdict alone (the "case" variant applies)."""
        if hasattr(params, "case_sensitive"):
            return not getattr(params, "case_sensitive")
        normalize = getattr(params, "normalize", None)
        return bool(normalize is not None and normalize.lower)

    @classmethod
    def count_cap(cls, params: KindParams) -> CountCap | None:
        """For the search-spam probe: what the rule counts and its cap; None when it counts nothing."""
        return None

    @classmethod
    def length_budget(cls, params: KindParams) -> LengthBudget | None:
        """For the padding probe: the longest text the rule does not penalise; None when it has no budget."""
        return None

    @classmethod
    def columns(cls, params: KindParams) -> list[str]:
        """Reference columns the generated function needs from the dataset."""
        return []

    @classmethod
    def call_seconds(cls, params: KindParams) -> float:
        """Seconds one completion may take beyond the bench's time limit (a kind that runs code bounds each run)."""
        return 0.0

    @classmethod
    def unwraps_reference(cls, params: KindParams) -> bool:
        """Whether the module unwraps the first reference column (``\\boxed{}``, ``$…$``, ``####``) before the rule reads it."""
        return bool(getattr(params, "reference_unwrap", False))

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
