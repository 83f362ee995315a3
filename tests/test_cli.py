"""The commands as a user runs them: exit codes 0 / 1 / 2 and messages instead of tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rewardsmith.cli import cli

GOOD = "<reasoning>\nSix minus two.\n</reasoning>\n<answer>\n4\n</answer>\n"
BAD = "<reasoning>\nSix plus two.\n</reasoning>\n<answer>\n8\n</answer>\n"

SPEC = """\
name: tiny
rules:
  - name: correct
    kind: exact_match
    params:
      extract: {method: xml_tag, tag: answer}
      normalize: {strip: true}
expectations:
  min_auc: 0.9
"""


@pytest.fixture
def files(tmp_path):
    rows = [
        {"prompt": "6-2?", "completion": GOOD, "answer": "4", "label": "good"},
        {"prompt": "6-2?", "completion": BAD, "answer": "4", "label": "bad"},
        {"prompt": "3+3?", "completion": GOOD.replace("4", "6"), "answer": "6", "label": "good"},
        {"prompt": "3+3?", "completion": BAD, "answer": "6", "label": "bad"},
    ]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    return tmp_path, samples, spec


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_test_passes_and_writes_json(files):
    tmp, samples, spec = files
    result = run("test", spec, samples, "--json", tmp / "report.json")
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output
    report = json.loads((tmp / "report.json").read_text())
    assert report["passed"] is True and report["total"]["auc"] == 1.0
    assert report["rules"][0]["name"] == "correct"


def test_test_fails_with_exit_1_when_an_expectation_is_not_met(files):
    tmp, samples, spec = files
    spec.write_text(SPEC.replace("tag: answer", "tag: reasoning"))
    result = run("test", spec, samples)
    assert result.exit_code == 1
    assert "AUC of the weighted total is 0.500; the spec expects at least 0.9" in result.output


def test_bad_row_is_a_located_error_not_a_traceback(files):
    tmp, samples, spec = files
    lines = samples.read_text().splitlines()
    lines[2] = '{"prompt": "broken'
    samples.write_text("\n".join(lines) + "\n")
    result = run("test", spec, samples)
    assert result.exit_code == 2
    assert f"{samples}:3:" in result.output
    assert "Traceback" not in result.output


def test_invalid_spec_is_a_located_error(files):
    tmp, samples, spec = files
    spec.write_text(SPEC.replace("kind: exact_match", "kind: exact"))
    result = run("render", spec)
    assert result.exit_code == 2
    assert "line 4, rules[0].kind: unknown kind 'exact'" in result.output


def test_render_to_stdout_and_file(files):
    tmp, samples, spec = files
    result = run("render", spec)
    assert result.exit_code == 0 and "def correct(prompts=None, completions=None, **kwargs):" in result.output
    assert run("render", spec, "-o", tmp / "r.py").exit_code == 0
    compile((tmp / "r.py").read_text(), "r.py", "exec")


def test_presets_lists_the_seed_sets():
    result = run("presets")
    assert result.exit_code == 0
    for name in ("seed-exact-retry", "unsloth-gsm8k", "alphamaze"):
        assert name in result.output


def test_export_check_and_drift_exit_codes(files):
    tmp, samples, spec = files
    out = tmp / "exp"
    assert run("export", spec, samples, "--out", out).exit_code == 0
    assert run("check", out).exit_code == 0
    assert run("check", out, samples).exit_code == 0
    (out / "spec.yaml").write_text((out / "spec.yaml").read_text().replace("strip: true", "strip: false"))
    result = run("check", out)
    assert result.exit_code == 1
    assert "Score drift" in result.output or "differs from a fresh render" in result.output


def test_export_refuses_failing_checks_unless_allowed(files):
    tmp, samples, spec = files
    spec.write_text(SPEC.replace("tag: answer", "tag: reasoning"))
    assert run("export", spec, samples, "--out", tmp / "e").exit_code == 1
    assert not (tmp / "e").exists()
    assert run("export", spec, samples, "--out", tmp / "e", "--allow-failing").exit_code == 0


def test_export_needs_exactly_one_of_spec_or_preset(files):
    tmp, samples, spec = files
    assert run("export", "--out", tmp / "x").exit_code == 2
    assert run("export", "--preset", "nope", "--out", tmp / "x").exit_code == 2
    assert run("export", "--preset", "unsloth-gsm8k", "--out", tmp / "x").exit_code == 0


def test_missing_field_tells_which_flags_to_use(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"question": "q", "gen": "a"}) + "\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = run("test", spec, samples)
    assert result.exit_code == 2 and "--completion-field" in result.output
    samples.write_text(json.dumps({"question": "q", "gen": "<answer>4</answer>", "answer": "4",
                                   "ok": "True"}) + "\n")
    result = run("test", spec, samples, "--prompt-field", "question", "--completion-field", "gen",
                 "--label-field", "ok")
    assert result.exit_code == 1  # one labelled class only: the AUC expectation cannot be met


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "rewardsmith", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "rewardsmith" in done.stdout
