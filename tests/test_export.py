"""Export writes module + pytest file + spec + baseline; check finds drift; hand edits are kept."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rewardsmith.errors import ExportError
from rewardsmith.export import check_export, export_spec
from rewardsmith.presets import load_preset
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import dump_spec, load_spec

GOOD = "<reasoning>\nSix apples minus two.\n</reasoning>\n<answer>\n4\n</answer>\n"
WRONG = "<reasoning>\nSix apples plus two.\n</reasoning>\n<answer>\n8\n</answer>\n"
LOOSE = "The answer is 4."


@pytest.fixture
def math_samples() -> SampleSet:
    rows = [(GOOD, 1.0), (WRONG, 0.0), (LOOSE, 0.0), (GOOD + "thanks!", 1.0)]
    return SampleSet.from_samples([
        Sample(id=f"m{i}", prompt=[{"role": "user", "content": "6 - 2?"}],
               completion=[{"role": "assistant", "content": text}], group="g1", label=label,
               refs={"answer": "4"})
        for i, (text, label) in enumerate(rows)
    ])


def test_export_writes_four_files_and_its_tests_pass(tmp_path, math_samples):
    out = tmp_path / "unsloth"
    result = export_spec(load_preset("unsloth-gsm8k"), out, math_samples)
    assert sorted(p.name for p in out.iterdir()) == [
        "baseline.json", "rewards.py", "spec.yaml", "test_unsloth_gsm8k.py"]
    baseline = json.loads((out / "baseline.json").read_text())
    assert baseline["scores"]["correctness_reward_func"] == [2.0, 0.0, 0.0, 2.0]
    assert result.report is not None and result.report.passed
    assert "Validation:" in (out / "rewards.py").read_text()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passed" in run.stdout
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))


def test_check_finds_no_drift_then_module_and_score_drift(tmp_path, math_samples):
    out = tmp_path / "exp"
    export_spec(load_preset("unsloth-gsm8k"), out, math_samples)
    assert check_export(out).ok

    spec_text = (out / "spec.yaml").read_text().replace("score_match: 2.0", "score_match: 3.0")
    (out / "spec.yaml").write_text(spec_text)
    result = check_export(out)
    assert not result.ok
    # the rule's scores are one comprehension over the batch: the changed score shows on its line
    removed = [line for line in result.module_diff.splitlines() if line.startswith("-    return [")]
    added = [line for line in result.module_diff.splitlines() if line.startswith("+    return [")]
    assert len(removed) == len(added) == 1
    assert "(2.0 if answer == ref" in removed[0] and "(3.0 if answer == ref" in added[0]
    assert ("m0", "correctness_reward_func", 3.0, 2.0) in result.drift
    assert all(rule == "correctness_reward_func" for _, rule, _, _ in result.drift)


def test_hand_edited_module_is_not_overwritten_without_force(tmp_path, math_samples):
    out = tmp_path / "exp"
    spec = load_preset("unsloth-gsm8k")
    export_spec(spec, out, math_samples)
    export_spec(spec, out, math_samples)  # unchanged export: fine
    module = out / "rewards.py"
    module.write_text(module.read_text() + "\n# my tweak\n")
    with pytest.raises(ExportError, match="edited since it was exported.*--force"):
        export_spec(spec, out, math_samples)
    assert module.read_text().endswith("# my tweak\n")
    export_spec(spec, out, math_samples, force=True)
    assert "# my tweak" not in module.read_text()


def test_export_without_samples_and_exported_spec_reloads(tmp_path):
    out = tmp_path / "bare"
    export_spec(load_preset("alphamaze"), out)
    assert load_spec(out / "spec.yaml").fingerprint() == load_preset("alphamaze").fingerprint()
    assert dump_spec(load_spec(out / "spec.yaml")) == (out / "spec.yaml").read_text()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert check_export(out).ok


def test_check_refuses_a_folder_that_is_not_an_export(tmp_path):
    with pytest.raises(ExportError, match="not a rewardsmith export"):
        check_export(tmp_path)
