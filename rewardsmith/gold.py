"""Which columns hold gold: one definition for the loader, the proposer and the correctness gate.

A column holds gold (the answer, its aliases, or the tests a right completion passes) when its name
— lower-case, "-" and spaces read as "_" — is one of the gold words, ends with one ("gold_answer",
"canonical_solution", "answer_aliases") or starts with a word that says "gold" ("expected_output",
"reference_text"), unless it starts with a word that says the model wrote it ("pred_answer",
"model_solution") or it is metadata about the problem ("difficulty", "entry_point"): a rule that
compares a completion with metadata measures nothing. HumanEval's gold is its ``test``; its
``entry_point`` is the name of the function that test calls, read alongside it, never compared.

Standard library only, and no import from the package: the loader (:mod:`rewardsmith.samples`)
imports this module, so it sits in a layer below it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = [
    "GOLD_COLUMNS",
    "GOLD_PRESENT",
    "METADATA_COLUMNS",
    "gold_columns",
    "gold_key",
    "is_gold_name",
    "is_metadata_name",
]

# The most telling gold names, most telling first: the loader keys groups by the first one a file has.
GOLD_COLUMNS: tuple[str, ...] = (
    "answer", "gold", "gold_answer", "gt", "ground_truth", "target", "reference", "expected_answer",
    "expected", "expected_result", "final_answer", "correct_answer", "solution_answer", "answers",
)
# Facts about the problem, never its answer: a correctness rule must not read them.
METADATA_COLUMNS: frozenset[str] = frozenset({
    "difficulty", "platform", "entry_point", "category", "level", "task_id", "question_id", "question_title",
    "contest_id", "contest_date", "starter_code", "subject", "topic", "source", "split", "dataset", "language",
    "type", "idx", "id", "index", "system", "metadata",
})
GOLD_PRESENT = 0.5  # a gold column has a value on more than this share of samples

_GOLD_WORDS = frozenset({
    "alias", "aliases", "answer", "answers", "gold", "gt", "ground_truth", "groundtruth", "reference",
    "references", "solution", "solutions", "target", "targets", "expected", "test", "tests", "test_cases",
})
_GOLD_PREFIXES = frozenset({"gold", "gt", "ground_truth", "reference", "expected", "target", "correct", "canonical"})
_MODEL_WORDS = frozenset({
    "pred", "preds", "prediction", "predicted", "model", "generated", "generation", "response", "completion",
    "output", "outputs", "policy", "sampled",
})
_WORD_SPLIT = re.compile(r"[_\-\s]+")


def _key(name: str) -> str:
    """A column name as the rules read it: lower-case, words joined by "_"."""
    return _WORD_SPLIT.sub("_", name.strip().lower()).strip("_")


def is_metadata_name(name: str) -> bool:
    """Whether a column's name says it holds metadata about the problem (see `METADATA_COLUMNS`)."""
    return _key(name) in METADATA_COLUMNS


def is_gold_name(name: str) -> bool:
    """Whether a column's name says it holds gold (see the module docstring)."""
    key = _key(name)
    words = key.split("_")
    if not key or words[0] in _MODEL_WORDS or key in METADATA_COLUMNS:
        return False
    if key in _GOLD_WORDS:
        return True
    return any("_".join(words[:n]) in _GOLD_PREFIXES or "_".join(words[-n:]) in _GOLD_WORDS
               for n in range(1, min(len(words), 2) + 1))


def gold_key(names: Iterable[str], exclude: Iterable[str | None] = ()) -> str | None:
    """The most telling gold column among `names` (a row's columns), or None.

    A name of `GOLD_COLUMNS` first (in its order), then any other gold name in the row's order;
    `exclude` holds the columns already read as something else (the completion, the label …).
    """
    taken = set(exclude)
    present = [n for n in names if n not in taken]
    ranked = next((g for g in GOLD_COLUMNS if g in present), None)
    return ranked if ranked is not None else next((n for n in present if is_gold_name(n)), None)


class _Samples(Protocol):
    """What `gold_columns` reads of a sample set (a :class:`rewardsmith.samples.SampleSet`)."""

    @property
    def columns(self) -> Sequence[str]: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Any: ...

    def groups(self) -> dict[str, list[int]]: ...

    def group_count(self) -> int: ...

    def column_summary(self, name: str) -> tuple[int, list[str]]: ...


def _present(value: Any) -> bool:
    """Whether a cell holds a value (not None, not a bool, not blank)."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (str, list, tuple, dict)):
        return bool(value) and (not isinstance(value, str) or bool(value.strip()))
    return True


def gold_columns(samples: _Samples) -> list[str]:
    """Reference columns that hold gold: a gold name, a value on most samples, not one value for all.

    A column with the same value for every prompt of a file with several prompts is a setting
    (a system prompt, a split name), not an answer.
    """
    if not len(samples):
        return []
    several_prompts = samples.group_count() > 1
    out = []
    for name in samples.columns:
        if not is_gold_name(name):
            continue
        present, shown = samples.column_summary(name)
        if present <= GOLD_PRESENT * len(samples):
            continue
        if several_prompts and len(shown) < 2:
            continue
        out.append(name)
    return out
