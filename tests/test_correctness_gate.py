"""`rewardsmith test` refuses a reward with no correctness signal, unless the spec waives it in writing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rewardsmith.bench import Bench, score_samples
from rewardsmith.checks import build_report
from rewardsmith.cli import cli
from rewardsmith.errors import SpecError
from rewardsmith.gold import gold_columns, is_gold_name
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import dump_spec, parse_spec

ANSWER = {"extract": {"method": "xml_tag", "tag": "answer"}, "normalize": {"strip": True}}
LENGTH_ONLY = {"name": "short", "rules": [{"name": "brief", "kind": "length", "params": {"max_length": 60}}]}


def _done(answer: str, pad: int = 0) -> str:
    return f"<think>{'x' * pad}</think><answer>{answer}</answer>"


def _samples(rows: list[tuple[str, str, str, bool | None]]) -> SampleSet:
    """(group, completion, gold, label) rows; the prompt is the group."""
    return SampleSet.from_samples(
        Sample(id=f"s{i}", prompt=g, completion=c, group=g, label=None if y is None else float(y), refs={"answer": a})
        for i, (g, c, a, y) in enumerate(rows))


ROWS = [("2+2?", _done("4"), "4", True), ("2+2?", _done("5", 40), "4", False),
        ("3+3?", _done("6", 10), "6", True), ("3+3?", _done("7"), "6", False)]


@pytest.fixture(scope="module")
def bench():
    with Bench() as worker:
        yield worker


def _report(spec: dict, samples: SampleSet, bench: Bench):
    reward = parse_spec(json.dumps(spec))
    return build_report(reward, samples, score_samples(reward, samples, bench=bench))


def _failed(report) -> dict[str, str]:
    return {c.id: c.message for c in report.failures()}


def test_a_length_only_spec_on_a_file_with_gold_fails_through_the_cli(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"prompt": g, "completion": c, "answer": a, "label": y}) + "\n"
                               for g, c, a, y in ROWS))
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(LENGTH_ONLY))
    result = CliRunner().invoke(cli, ["test", str(spec), str(samples), "--json", str(tmp_path / "r.json")],
                                catch_exceptions=False)
    assert result.exit_code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    failed = {c["id"]: c["message"] for c in report["checks"] if not c["ok"]}
    assert "a spec that only shapes — length, format, counts — is not a reward" in failed["correctness:no_rule"]
    assert "`answer`" in failed["correctness:no_rule"] and "correctness_waiver" in failed["correctness:no_rule"]
    assert report["correctness"]["gold_columns"] == ["answer"] and report["passed"] is False

    spec.write_text(json.dumps({**LENGTH_ONLY, "expectations": {
        "correctness_waiver": "a length budget for a summariser; correctness is judged elsewhere"}}))
    result = CliRunner().invoke(cli, ["test", str(spec), str(samples), "--json", str(tmp_path / "r.json")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    checks = {c["id"]: c for c in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert checks["correctness:no_rule"]["severity"] == "warning"
    assert "waived: a length budget for a summariser" in checks["correctness:no_rule"]["message"]


def test_a_right_answer_rule_passes_the_gate(bench):
    report = _report({"name": "ok", "rules": [
        {"name": "correct", "kind": "exact_match", "params": ANSWER},
        {"name": "brief", "kind": "length", "weight": 0.1, "params": {"max_length": 60}}]}, _samples(ROWS), bench)
    assert not [c for c in report.failures() if c.id.startswith("correctness")]
    data = report.data["correctness"]
    assert data["main"] == "correct" and data["best_auc"] == 1.0 and data["advantage_share"] > 0.5


def test_an_answer_rule_that_never_matches_fails(bench):
    # Reads the gold and varies (no answer found scores -0.5), yet never gives its top score:
    # the gold is written in words, the answers in digits.
    rows = [(g, c, {"4": "four", "6": "six"}[a], y) for g, c, a, y in ROWS] + [("4+4?", "no tags", "eight", False)]
    spec = {"name": "miss", "rules": [{"name": "correct", "kind": "exact_match",
                                       "params": {**ANSWER, "score_missing": -0.5}}]}
    failed = _failed(_report(spec, _samples(rows), bench))
    assert "matches on 0% of the 5 samples" in failed["correctness:never_matches"]
    assert "correctness:constant" not in failed


def test_a_constant_answer_rule_fails(bench):
    spec = {"name": "flat", "rules": [{"name": "correct", "kind": "exact_match",
                                       "params": {"extract": {"method": "xml_tag", "tag": "final"}}}]}
    failed = _failed(_report(spec, _samples(ROWS), bench))
    assert "gives 0 on every one of the 4 samples" in failed["correctness:constant"]


def test_labels_no_correctness_rule_separates_fail(bench):
    # Right and wrong answers are half good, half bad: the answer rule explains nothing (AUC 0.5).
    rows = [("2+2?", _done("4"), "4", True), ("2+2?", _done("5"), "4", True),
            ("3+3?", _done("6"), "6", False), ("3+3?", _done("7"), "6", False)]
    spec = {"name": "blind", "rules": [{"name": "correct", "kind": "exact_match", "params": ANSWER}]}
    failed = _failed(_report(spec, _samples(rows), bench))
    assert "best AUC 0.500 (correct), under 0.6" in failed["correctness:separation"]


def test_shaping_that_carries_most_of_the_advantage_fails(bench):
    rows = [(g, _done(ans, pad=k * 30), a, y) for k, (g, c, a, y) in enumerate(ROWS)
            for ans in [c.split("<answer>")[1].split("<")[0]]]
    spec = {"name": "shaped", "rules": [
        {"name": "correct", "kind": "exact_match", "weight": 0.05, "params": ANSWER},
        {"name": "brief", "kind": "length", "params": {"max_length": 100, "buffer": 100}}]}
    report = _report(spec, _samples(rows), bench)
    assert "shaping rules carry" in _failed(report)["correctness:advantage"]
    assert report.data["correctness"]["shaping_share"] > report.data["correctness"]["advantage_share"]


def test_gold_that_no_rule_reads_fails(bench):
    samples = SampleSet.from_samples(
        Sample(id=s.id, prompt=s.prompt, completion=s.completion, group=s.group, label=s.label,
               refs={**s.refs, "hint": "4"}) for s in _samples(ROWS))
    spec = {"name": "hint", "rules": [{"name": "correct", "kind": "exact_match",
                                       "params": {**ANSWER, "reference": "hint"}}]}
    assert "which no rule reads" in _failed(_report(spec, samples, bench))["correctness:gold_unread"]


def test_which_columns_count_as_gold():
    for name in ("answer", "gt", "gold_answer", "canonical_solution", "expected_output", "answer_aliases", "Test"):
        assert is_gold_name(name), name
    for name in ("pred_answer", "model_solution", "question", "answer_format", "options", "label"):
        assert not is_gold_name(name), name
    # A gold name with one value for every prompt is a setting, not an answer.
    same = SampleSet.from_samples(Sample(id=f"s{i}", prompt=f"q{i}", completion="c", group=f"q{i}",
                                         refs={"answer": "yes", "target": f"t{i}"}) for i in range(4))
    assert gold_columns(same) == ["target"]


def test_the_waiver_round_trips_and_must_say_why():
    text = "name: w\nrules:\n  - {name: brief, kind: length, params: {max_length: 9}}\n" \
           "expectations:\n  correctness_waiver: format only, by design  # kept\n"
    spec = parse_spec(text)
    assert spec.expectations.correctness_waiver == "format only, by design"
    assert "correctness_waiver: format only, by design  # kept" in dump_spec(spec)
    with pytest.raises(SpecError) as exc:
        parse_spec(text.replace("format only, by design  # kept", "'  '"))
    assert "line 5, expectations.correctness_waiver: correctness_waiver must say why" in str(exc.value)


def test_a_rule_compared_with_metadata_fails(bench):
    # What the proposer used to ship on LiveCodeBench: exact match of the last line against `difficulty`.
    samples = SampleSet.from_samples(
        Sample(id=s.id, prompt=s.prompt, completion=s.completion, group=s.group, label=s.label,
               refs={**s.refs, "difficulty": ["easy", "hard"][i % 2]}) for i, s in enumerate(_samples(ROWS)))
    spec = {"name": "meta", "rules": [
        {"name": "correct", "kind": "exact_match", "params": {**ANSWER, "reference": "answer"}},
        {"name": "level", "kind": "exact_match", "params": {**ANSWER, "reference": "difficulty"}, "weight": 0.1}]}
    failed = _failed(_report(spec, samples, bench))
    assert "describes the problem, not its answer" in failed["correctness:metadata:level"]
    assert "'answer'" in failed["correctness:metadata:level"] and "correctness:metadata:correct" not in failed


def test_without_labels_or_gold_the_proposal_and_the_test_say_what_cannot_be_checked(bench):
    """No labels, no gold column: the proposer says plainly that only format and behaviour can be checked, and
    `test` refuses the format-only spec it gets, saying what is missing."""
    from rewardsmith.propose import propose_offline

    texts = [f"<think>step {i}\nthen more</think>\n<answer>{i}</answer>" for i in range(12)] + ["no tags"] * 4
    samples = SampleSet.from_samples(Sample(id=f"u{i}", prompt=f"p{i}", completion=t, group=f"p{i}")
                                     for i, t in enumerate(texts))
    spec = propose_offline(samples, name="blind")
    assert "whether an answer is right cannot be checked, only its format and behaviour" in spec.description
    assert "nothing checks it" in spec.description and "add a gold-answer column" in spec.description
    assert not spec.expectations.correctness_waiver  # unlabelled: nothing to waive on, the gap is stated instead
    report = build_report(spec, samples, score_samples(spec, samples, bench=bench))
    assert "nothing here checks that an answer is right: add a gold column" in _failed(report)["correctness:no_rule"]
