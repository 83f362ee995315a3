"""Regex and extraction lint: each finding fires with the string it fails on, and stays silent on sound rules."""

from __future__ import annotations

import re

import pytest

from rewardsmith.bench import Bench
from rewardsmith.diagnostics.lint import confirm_shape, regex_shapes
from rewardsmith.errors import SpecError
from rewardsmith.presets import load_preset
from rewardsmith.samples import SampleSet

from .conftest import run, sample, spec_of


def _findings(diag, code=None):
    found = diag.part("lint").data["findings"]
    return [f for f in found if code is None or f["code"] == code]


def test_unsloth_soft_format_gets_the_dotall_finding_on_a_sample(math_samples, bench):
    diag = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    (soft,) = [f for f in _findings(diag, "dot_newline") if f["rule"] == "soft_format_reward_func"]
    assert soft["sample_as_is"] and soft["score"] == 0.0
    assert "\n" in soft["string"] and "<reasoning>" in soft["string"]
    assert re.search(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", soft["string"], re.DOTALL)
    assert any(c.id == "lint:dot_newline:soft_format_reward_func" and c.severity == "warning" for c in diag.checks)
    strict = {f["code"] for f in _findings(diag) if f["rule"] == "strict_format_reward_func"}
    assert {"dot_newline", "anchor_newline", "literal_newline"} <= strict


def test_unsloth_isdigit_and_whole_text_quirks_are_shown_through_the_module(math_samples, bench):
    diag = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    (sup,) = _findings(diag, "isdigit")
    assert "²" in sup["string"] and sup["score"] == 0.5  # int() would reject it
    (neg,) = _findings(diag, "isdigit_negative")
    assert "-3" in neg["string"] and neg["score"] == 0.0
    whole = {f["rule"]: f for f in _findings(diag, "whole_text")}
    assert whole["correctness_reward_func"]["score"] == 2.0 and "<answer>" not in whole["correctness_reward_func"]["string"]
    assert whole["int_reward_func"]["score"] == 0.5


def test_generated_multiline_string_when_no_sample_shows_the_dot_issue(bench):
    spec = spec_of("""
name: dot
rules:
  - {name: tagged, kind: regex_format, params: {pattern: '<answer>.+</answer>'}}
""")
    samples = SampleSet([sample("a", "ok <answer>four and two</answer>"), sample("b", "no tags")])
    (f,) = _findings(run(spec, samples, bench), "dot_newline")
    assert not f["sample_as_is"] and f["string"] == "ok <answer>four\nand\ntwo</answer>" and f["score"] == 0.0
    fixed = spec_of("""
name: dot
rules:
  - {name: tagged, kind: regex_format, params: {pattern: '<answer>.+</answer>', flags: [DOTALL]}}
""")
    assert _findings(run(fixed, samples, bench)) == []


def test_match_used_for_search(bench):
    rows = SampleSet([sample("a", "Sure! <answer>4</answer>"), sample("b", "<answer>5</answer>")])
    fires = spec_of("""
name: m
rules:
  - {name: tagged, kind: regex_format, params: {pattern: '<answer>\\d+</answer>', mode: match}}
""")
    (f,) = _findings(run(fires, rows, bench), "match_for_search")
    assert f["sample"] == "a" and f["score"] == 0.0
    for mode_line in ("{pattern: '<answer>\\d+</answer>', mode: search}", "{pattern: '^<answer>\\d+</answer>', mode: match}"):
        quiet = spec_of(f"name: m\nrules:\n  - {{name: tagged, kind: regex_format, params: {mode_line}}}\n")
        assert _findings(run(quiet, rows, bench), "match_for_search") == []


@pytest.mark.parametrize("pattern,fires", [
    ("<answer>\\d+</answer>\\Z", True),  # a trailing newline breaks it
    ("<answer>\\d+</answer>\\n$", True),  # it needs a trailing newline
    ("<answer>\\d+</answer>\\s*\\Z", False),
])
def test_anchors_against_trailing_newlines(bench, pattern, fires):
    spec = spec_of(f"name: a\nrules:\n  - {{name: tagged, kind: regex_format, params: {{pattern: '{pattern}'}}}}\n")
    rows = SampleSet([sample("a", "<answer>4</answer>"), sample("b", "<answer>5</answer>\n")])
    found = _findings(run(spec, rows, bench), "anchor_newline")
    assert bool(found) == fires
    if fires:
        assert found[0]["score"] == 0.0 and found[0]["string"] in ("<answer>4</answer>", "<answer>4</answer>\n",
                                                                   "<answer>5</answer>", "<answer>5</answer>\n")


def test_literal_newline_where_models_vary(bench):
    rows = SampleSet([sample("a", "<answer>\n4\n</answer>")])
    fires = spec_of("name: n\nrules:\n  - {name: tagged, kind: regex_format, params: {pattern: '<answer>\\n\\d+\\n</answer>'}}\n")
    (f,) = _findings(run(fires, rows, bench), "literal_newline")
    assert "\r\n" in f["string"] and f["score"] == 0.0
    quiet = spec_of("name: n\nrules:\n  - {name: tagged, kind: regex_format, params: {pattern: '<answer>\\s*\\d+\\s*</answer>'}}\n")
    assert _findings(run(quiet, rows, bench)) == []


@pytest.mark.parametrize("pattern,kind", [
    (r"(a|aa)+$", "exponential"), (r"(?:a{1,})*$", "exponential"), (r"(\s*\S+)+$", "exponential"),
    (r"(?:<s>.*?</s>)+$", "exponential"), (r".*.*.*=", "polynomial"), (r"<answer>\s*(.*)\s*</answer>", "polynomial"),
])
def test_backtracking_shapes_are_found_and_measured(pattern, kind):
    shapes = regex_shapes(pattern)
    assert shapes and shapes[0].kind == kind
    # Growth is measured in wall-clock time: on a loaded machine one measurement can miss it, so the
    # shape gets three tries (a tame pattern never grows, however often it is timed: the test below).
    find = re.compile(pattern).search
    assert any(confirm_shape(shapes[0], find) is not None for _ in range(3))


@pytest.mark.parametrize("pattern", [
    r"(\w|\d)+$", r"<think>.*?</think>", r"(?:\d+,)+\d+$", r"(?:a|ab)+$", r"Searching for:.*?",
    r"(?:<search>[^<]*</search>\s*)+$", r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$",
])
def test_tame_patterns_are_not_backtracking_findings(pattern):
    assert all(confirm_shape(s, re.compile(pattern).search) is None for s in regex_shapes(pattern))


def test_a_catastrophic_count_pattern_is_refused_by_the_spec():
    with pytest.raises(SpecError, match="catastrophically"):
        spec_of("""
name: slow
rules:
  - {name: runs, kind: count_in_range, params: {pattern: '(a|aa)+$', min_count: 1, max_count: 3}}
""")


def test_a_catastrophic_count_pattern_that_got_past_validation_times_out_in_the_worker():
    # Specs refuse such a pattern (above); one can still reach the bench unvalidated (a spec object built in
    # code, a module under audit). The lint finds it and the worker's time limit contains it.
    spec = spec_of("""
name: slow
rules:
  - {name: runs, kind: count_in_range, params: {pattern: 'a+$', min_count: 1, max_count: 3}}
""")
    params = spec.rules[0].params.model_construct(**{**spec.rules[0].params.model_dump(), "pattern": "(a|aa)+$"})
    spec.rules[0].__dict__["params"] = params
    rows = SampleSet([sample("a", "aaa"), sample("b", "b")])
    with Bench(time_limit=2.0) as bench:
        diag = run(spec, rows, bench)
    (f,) = _findings(diag, "backtracking")
    assert f["rule"] == "runs" and f["string"].startswith("aaaa")
    assert any("timed out" in line for line in diag.part("lint").lines)
    assert diag.seconds < 5


def test_sound_rules_get_no_lint(bench):
    spec = spec_of(r"""
name: sound
rules:
  - {name: tagged, kind: regex_format, params: {pattern: '<think>.*?</think>\s*<answer>.*?</answer>', flags: [DOTALL]}}
  - {name: right, kind: exact_match, params: {extract: {method: xml_tag}, normalize: {strip: true}}}
  - {name: whole_number, kind: answer_shape, params: {check: integer, extract: {method: xml_tag}}}
""")
    rows = SampleSet([sample("a", "<think>\nsix\n</think>\n<answer>6</answer>", answer="6"),
                      sample("b", "<think>\nfive\n</think>\n<answer>5</answer>\n", answer="6")])
    assert _findings(run(spec, rows, bench)) == []
