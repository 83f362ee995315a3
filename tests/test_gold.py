"""One definition of a gold column, shared by the loader's group key, the proposer and the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardsmith.gold import GOLD_COLUMNS, METADATA_COLUMNS, gold_columns, gold_key, is_gold_name
from rewardsmith.propose.offline import propose_offline
from rewardsmith.samples import FieldMap, load_samples

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def test_every_ranked_name_is_gold_and_no_metadata_is():
    assert all(is_gold_name(name) for name in GOLD_COLUMNS)
    assert not any(is_gold_name(name) for name in METADATA_COLUMNS)
    for name in ("difficulty", "platform", "entry_point", "category", "level", "task_id", "Entry-Point"):
        assert not is_gold_name(name), name
    assert is_gold_name("test") and is_gold_name("canonical_solution")


def test_the_group_key_takes_the_most_telling_gold_then_any_gold_name():
    assert gold_key(["question", "gt", "answer"]) == "answer"
    assert gold_key(["question", "expected_output", "difficulty"]) == "expected_output"
    assert gold_key(["question", "difficulty", "entry_point"]) is None
    assert gold_key(["answer", "reference_text"], exclude=["answer"]) == "reference_text"


def test_a_prompt_asked_with_two_golds_under_a_new_gold_name_is_two_groups(tmp_path):
    rows = [{"prompt": "2+2?", "expected_output": gold, "completion": c}
            for gold, c in (("4", "4"), ("4", "5"), ("5", "5"))]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert len(load_samples(path).groups()) == 2


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real generations not found at {REAL}")
def test_the_proposer_never_compares_with_metadata():
    # LiveCodeBench rows carry `difficulty` and `platform` but no answer: no correctness rule, said plainly.
    lcb = load_samples(REAL / "lcb_o1mini_codegen.jsonl",
                       FieldMap(prompt="question_content", completion="output", label="passed", id="question_id"))
    assert gold_columns(lcb) == []
    spec = propose_offline(lcb)
    assert not any("reference" in r.params for r in spec.rules)
    assert "no gold-answer column" in spec.description
    assert "`difficulty`" in spec.description and "never compared" in spec.description
