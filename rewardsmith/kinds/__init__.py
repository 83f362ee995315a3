"""The rule library: every kind a spec may use, and the catalogue prompts are built from."""

from __future__ import annotations

from typing import Any

from .answers import ANSWER_KINDS
from .base import (
    EXTRACT_FIELDS,
    CountCap,
    Extract,
    FieldGroups,
    Kind,
    KindParams,
    LengthBudget,
    Normalize,
    Pattern,
    Render,
    check_regex,
    extract_span,
    flag_value,
    py,
)
from .behaviour import BEHAVIOUR_KINDS
from .choice import Choice
from .code import CODE_KINDS
from .format import FORMAT_KINDS
from .judge import JUDGE_KINDS
from .length import LENGTH_KINDS
from .math_equivalent import MathEquivalent
from .not_empty import NotEmpty
from .opaque import Opaque

__all__ = [
    "KINDS",
    "OUTSIDE_LIBRARY",
    "CountCap",
    "Extract",
    "Kind",
    "KindParams",
    "LengthBudget",
    "Normalize",
    "Pattern",
    "Render",
    "catalogue",
    "check_regex",
    "extract_span",
    "flag_value",
    "form_conditions",
    "get_kind",
    "kinds_table",
    "py",
    "readme_with_table",
]

KINDS: dict[str, type[Kind]] = {
    k.name: k for k in (*ANSWER_KINDS, *FORMAT_KINDS, *BEHAVIOUR_KINDS, *LENGTH_KINDS, *JUDGE_KINDS, NotEmpty,
                     MathEquivalent, Choice, *CODE_KINDS)
}
# Kinds a spec may hold that are not in the library: nothing renders them, no proposer or editor offers them.
OUTSIDE_LIBRARY: dict[str, type[Kind]] = {Opaque.name: Opaque}


def get_kind(name: str) -> type[Kind]:
    """The kind called `name`, or a KeyError that lists the known ones."""
    try:
        return KINDS[name] if name in KINDS else OUTSIDE_LIBRARY[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise KeyError(f"unknown kind {name!r}; known kinds: {known}") from None


def catalogue() -> list[dict[str, Any]]:
    """Every kind as data: name, summary, text, params schema. Prompts and docs render from it."""
    return [
        {
            "kind": k.name,
            "family": k.family,
            "summary": k.summary,
            "text": k.catalogue,
            "binary": k.binary,
            "params_schema": k.json_schema(),
        }
        for k in KINDS.values()
    ]


def form_conditions() -> dict[type, tuple[str, dict[str, set[str]]]]:
    """Params model -> (selector field, value -> the fields only that value uses), for the rule editor."""
    out: dict[type, tuple[str, dict[str, set[str]]]] = {}
    groups: list[tuple[type, FieldGroups]] = [(Extract, EXTRACT_FIELDS)]
    groups += [(k.Params, k.field_groups) for k in KINDS.values()]
    for model, by_field in groups:
        for selector, fields in by_field.items():
            out[model] = (selector, fields)
    return out


def kinds_table() -> str:
    """The README's table of kinds, in markdown, from each kind's summary (and what it needs installed)."""
    lines = ["| kind | what it scores |", "| --- | --- |"]
    for k in KINDS.values():
        summary = k.summary.replace("|", "\\|")
        extra = " (an LLM proposer never writes it)" if not k.llm_proposable else ""
        lines.append(f"| `{k.name}` | {summary}{extra} |")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    """`readme` with the table under "The kinds" replaced by :func:`kinds_table` (a ValueError if it has none)."""
    head = readme.find("| kind | what it scores |")
    if head < 0:
        raise ValueError("the README has no table of kinds (a line starting '| kind | what it scores |')")
    end = head
    for line in readme[head:].splitlines(keepends=True):
        if not line.startswith("|"):
            break
        end += len(line)
    return readme[:head] + kinds_table() + readme[end:]
