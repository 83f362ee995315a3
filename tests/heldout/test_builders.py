"""The held-out inputs themselves: HumanEval labels come from execution, splits and baselines are fixed."""

from __future__ import annotations

import json

import pytest

from .baselines import answer_f1, boxed, choice, compiles
from .datasets import REAL, SETS, load_set
from .humaneval import build_humaneval, mutants, passes
from .measure import split_by_group

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real generations not found at {REAL}")


def _problems():
    return [json.loads(line) for line in (REAL / "humaneval_problems.jsonl").read_text().splitlines()]


def test_humaneval_labels_are_what_execution_says(tmp_path):
    problem = _problems()[2]  # truncate_number: return number % 1.0
    assert passes(problem, problem["canonical_solution"], tmp_path)
    wrong = mutants(problem["canonical_solution"])
    assert wrong == mutants(problem["canonical_solution"]) and wrong  # deterministic, and there are some
    assert not passes(problem, "    return number // 1.0\n", tmp_path)
    assert not passes(problem, "    while True:\n        pass\n", tmp_path)  # a hang fails by time-out


def test_the_built_humaneval_set_has_every_canonical_solution_right():
    samples = load_set(SETS["humaneval"])
    problems = _problems()
    assert len(samples.groups()) == len(problems)
    rows = [json.loads(line) for line in build_humaneval(REAL / "humaneval_problems.jsonl").read_text().splitlines()]
    canonical = {p["task_id"]: p["prompt"].strip() + "\n" + p["canonical_solution"].rstrip() for p in problems}
    right = [r for r in rows if canonical[r["task_id"]] in r["completion"]]
    assert len(right) == len(problems) and all(r["passed"] for r in right)
    assert sum(not r["passed"] for r in rows) > len(problems)  # most mutants really fail
    assert all(s.completion.count("```") == 2 for s in samples)


def test_split_is_by_group_and_the_same_every_time():
    samples = load_set(SETS["math_cot_100"])
    a, b = split_by_group(samples)
    assert len(a) + len(b) == len(samples) and not {s.group for s in a} & {s.group for s in b}
    assert [s.id for s in split_by_group(samples)[1]] == [s.id for s in b]
    assert 0.3 < len(a) / len(samples) < 0.7


def test_baselines_read_the_natural_answer_slot():
    assert answer_f1("<answer>The Eiffel Tower</answer>", "eiffel tower") == 1.0
    assert answer_f1("no tags", "eiffel tower") == 0.0
    assert boxed(r"so \boxed{\frac{1}{2}} and finally \boxed{ 420 }", "420") == 1.0
    assert boxed(r"\boxed{3.0}", "3") == 1.0 and boxed("420", "420") == 0.0
    assert choice("... The answer is (E).", "E") == 1.0 and choice("The answer is (D).", "E") == 0.0
    assert compiles("```python\ndef f():\n    return 1\n```") == 1.0
    assert compiles("```python\ndef f(:\n```") == 0.0 and compiles("no code") == 0.0
