"""The domain kinds (math_equivalent, choice, code_tests, code_compiles), gates and gold unwrapping, run as
rendered modules on the real labelled sets in ../shared/data/real/."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from rewardsmith.bench import Bench, score_samples
from rewardsmith.checks import auc, build_report
from rewardsmith.diagnostics import diagnose
from rewardsmith.errors import SpecError
from rewardsmith.render import render_module
from rewardsmith.report_view import print_report
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import RewardSpec, parse_spec

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def _rows(name: str, limit: int) -> list[dict[str, Any]]:
    with (REAL / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for _, line in zip(range(limit), fh)]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ast.literal_eval(value)


def _module(rules: list[dict[str, Any]]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "domain_rewards"}
    exec(compile(render_module(RewardSpec(name="domain", rules=rules)), "domain_rewards", "exec"), namespace)
    return namespace


def test_math_equivalent_separates_math_cot_by_its_scores():
    completions, golds, labels = [], [], []
    for row in _rows("math_cot_100", 30):
        for response, ok in zip(_listed(row["response"]), _listed(row["score"])):
            completions.append(response)
            golds.append(row["gt"])
            labels.append(bool(ok))
    module = _module([{"name": "correct", "kind": "math_equivalent", "role": "verifier",
                       "params": {"reference": "gt"}}])
    scores = module["correct"](completions=completions, gt=golds)
    assert auc(scores, labels) >= 0.9
    assert "math-verify if installed" in module["__doc__"]


def test_math_equivalent_abstains_on_a_gold_that_does_not_parse_and_unwraps_the_rest():
    module = _module([{"name": "correct", "kind": "math_equivalent", "params": {"backend": "stdlib"}}])
    got = module["correct"](completions=[r"so \boxed{\dfrac{1}{2}}", r"\boxed{18}", r"\boxed{4}", "no box"],
                            answer=["0.5", "#### 18", "\\frac{1", "['\\\\boxed{4}']"])
    assert got == [1.0, 1.0, None, 0.0]


def test_choice_agrees_with_mmlupro_grading():
    rows = _rows("mmlupro_mistral7b", 200)
    module = _module([{"name": "option", "kind": "choice", "params": {"options": "options"}}])
    scores = module["option"](completions=[r["generated_text"] for r in rows], answer=[r["answer"] for r in rows],
                              options=[r["options"] for r in rows])
    agree = sum((s == 1.0) == (r["correct"] is True) for s, r in zip(scores, rows)) / len(rows)
    assert agree >= 0.95


def test_choice_never_reads_an_article_and_refuses_several_options():
    module = _module([{"name": "option", "kind": "choice", "params": {"letters": "ABCD"}}])
    got = module["option"](completions=["A good guess is that the answer is (C).", "The answer is (A) or (C).",
                                        "I would say a dog.", "Answer: 2"], answer=["C", "C", "A", 3])
    assert got == [1.0, 0.0, 0.0, 0.0]


def _humaneval(limit: int) -> list[dict[str, Any]]:
    return _rows("humaneval_problems", limit)


def _fenced(problem: dict[str, Any], body: str) -> str:
    return f"Here is the function:\n\n```python\n{problem['prompt']}{body}```\n"


def test_code_tests_passes_canonical_solutions_and_fails_broken_ones():
    problems = _humaneval(4)
    completions = [_fenced(p, p["canonical_solution"]) for p in problems]
    completions += [_fenced(p, "    return None\n") for p in problems]
    module = _module([
        {"name": "runs", "kind": "code_tests", "role": "verifier", "params": {"timeout": 3.0}},
        {"name": "share", "kind": "code_tests", "params": {"scoring": "fraction", "timeout": 3.0}},
        {"name": "compiles", "kind": "code_compiles", "role": "verifier", "params": {}},
    ])
    columns = {"prompts": [p["prompt"] for p in problems] * 2, "test": [p["test"] for p in problems] * 2,
               "entry_point": [p["entry_point"] for p in problems] * 2}
    assert module["runs"](completions=completions, **columns) == [1.0] * 4 + [0.0] * 4
    share = module["share"](completions=completions, **columns)
    assert share[:4] == [1.0] * 4 and all(s < 1.0 for s in share[4:])
    assert module["compiles"](completions=completions + ["no code", "```python\ndef f(:\n```"]) == [1.0] * 8 + [0.0] * 2


def test_code_tests_reads_stdin_stdout_cases():
    module = _module([{"name": "io", "kind": "code_tests",
                       "params": {"format": "stdio", "tests": "cases", "scoring": "fraction", "timeout": 3.0}}])
    cases = json.dumps([{"input": "2 3\n", "output": "5\n"}, {"input": "10 -4\n", "output": "6\n"}])
    right = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    half = "```python\nprint(5)\n```"
    assert module["io"](completions=[right, half, "no tests here"], cases=[cases, cases, None]) == [1.0, 0.5, None]


def test_every_code_hack_scores_zero_in_the_bench():
    problems = _humaneval(2)
    samples = SampleSet.from_samples(
        Sample(id=f"{p['task_id']}-{k}", prompt=p["prompt"], group=p["task_id"], label=float(k == 0),
               completion=_fenced(p, p["canonical_solution"] if k == 0 else "    return None\n"),
               refs={"test": p["test"], "entry_point": p["entry_point"]})
        for p in problems for k in range(2)
    )
    spec = RewardSpec(name="code", rules=[{"name": "runs", "kind": "code_tests", "role": "verifier",
                                           "params": {"timeout": 1.0}}])
    with Bench() as bench:
        diag = diagnose(spec, samples, score_samples(spec, samples, bench=bench), bench=bench)
    probes = diag.part("probes")
    assert probes.data["findings"] == []
    assert any(line.startswith("runs: resists exit_before_tests, print_expected, redefine_check, read_test_file, "
                               "infinite_loop") for line in probes.lines), probes.lines


def test_a_gated_rule_pays_only_where_its_verifier_passes():
    module = _module([
        {"name": "correct", "kind": "exact_match", "role": "verifier", "params": {}},
        {"name": "tagged", "kind": "regex_format", "weight": 0.2, "gate": "correct",
         "params": {"pattern": "<answer>", "mode": "search"}},
    ])
    got = module["tagged"](completions=["<answer>4</answer>", "<answer>5</answer>", "<answer>4</answer>"],
                           answer=["4", "4", None])
    assert got == [1.0, 0.0, None]


def test_the_report_shows_the_gate():
    spec = RewardSpec(name="g", rules=[
        {"name": "correct", "kind": "exact_match", "role": "verifier", "params": {}},
        {"name": "tagged", "kind": "regex_format", "weight": 0.2, "gate": "correct", "params": {"pattern": "<answer>"}},
    ])
    samples = SampleSet.from_samples(
        Sample(id=f"s{i}", prompt="Q?", group="g", completion=f"<answer>{i}</answer>", refs={"answer": "1"},
               label=float(i == 1)) for i in range(3))
    with Bench() as bench:
        report = build_report(spec, samples, score_samples(spec, samples, bench=bench))
    rules = {r["name"]: r for r in report.data["rules"]}
    assert rules["tagged"]["gate"] == "correct" and "gate" not in rules["correct"]
    console = Console(record=True, width=200)
    print_report(report, console)
    assert "gated by correct" in console.export_text()


@pytest.mark.parametrize(("gate", "message"), [
    ("missing", "is not a rule of this spec"),
    ("shaping", "a gate must be a verifier"),
    ("bonus", "is the rule itself"),
])
def test_gates_name_another_verifier(gate: str, message: str):
    text = json.dumps({"name": "g", "rules": [
        {"name": "shaping", "kind": "length", "params": {"max_length": 10}},
        {"name": "bonus", "kind": "regex_format", "gate": gate, "params": {"pattern": "x"}},
    ]})
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert message in str(err.value.problems)


def test_gates_may_not_go_round_in_a_circle():
    text = json.dumps({"name": "g", "rules": [
        {"name": "one", "kind": "regex_format", "role": "verifier", "gate": "two", "params": {"pattern": "x"}},
        {"name": "two", "kind": "regex_format", "role": "verifier", "gate": "one", "params": {"pattern": "y"}},
    ]})
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert "one -> two -> one" in str(err.value.problems)


def test_reference_unwrap_compares_with_the_bare_gold():
    rules = [{"name": "plain", "kind": "exact_match", "params": {"extract": {"method": "boxed"}}},
             {"name": "bare", "kind": "exact_match",
              "params": {"extract": {"method": "boxed"}, "reference_unwrap": True}}]
    module = _module(rules)
    completions = [r"\boxed{4}"] * 4
    golds = ["['\\\\boxed{4}']", "$4$", "#### 4", "$5$"]
    assert module["plain"](completions=completions, answer=golds) == [0.0] * 4
    assert module["bare"](completions=completions, answer=golds) == [1.0, 1.0, 1.0, 0.0]
