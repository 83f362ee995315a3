"""The loader keeps the gold column when a prompt repeats with different golds, and reports what it drops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardsmith.cli import cli
from rewardsmith.samples import FieldMap, load_samples

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_same_prompt_with_two_golds_is_two_groups(tmp_path: Path) -> None:
    rows = [
        {"prompt": "Which option?", "completion": "The answer is (A).", "answer": "A"},
        {"prompt": "Which option?", "completion": "The answer is (B).", "answer": "A"},
        {"prompt": "Which option?", "completion": "The answer is (C).", "answer": "C"},
        {"prompt": "Other?", "completion": "The answer is (D).", "answer": "D"},
    ]
    samples = load_samples(_write(tmp_path / "mc.jsonl", rows))
    assert [s.group for s in samples] == ["g0001", "g0001", "g0002", "g0003"]
    assert [s.refs["answer"] for s in samples] == ["A", "A", "C", "D"]
    assert samples.dropped == {} and samples.warnings() == []


def test_mmlupro_repeated_questions_keep_one_gold_per_group() -> None:
    path = REAL / "mmlupro_mistral7b.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not available here")
    samples = load_samples(path, FieldMap(prompt="question", completion="generated_text", label="correct"))
    for indices in samples.groups().values():
        assert len({samples[i].refs["answer"] for i in indices}) == 1
    assert len({s.prompt for s in samples}) < len(samples.groups())  # repeated prompts were split by gold


def test_dropped_columns_are_reported_and_printed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    rows = [{"question": f"q{i}", "prompt": "system text", "response": f"<answer>{i}</answer>", "answer": str(i)}
            for i in range(4)]
    path = _write(tmp_path / "s.jsonl", rows)
    samples = load_samples(path, FieldMap(prompt="question", completion="response"))
    assert set(samples.dropped) == {"prompt"}
    assert "TRL never passes" in samples.dropped["prompt"] and "'question'" in samples.dropped["prompt"]
    assert samples[:2].dropped == samples.dropped
    result = CliRunner().invoke(cli, ["propose", str(path), "-o", str(tmp_path / "spec.yaml"),
                                      "--prompt-field", "question", "--completion-field", "response"])
    assert result.exit_code == 0, result.output
    assert "warning: column 'prompt' dropped" in result.output
