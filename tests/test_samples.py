"""Loading samples: real model generations from ../shared/data/real plus small fixtures for each shape."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.errors import SampleError
from rewardsmith.samples import (
    DEMO_SETS,
    FieldMap,
    Sample,
    SampleSet,
    demo_path,
    iter_samples,
    load_samples,
    sample_to_record,
    write_jsonl,
)

def write_rows(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def error_of(path: Path, fields: FieldMap | None = None) -> SampleError:
    with pytest.raises(SampleError) as info:
        load_samples(path, fields)
    return info.value


# --------------------------------------------------------------------------- real generations


def test_bamboogle_search_trajectories(real_data) -> None:
    fields = FieldMap(prompt="question", completion="gen_text_store", label="gpt4o_output")
    samples = load_samples(real_data("bamboogle_qwen.jsonl"), fields)
    assert len(samples) == 125
    assert Counter(s.is_good for s in samples) == {True: 68, False: 57}
    assert samples.columns == ["answer", "pred_ans", "stop_reason_final"]
    first = samples[0]
    assert first.prompt == "Can people who have celiac eat camel meat?"
    assert first.refs["answer"] == "Yes"
    assert "<answer> Yes </answer>" in first.completion
    assert first.id == "bamboogle_qwen-1"
    assert first.source.endswith("bamboogle_qwen.jsonl:1")
    # One completion per question: every group is a singleton.
    assert len(samples.groups()) == 125


def test_math_groups_of_eight(real_data) -> None:
    fields = FieldMap(prompt="question", completion="response", label="score", per_completion=("pred", "pred_score"))
    samples = load_samples(real_data("math_cot_100.jsonl"), fields)
    assert len(samples) == 800
    groups = samples.groups()
    assert len(groups) == 100
    assert {len(ix) for ix in groups.values()} == {8}
    verdicts = [[samples[i].is_good for i in ix] for ix in groups.values()]
    # SOURCES.md: "86 all correct, 14 mixed or all wrong"; the data splits the 14 into 4 all wrong, 10 mixed.
    assert sum(all(v) for v in verdicts) == 86
    assert sum(not any(v) for v in verdicts) == 4
    assert sum(any(v) and not all(v) for v in verdicts) == 10
    assert sum(s.label for s in samples) == 728

    s = samples.by_id("math_cot_100-1-3")
    assert s.group == samples[0].group
    assert s.refs["pred"] == "420" and s.refs["pred_score"] == [3.46875]
    assert s.refs["answer"] == "420"
    # Columns not named in per_completion are shared: the whole list reaches every sample.
    assert len(s.refs["code"]) == 8
    assert {"question", "response", "score"}.isdisjoint(s.refs)


def test_countdown_completions_text_log(real_data) -> None:
    samples = load_samples(real_data("completion_samples.txt"))
    assert len(samples) == 323
    assert sum("</answer>" in s.completion for s in samples) == 280
    assert all(s.prompt is None for s in samples)
    assert all(s.completion == s.completion.rstrip() and "\n==============" not in s.completion for s in samples)
    assert samples[0].completion.startswith("<think> First, let's analyze")
    assert samples[0].completion.endswith("<answer> 79 - 70 + 68 </answer>")
    assert samples[0].source.endswith("completion_samples.txt:4")
    # Without prompts nothing ties two completions together.
    assert len(samples.groups()) == 323


def test_search_r1_chatml_transcripts(real_data) -> None:
    samples = load_samples(real_data("case.txt"))
    assert len(samples) == 2
    first, second = samples
    assert [m["role"] for m in first.prompt] == ["system", "user"]
    assert first.prompt[0]["content"] == "You are a helpful assistant."
    assert second.prompt[0]["content"].startswith("You are Qwen")
    assert isinstance(first.completion, str)
    assert first.completion.startswith("<think>I need to search for Paul Walker's cars")
    assert first.completion.endswith("<answer> Charger </answer>")
    assert second.completion.endswith("<answer> sinoatrial (SA) node </answer>")
    for s in samples:
        assert "<|im_" not in s.completion
        assert s.completion.count("<search>") >= 1
    assert first.group != second.group
    assert first.source.endswith("case.txt:1") and second.source.endswith("case.txt:28")


# --------------------------------------------------------------------------- shapes


def test_standard_rows_refs_and_inferred_groups(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "std.jsonl", [
        {"prompt": "2+2?", "completion": "4", "answer": "4", "difficulty": 1, "tags": ["a", "b"]},
        {"prompt": "3+3?", "completion": "6", "answer": "6", "difficulty": 2, "tags": []},
        {"prompt": "2+2?", "completion": "5", "answer": "4", "difficulty": 1, "tags": ["a"]},
    ])
    samples = load_samples(path)
    assert [s.id for s in samples] == ["std-1", "std-2", "std-3"]
    assert [s.group for s in samples] == ["g0001", "g0002", "g0001"]
    assert samples.groups() == {"g0001": [0, 2], "g0002": [1]}
    assert samples[0].refs == {"answer": "4", "difficulty": 1, "tags": ["a", "b"]}
    assert samples.columns == ["answer", "difficulty", "tags"]
    assert samples[0].label is None and samples[0].is_good is None
    assert not samples.labelled
    assert samples[1].source == f"{path}:2"


def test_auto_detected_alternative_names(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "alt.jsonl", [{"question": "q", "response": "r", "label": "good", "gold": "x"}])
    (s,) = load_samples(path)
    assert (s.prompt, s.completion, s.label, s.refs) == ("q", "r", 1.0, {"gold": "x"})


def test_conversational_messages(tmp_path: Path) -> None:
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    path = write_rows(tmp_path / "conv.jsonl", [
        {"prompt": prompt, "completion": [{"role": "assistant", "content": "Paris"}], "label": True},
        {"prompt": prompt, "completion": [{"role": "assistant", "content": "Lyon"}], "label": False},
    ])
    a, b = load_samples(path)
    assert a.prompt == prompt
    assert a.completion == [{"role": "assistant", "content": "Paris"}]
    assert a.group == b.group
    assert (a.is_good, b.is_good) == (True, False)


AGENT_TURNS = [
    {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "search", "arguments": "{}"}}]},
    {"role": "tool", "content": "Paris is the capital."},
    {"role": "assistant", "content": "<answer>Paris</answer>"},
]


def test_agentic_completion_dict(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "agent.jsonl", [
        {"prompt": [{"role": "user", "content": "Capital?"}], "completion": {"messages": AGENT_TURNS}},
    ])
    (s,) = load_samples(path)
    assert s.completion == {"messages": AGENT_TURNS}


def test_agentic_messages_row_is_split_at_first_assistant(tmp_path: Path) -> None:
    head = [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Capital?"}]
    path = write_rows(tmp_path / "traj.jsonl", [
        {"messages": head + AGENT_TURNS, "answer": "Paris", "label": 1},
        {"messages": head + AGENT_TURNS[2:], "answer": "Paris", "label": 0},
    ])
    a, b = load_samples(path)
    assert a.prompt == head
    assert a.completion == {"messages": AGENT_TURNS}
    assert b.completion == {"messages": AGENT_TURNS[2:]}
    assert a.refs == {"answer": "Paris"}
    assert a.group == b.group
    assert (a.label, b.label) == (1.0, 0.0)


def test_messages_column_beside_prompt_keeps_agentic_shape(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "m.jsonl", [{"prompt": "Capital?", "messages": AGENT_TURNS}])
    (s,) = load_samples(path)
    assert s.prompt == "Capital?"
    assert s.completion == {"messages": AGENT_TURNS}


def test_messages_row_without_assistant_is_an_error(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "noasst.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    err = error_of(path)
    assert str(err).startswith(f"{path}:1:")
    assert "no assistant message" in str(err)


def test_list_of_completions_is_a_group(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "grp.jsonl", [
        {"question": "1+1?", "outs": ["2", "3", "2"], "ok": [True, False, "yes"], "pred": ["2", "3", "2"],
         "gold": "2"},
        {"question": "2+2?", "outs": [[{"role": "assistant", "content": "4"}]], "ok": 1.0, "pred": ["4"],
         "gold": "4"},
    ])
    fields = FieldMap(prompt="question", completion="outs", label="ok", per_completion=("pred",))
    samples = load_samples(path, fields)
    assert [s.id for s in samples] == ["grp-1-0", "grp-1-1", "grp-1-2", "grp-2-0"]
    assert [s.label for s in samples] == [1.0, 0.0, 1.0, 1.0]
    assert [s.refs["pred"] for s in samples] == ["2", "3", "2", "4"]
    assert [s.refs["gold"] for s in samples] == ["2", "2", "2", "4"]
    assert samples.groups() == {"g0001": [0, 1, 2], "g0002": [3]}
    assert samples[3].completion == [{"role": "assistant", "content": "4"}]


@pytest.mark.parametrize(
    ("row", "fields", "needle"),
    [
        ({"prompt": "p", "completion": ["a", "b"], "label": [1, 0, 1]}, FieldMap(), "'label' has 3 values"),
        ({"prompt": "p", "completion": ["a", "b"], "pred": ["x"]}, FieldMap(per_completion=("pred",)),
         "'pred' has 1 values but the row has 2 completions"),
        ({"prompt": "p", "completion": ["a", "b"], "pred": "x"}, FieldMap(per_completion=("pred",)),
         "'pred' should be a list of 2 values"),
        ({"prompt": "p", "completion": "a", "label": [1, 0]}, FieldMap(), "holds a list"),
    ],
)
def test_list_length_mismatch(tmp_path: Path, row: dict, fields: FieldMap, needle: str) -> None:
    path = write_rows(tmp_path / "bad.jsonl", [{"prompt": "ok", "completion": ["a"], "label": [1], "pred": ["x"]}, row])
    err = error_of(path, fields)
    assert str(err).startswith(f"{path}:2:")
    assert needle in str(err)


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, 1.0), (False, 0.0), (1, 1.0), (0, 0.0), ("True", 1.0), ("False", 0.0), ("good", 1.0),
        ("BAD", 0.0), (" pass ", 1.0), ("incorrect", 0.0), ("1", 1.0), (0.25, 0.25), ("0.75", 0.75),
        (None, None), ("", None),
    ],
)
def test_label_values(tmp_path: Path, raw: Any, expected: float | None) -> None:
    path = write_rows(tmp_path / "l.jsonl", [{"prompt": "p", "completion": "c", "label": raw}])
    assert load_samples(path)[0].label == expected


def test_label_threshold_maps_scores(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "scores.jsonl", [
        {"prompt": "p", "completion": c, "reward": r} for c, r in [("a", 7), ("b", 4.9), ("c", 5), ("d", True)]
    ])
    samples = load_samples(path, FieldMap(label="reward", label_threshold=5))
    assert [s.label for s in samples] == [1.0, 0.0, 1.0, 1.0]


def test_score_outside_unit_interval_needs_threshold(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "scores.jsonl", [{"prompt": "p", "completion": "c", "reward": 7}])
    err = error_of(path, FieldMap(label="reward"))
    assert str(err).startswith(f"{path}:1:")
    assert "--label-threshold" in str(err)


def test_unknown_label_names_value_and_flags(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "l.jsonl", [
        {"prompt": "p", "completion": "c", "label": "good"},
        {"prompt": "p", "completion": "c", "label": "meh"},
    ])
    err = error_of(path)
    message = str(err)
    assert message.startswith(f"{path}:2:")
    assert "'meh'" in message
    for flag in ("--label-true", "--label-false", "--label-threshold"):
        assert flag in message
    fields = FieldMap(label_true=("good",), label_false=("meh",))
    assert [s.label for s in load_samples(path, fields)] == [1.0, 0.0]


# --------------------------------------------------------------------------- CSV and Parquet


def test_csv_with_json_cells_and_multiline_text(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    messages = [{"role": "user", "content": "Hi, there?"}]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "prompt", "completion", "label", "answer"])
        writer.writerow(["a", json.dumps(messages), "line one\nline two", "good", "42"])
        writer.writerow(["b", "[1, 2] sum?", json.dumps(["x", "y"]), json.dumps([True, False]), "3"])
        writer.writerow(["c", "plain", "[not json", "", "7"])
    samples = load_samples(path)
    assert [s.id for s in samples] == ["a", "b-0", "b-1", "c"]
    assert samples[0].prompt == messages
    assert samples[0].completion == "line one\nline two"
    assert samples[0].refs == {"answer": "42"}
    # Brackets in a prompt that is not a message list stay text.
    assert samples[1].prompt == "[1, 2] sum?"
    assert [s.completion for s in samples[1:3]] == ["x", "y"]
    assert [s.label for s in samples] == [1.0, 1.0, 0.0, None]
    assert samples[2].source == f"{path}:4"  # the multi-line cell of row "a" spans lines 2-3
    assert samples[3].completion == "[not json"
    assert samples[3].source == f"{path}:5"


def test_csv_unknown_label_reports_start_line(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('prompt,completion,label\np,"two\nlines",good\np,c,maybe\n', encoding="utf-8")
    err = error_of(path)
    assert str(err).startswith(f"{path}:4:")


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({
        "prompt": ["p1", "p2"],
        "completion": [["a", "b"], ["c", "d"]],
        "score": [[1.0, 0.0], [0.5, 0.25]],
        "answer": ["x", "y"],
        "n": [3, 4],
    })
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    samples = load_samples(path, FieldMap(label="score"))
    assert len(samples) == 4
    assert [s.label for s in samples] == [1.0, 0.0, 0.5, 0.25]
    assert samples[3].refs == {"answer": "y", "n": 4}
    assert samples[3].source == f"{path}:2"


def test_parquet_without_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    err = error_of(path)
    assert "pip install pyarrow" in str(err)


# --------------------------------------------------------------------------- text and ChatML fixtures


def test_text_with_custom_separator(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("first\n  indented\n\n---8<---\n\n\nsecond\n---8<---\n---8<---\n", encoding="utf-8")
    samples = load_samples(path, FieldMap(separator=r"^---8<---$"))
    assert [s.completion for s in samples] == ["first\n  indented", "second"]
    assert [s.source for s in samples] == [f"{path}:1", f"{path}:7"]
    err = error_of(path, FieldMap(separator="("))
    assert "--separator" in str(err)


def test_chatml_multi_turn_and_blank_line_separated(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
        "<|im_start|>user\nmore?<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n"
        "\n"
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nB1\n\nstill B1\n",
        encoding="utf-8",
    )
    first, second = load_samples(path)
    assert first.prompt == [{"role": "user", "content": "Q1"}]
    assert first.completion == {"messages": [
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "more?"},
        {"role": "assistant", "content": "A2"},
    ]}
    assert second.completion == "B1\n\nstill B1"
    assert first.group == second.group  # same prompt: one GRPO group
    assert second.source == f"{path}:10"


def test_chatml_errors(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n", encoding="utf-8")
    assert "no assistant turn" in str(error_of(path))
    path.write_text("<|im_start|>user\nQ<|im_end|>\nstray\n", encoding="utf-8")
    assert str(error_of(path)).startswith(f"{path}:3:")


# --------------------------------------------------------------------------- broken inputs


def test_bad_json_line_reports_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"prompt": "a", "completion": "b"}\n\n{"prompt": "c", "completion": }\n', encoding="utf-8")
    err = error_of(path)
    assert str(err).startswith(f"{path}:3:")
    assert "invalid JSON" in str(err)
    assert (err.path, err.line) == (str(path), 3)


def test_streaming_yields_before_a_later_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": "d"}\n{oops\n',
                    encoding="utf-8")
    it = iter_samples(path)
    assert next(it).completion == "b"
    assert next(it).completion == "d"
    with pytest.raises(SampleError):
        next(it)
    assert len(load_samples(path, limit=2)) == 2


def test_missing_completion_field_lists_columns(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "m.jsonl", [{"prompt": "p", "text": "t", "score": 1}])
    message = str(error_of(path))
    assert message.startswith(f"{path}:1:")
    assert "prompt, text, score" in message
    assert "--completion-field" in message


def test_missing_prompt_field_lists_columns(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "m.jsonl", [{"question": "p", "completion": "c"}])
    message = str(error_of(path, FieldMap(prompt="query")))
    assert "'query'" in message and "question, completion" in message and "--prompt-field" in message
    path = write_rows(tmp_path / "m2.jsonl", [{"q": "p", "completion": "c"}])
    assert "--prompt-field" in str(error_of(path))


def test_later_row_missing_completion(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "m.jsonl", [{"prompt": "p", "completion": "c"}, {"prompt": "p"}])
    assert str(error_of(path)).startswith(f"{path}:2:")


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content, encoding="utf-8")
    assert "no samples found" in str(error_of(path))


def test_other_file_problems(tmp_path: Path) -> None:
    assert "file not found" in str(error_of(tmp_path / "nope.jsonl"))
    odd = tmp_path / "data.xyz"
    odd.write_text("x", encoding="utf-8")
    assert "--format" in str(error_of(odd))
    not_object = write_rows(tmp_path / "list.jsonl", [[1, 2]])
    assert "expected a JSON object" in str(error_of(not_object))
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"prompt": "caf\xe9", "completion": "c"}\n'.encode("latin-1"))
    assert "UTF-8" in str(error_of(latin))


def test_duplicate_ids(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "d.jsonl", [
        {"id": 7, "prompt": "p", "completion": "a"},
        {"id": 7, "prompt": "p", "completion": "b"},
    ])
    err = error_of(path)
    assert str(err).startswith(f"{path}:2:") and "duplicate id '7'" in str(err)


def test_explicit_id_and_group_columns(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "g.jsonl", [
        {"uid": "x1", "batch": 5, "prompt": "p1", "completion": "a"},
        {"uid": "x2", "batch": 5, "prompt": "p2", "completion": "b"},
    ])
    samples = load_samples(path, FieldMap(id="uid", group="batch"))
    assert [(s.id, s.group) for s in samples] == [("x1", "5"), ("x2", "5")]
    assert samples[0].refs == {}
    assert "--group-field" in str(error_of(path, FieldMap(group="nope")))


def test_json_array_file(tmp_path: Path) -> None:
    path = tmp_path / "arr.json"
    path.write_text(json.dumps([{"prompt": "p", "completion": "c"}, {"prompt": "q", "completion": "d"}], indent=2),
                    encoding="utf-8")
    assert [s.completion for s in load_samples(path)] == ["c", "d"]


# --------------------------------------------------------------------------- sample sets, round trip, hashing


def mixed_samples() -> list[Sample]:
    return [
        Sample(id="a", prompt="p", completion="c", group="g1", label=1.0, refs={"answer": "4", "n": [1, 2]}),
        Sample(id="b", prompt=[{"role": "user", "content": "é"}], completion=[{"role": "assistant", "content": "x"}],
               group="g1", label=0.25),
        Sample(id="c", prompt=None, completion={"messages": AGENT_TURNS}, group="g2"),
    ]


def test_write_and_load_round_trip(tmp_path: Path) -> None:
    original = SampleSet.from_samples(mixed_samples())
    path = tmp_path / "out.jsonl"
    write_jsonl(original, path)
    loaded = load_samples(path)
    assert [sample_to_record(s) for s in loaded] == [sample_to_record(s) for s in original]
    assert loaded.fingerprint() == original.fingerprint()
    write_jsonl(loaded, tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == path.read_bytes()


def test_record_refuses_clashing_ref() -> None:
    with pytest.raises(ValueError, match="clash"):
        sample_to_record(Sample(id="a", prompt="p", completion="c", group="g", refs={"label": 1}))


def test_fingerprint_is_stable_and_content_sensitive(tmp_path: Path) -> None:
    base = SampleSet.from_samples(mixed_samples())
    assert SampleSet.from_samples(mixed_samples(), path="/elsewhere.jsonl").fingerprint() == base.fingerprint()
    assert len(base.fingerprint()) == 16 and int(base.fingerprint(), 16) >= 0
    changed = mixed_samples()
    changed[0].label = 0.0
    assert SampleSet.from_samples(changed).fingerprint() != base.fingerprint()
    swapped = mixed_samples()[::-1]
    assert SampleSet.from_samples(swapped).fingerprint() != base.fingerprint()


def test_fingerprint_stable_across_loads(real_data) -> None:
    path = real_data("bamboogle_qwen.jsonl")
    fields = FieldMap(prompt="question", completion="gen_text_store", label="gpt4o_output")
    assert load_samples(path, fields).fingerprint() == load_samples(path, fields).fingerprint()


def test_sample_set_api(tmp_path: Path) -> None:
    ss = SampleSet.from_samples(mixed_samples(), path=tmp_path / "x.jsonl")
    assert len(ss) == 3 and [s.id for s in ss] == ["a", "b", "c"]
    assert ss.columns == ["answer", "n"]
    assert ss.groups() == {"g1": [0, 1], "g2": [2]}
    assert ss.labelled
    assert ss.by_id("b").label == 0.25
    with pytest.raises(KeyError):
        ss.by_id("zzz")
    head = ss[:2]
    assert isinstance(head, SampleSet) and len(head) == 2 and head.path == ss.path
    assert ss[-1].id == "c"
    assert [s.is_good for s in ss] == [True, False, None]


def test_limit_and_progress(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "many.jsonl", [{"prompt": str(i), "completion": "c"} for i in range(600)])
    seen: list[int] = []
    samples = load_samples(path, progress=seen.append)
    assert len(samples) == 600
    assert seen == [256, 512, 600]
    assert len(load_samples(path, limit=10)) == 10


def test_demo_path() -> None:
    for name in DEMO_SETS:
        path = demo_path(name)
        assert path.name == f"{name}.jsonl"
        assert path.parent.parts[-3:] == ("rewardsmith", "data", "demo")
    with pytest.raises(ValueError, match="search"):
        demo_path("nope")
