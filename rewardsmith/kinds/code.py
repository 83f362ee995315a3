"""Code kinds: code_tests runs the completion's code against tests from the dataset in a sandboxed child process;
code_compiles checks that a fenced block is there and parses (for files without tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, field_validator

from ..runtime.code import _CODE_STARTUP, _FENCE
from .base import FieldGroups, Kind, KindParams, RawSpan, Render, Scope, py

__all__ = ["CODE_KINDS", "CodeCompiles", "CodeCompilesParams", "CodeTests", "CodeTestsParams", "code_spans"]

# The hacks a code reward must pay nothing for (built by diagnostics.probes).
CODE_HACKS = ("exit_before_tests", "print_expected", "redefine_check", "read_test_file", "infinite_loop")


def _column_name(value: str) -> str:
    if not value.isidentifier():
        raise ValueError(f"{value!r} is not a column name TRL can pass as a keyword (letters, digits, _)")
    return value


def code_spans(text: str) -> Iterator[RawSpan]:
    """The fenced code blocks of `text`, each a region (its verdict is about the block as a whole)."""
    for match in _FENCE.finditer(text):
        yield match.start(2), match.end(2), "code", True


class CodeTestsParams(KindParams):
    format: Literal["humaneval", "stdio"] = Field(
        "humaneval", description="humaneval: `tests` holds check(candidate); stdio: stdin/stdout cases"
    )
    tests: str = Field("test", description="column with the tests (HumanEval's test source, or the stdio cases)")
    entry_point: str = Field("entry_point", description="humaneval: column naming the function under test")
    scoring: Literal["all", "fraction"] = Field("all", description="all: 1 only when every case passes")
    timeout: float = Field(5.0, ge=0.1, le=60.0, description="wall-clock seconds per test case")
    memory_mb: int = Field(1024, ge=128, le=16384, description="address space of the child, in MB")
    scale: float = 1.0
    scope: Scope = "last"

    @field_validator("tests", "entry_point")
    @classmethod
    def _columns_are_identifiers(cls, value: str) -> str:
        return _column_name(value)


class CodeTests(Kind):
    name = "code_tests"
    family = "code"
    summary = "runs the completion's code against the tests of a column (HumanEval check() or stdin/stdout), sandboxed"
    catalogue = (
        "Extracts the last fenced Python block (else the whole text) and runs it in a child process (wall-clock "
        "and memory limits, no network, a temporary directory, a scrubbed environment) against the sample's "
        "tests: format humaneval reads `tests` (a check(candidate) function) and `entry_point` (the function's "
        "name) and completes the prompt's signature; format stdio reads stdin/stdout cases from `tests` "
        "(LiveCodeBench/APPS layouts). scoring all pays scale only when every case passes, fraction pays scale "
        "times the share passed; None where a sample has no tests. Exiting early, printing 'passed', "
        "redefining check or assert, and reading test files earn nothing. Slow (a process per sample): the "
        "correctness rule for code, never shaping."
    )
    Params = CodeTestsParams
    binary = True
    variants = ("trailing_newline", "crlf")
    probes = CODE_HACKS
    field_groups: FieldGroups = {"format": {"humaneval": {"entry_point"}}}

    @classmethod
    def spans(cls, params: CodeTestsParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        return code_spans(text)

    @classmethod
    def columns(cls, params: CodeTestsParams) -> list[str]:  # type: ignore[override]
        return [params.tests, params.entry_point] if params.format == "humaneval" else [params.tests]

    @classmethod
    def call_seconds(cls, params: CodeTestsParams) -> float:  # type: ignore[override]
        # a case that loops is killed at its deadline; the interpreter's start-up and a second case's deadline on top
        return 2 * params.timeout + _CODE_STARTUP

    @classmethod
    def pass_score(cls, params: CodeTestsParams) -> float:  # type: ignore[override]
        return params.scale

    @classmethod
    def render(cls, params: CodeTestsParams) -> Render:  # type: ignore[override]
        return Render(lit={
            "format": params.format,
            "scoring": py(params.scoring),
            "timeout": py(float(params.timeout)),
            "memory_mb": py(params.memory_mb),
            "scale": py(params.scale),
        })


class CodeCompilesParams(KindParams):
    language: Literal["python"] = "python"
    require_fence: bool = Field(True, description="the code must sit in a ``` fenced block")
    score_match: float = 1.0
    score_miss: float = 0.0
    scope: Scope = "last"


class CodeCompiles(Kind):
    name = "code_compiles"
    family = "code"
    summary = "a fenced Python block is there and parses (for code without tests)"
    catalogue = (
        "Scores score_match when the completion holds a fenced ```python block (the last one; any fenced "
        "block when none is tagged) whose code compiles, else score_miss; with require_fence false the whole "
        "text counts when there is no fence. It never runs the code, so it says nothing about correctness: a "
        "format verifier for code files without tests (LiveCodeBench), or a gate."
    )
    Params = CodeCompilesParams
    binary = True
    variants = ("trailing_newline", "crlf")
    probes = ("empty_code_block",)

    @classmethod
    def spans(cls, params: CodeCompilesParams, text: str, refs: dict[str, Any]) -> Iterator[RawSpan]:  # type: ignore[override]
        return code_spans(text)

    @classmethod
    def render(cls, params: CodeCompilesParams) -> Render:  # type: ignore[override]
        return Render(lit={
            "language": py(params.language),
            "require_fence": py(params.require_fence),
            "score_match": py(params.score_match),
            "score_miss": py(params.score_miss),
        })


CODE_KINDS: tuple[type[Kind], ...] = (CodeTests, CodeCompiles)
