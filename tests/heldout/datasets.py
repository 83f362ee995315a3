"""The labelled real sets of ``../shared/data/real/``: how each maps onto samples, in one place.

Each entry says which column is the prompt, the completion and the label (what a user passes as
``--prompt-field`` …), which column holds the gold, and which natural answer slot the set's
five-line baseline reads (see baselines.py). The files are read in place, never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rewardsmith.samples import FieldMap, SampleSet, load_samples

from .humaneval import build_humaneval

__all__ = ["REAL", "SETS", "HeldoutSet", "load_set"]

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"


@dataclass(frozen=True)
class HeldoutSet:
    """One labelled real set: its file, its field mapping, its gold column and its baseline's slot."""

    name: str
    domain: str
    file: str
    fields: FieldMap
    gold: str | None  # the column the baseline compares with; None when the set has none
    baseline: str  # the answer slot baselines.py reads: "answer_f1", "boxed", "choice", "compiles"
    notes: str = ""
    built: bool = field(default=False)  # completions built from the file (HumanEval), not read from it


SETS: dict[str, HeldoutSet] = {s.name: s for s in (
    HeldoutSet(
        "bamboogle_qwen", "search", "bamboogle_qwen.jsonl",
        FieldMap(prompt="question", completion="gen_text_store", label="gpt4o_output"),
        gold="answer", baseline="answer_f1",
        notes="one trajectory per question; the label is an LLM judge's True/False",
    ),
    HeldoutSet(
        "math_cot_100", "math", "math_cot_100.jsonl",
        FieldMap(prompt="question", completion="response", label="score",
                 per_completion=("code", "pred", "pred_score", "report")),
        gold="gt", baseline="boxed",
        notes="8 responses per problem, each with its own score",
    ),
    HeldoutSet(
        "mmlupro_mistral7b", "multiple choice", "mmlupro_mistral7b.jsonl",
        FieldMap(prompt="question", completion="generated_text", label="correct", id="question_id",
                 group="question_id"),
        gold="answer", baseline="choice",
        notes="10 options A–J; a few questions repeat, so question_id is the group",
    ),
    HeldoutSet(
        "lcb_o1mini_codegen", "code", "lcb_o1mini_codegen.jsonl",
        FieldMap(prompt="question_content", completion="output", label="passed", id="question_id"),
        gold=None, baseline="compiles",
        notes="hidden tests not included: only format and syntax can be checked",
    ),
    HeldoutSet(
        "humaneval", "code", "humaneval_problems.jsonl",
        FieldMap(prompt="prompt", completion="completion", label="passed", id="id", group="task_id",
                 label_true=("true",), label_false=("false",)),
        gold="test", baseline="compiles", built=True,
        notes="canonical solution + up to 3 mutants per problem, labelled by running `check`",
    ),
)}


def load_set(spec: HeldoutSet, cache_dir: Path | None = None) -> SampleSet:
    """The set's samples; HumanEval's completions are built (and cached) first."""
    source = REAL / spec.file
    path = build_humaneval(source, cache_dir) if spec.built else source
    return load_samples(path, spec.fields)
