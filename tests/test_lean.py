"""`rewardsmith test` on a file no one read first: the workers read, describe and score it (rewardsmith.lean).

What the main process assembles from the workers' descriptions must be what the ordinary reader gives — ids,
groups, labels, columns, gold columns, warnings, fingerprint, the diagnostics' groups with their texts — on
real files of every shape, with 1, 2 or 3 shards; and anything unusual must send `test` back to the ordinary
reader, whose message names the file and line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rewardsmith.bench import score_file, score_samples
from rewardsmith.demo import demo_path
from rewardsmith.gold import gold_columns
from rewardsmith.lean import _digest
from rewardsmith.samples import FieldMap, Sample, content_digest, load_samples
from rewardsmith.spec import RewardSpec, Rule

from .heldout.datasets import SETS

@pytest.fixture(autouse=True)
def small_shards(monkeypatch):
    """Shards of any size, so these small files are split as a large one is (one shard per worker)."""
    monkeypatch.setattr("rewardsmith.bench.MIN_SHARD_BYTES", 1)


SPEC = RewardSpec(name="t", rules=[Rule(name="has_answer", kind="regex_format", params={"pattern": "answer"})])


def _same(path: Path, fields: FieldMap, workers: int, groups: int = 2_000) -> None:
    from rewardsmith.bench import file_shards

    assert len(file_shards(path, fields, workers)) == workers
    got = score_file(SPEC, path, fields, max_groups=groups, workers=workers)
    assert got is not None
    lean, matrix = got
    whole = load_samples(path, fields)
    old = load_samples(path, fields, lean=groups)
    assert lean.ids == [s.id for s in whole]
    assert [s.group for s in lean] == [s.group for s in whole]
    assert lean.good_flags() == whole.good_flags()
    assert lean.groups() == whole.groups()
    assert lean.group_codes() == whole.group_codes()
    assert lean.columns == whole.columns
    assert gold_columns(lean) == gold_columns(whole)
    assert lean.warnings() == whole.warnings()
    assert lean.fingerprint() == whole.fingerprint() == old.fingerprint()
    assert lean.texts is not None and old.texts is not None
    assert lean.texts[0] == old.texts[0]
    fields_of = lambda s: (s.id, s.group, s.prompt, s.completion, s.label, s.refs, s.source)  # noqa: E731
    assert [fields_of(s) for s in lean.texts[1]] == [fields_of(s) for s in old.texts[1]]
    assert matrix.scores == score_samples(SPEC, whole).scores


@pytest.mark.parametrize("name", ["bamboogle_qwen", "math_cot_100", "mmlupro_mistral7b", "lcb_o1mini_codegen"])
def test_the_workers_describe_real_files_as_the_reader_reads_them(real_data, name):
    spec = SETS[name]
    path = real_data(spec.file)
    for workers in (1, 3):
        _same(path, spec.fields, workers)


@pytest.mark.parametrize("demo", ["math", "search", "maze"])
def test_the_bundled_sets_too(demo):
    _same(demo_path(demo), FieldMap(), 2)


def _rows(count: int, **extra) -> list[dict]:
    return [{"prompt": f"question {k // 4}", "completion": f"the answer is {k}", **extra} for k in range(count)]


def _write(path: Path, rows: list[dict], blank_every: int = 0, bom: bool = False) -> Path:
    lines = []
    for k, row in enumerate(rows):
        lines.append(json.dumps(row))
        if blank_every and k % blank_every == 0:
            lines.append("   ")
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_made_ids_and_prompt_groups_count_across_shards(tmp_path):
    # No id and no group column: ids are <stem>-<row>, groups g0001... by prompt, in file order; blank lines
    # are not rows; a BOM starts the file. Enough bytes for three shards.
    rows = _rows(12_000, answer="7", filler="x" * 400)
    for k in (100, 101, 7_000):  # no prompt: each a group of its own, numbered among the others
        rows[k]["prompt"] = None
    path = _write(tmp_path / "made.jsonl", rows, blank_every=997, bom=True)
    _same(path, FieldMap(), 3, groups=50)


def test_rows_of_several_completions_and_their_labels(tmp_path):
    rows = [{"id": f"q{k}", "prompt": f"question {k}", "completion": [f"a{k}", f"b{k}", "c"],
             "label": [1, 0, "bad"], "gt": str(k), "note": "x" * 500} for k in range(6_000)]
    del rows[4_500]["id"]  # one made id, "<stem>-4501-<k>", among the file's own, in the second shard
    path = _write(tmp_path / "groups.jsonl", rows)
    _same(path, FieldMap(), 2, groups=40)
    # A column TRL never passes is dropped, with a warning, whichever shard meets it.
    rows[5_000]["completion_ids"] = [1, 2]
    _same(_write(tmp_path / "reserved.jsonl", rows), FieldMap(), 2, groups=40)


def test_an_unusual_file_goes_back_to_the_ordinary_reader(tmp_path):
    rows = _rows(9_000, answer="1", filler="y" * 300)
    dup = [dict(r, id=f"s{k}") for k, r in enumerate(rows)]
    dup[8_000]["id"] = "s3"
    assert score_file(SPEC, _write(tmp_path / "dup.jsonl", dup), FieldMap(), max_groups=10, workers=2) is None
    ragged = [dict(r) for r in rows]
    ragged[8_500]["extra"] = 1  # a column the first record lacks: rules would be called with other keywords
    assert score_file(SPEC, _write(tmp_path / "ragged.jsonl", ragged), FieldMap(), max_groups=10, workers=2) is None
    broken = tmp_path / "broken.jsonl"
    _write(broken, rows)
    text = broken.read_text().splitlines()
    text[8_800] = '{"prompt": "cut off'
    broken.write_text("\n".join(text) + "\n")
    assert score_file(SPEC, broken, FieldMap(), max_groups=10, workers=2) is None
    assert score_file(SPEC, demo_path("math"), FieldMap(), max_groups=10) is not None
    csv = tmp_path / "s.csv"
    csv.write_text("prompt,completion\np,c\n")
    assert score_file(SPEC, csv, FieldMap(), max_groups=10) is None


@pytest.mark.slow
def test_the_command_says_where_a_bad_record_is(tmp_path):
    rows = [dict(r, id=f"s{k}") for k, r in enumerate(_rows(9_000, answer="1", filler="y" * 300))]
    rows[8_000]["id"] = "s3"
    path = _write(tmp_path / "dup.jsonl", rows)
    spec = tmp_path / "spec.yaml"
    spec.write_text("schema_version: 1\nname: t\nrules:\n  - name: a\n    kind: regex_format\n"
                    "    params: {pattern: answer}\n")
    run = subprocess.run([sys.executable, "-m", "rewardsmith", "test", str(spec), str(path)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "dup.jsonl:8001" in run.stderr and "duplicate id 's3'" in run.stderr


def test_the_fast_digest_is_the_canonical_one():
    tricky = [1e-05, 2.5e-07, 1.23e-05, 0.0001, 1e16, 1e22, -0.0, 0.1 + 0.2, 5e-324, 2**63 - 1, "0.00001 and e-5"]
    for k, value in enumerate(tricky):
        s = Sample(id="a", prompt=[{"role": "user", "content": "é \u2028"}], completion="c", group="g",
                   label=0.5, refs={"v": value, "w": [value, {"z": None, "a": True}]})
        assert _digest(s, True) == content_digest(s), value


def _plain_equals_general(path: Path, fields: FieldMap, monkeypatch) -> int:
    """Samples read with _parse_plain equal those of the general path; returns the records it read itself."""
    from rewardsmith.samples import _RowParser

    plain, read = _RowParser._parse_plain, []

    def counted(self, row, line, row_no):
        made = plain(self, row, line, row_no)
        read.append(made is not None)
        return made

    with monkeypatch.context() as patch:
        patch.setattr(_RowParser, "_parse_plain", counted)
        fast = load_samples(path, fields)
        patch.setattr(_RowParser, "_parse_plain", lambda self, row, line, row_no: None)
        general = load_samples(path, fields)
    assert [vars(s) for s in fast] == [vars(s) for s in general]
    assert fast.warnings() == general.warnings()
    return sum(read)


@pytest.mark.parametrize("name", ["bamboogle_qwen", "math_cot_100", "mmlupro_mistral7b", "lcb_o1mini_codegen"])
def test_the_plain_record_reader_reads_as_the_general_one(real_data, name, monkeypatch):
    spec = SETS[name]
    read = _plain_equals_general(real_data(spec.file), spec.fields, monkeypatch)
    # math_cot_100 holds 8 completions a row: never the plain reader's; the others are all plain records
    assert (read == 0) == (name == "math_cot_100")


@pytest.mark.parametrize("demo", ["math", "search", "maze"])
def test_the_plain_reader_on_the_bundled_sets(demo, monkeypatch):
    assert _plain_equals_general(demo_path(demo), FieldMap(), monkeypatch) > 0
