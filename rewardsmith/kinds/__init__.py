"""The rule library: every kind a spec may use, and the catalogue prompts are built from."""

from __future__ import annotations

from typing import Any

from .answers import ANSWER_KINDS
from .base import Extract, Kind, KindParams, Normalize, Render, check_regex, py
from .behaviour import BEHAVIOUR_KINDS
from .format import FORMAT_KINDS
from .judge import JUDGE_KINDS
from .length import LENGTH_KINDS

__all__ = [
    "KINDS",
    "Extract",
    "Kind",
    "KindParams",
    "Normalize",
    "Render",
    "catalogue",
    "check_regex",
    "get_kind",
    "py",
]

KINDS: dict[str, type[Kind]] = {
    k.name: k for k in (*ANSWER_KINDS, *FORMAT_KINDS, *BEHAVIOUR_KINDS, *LENGTH_KINDS, *JUDGE_KINDS)
}


def get_kind(name: str) -> type[Kind]:
    """The kind called `name`, or a KeyError that lists the known ones."""
    try:
        return KINDS[name]
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
