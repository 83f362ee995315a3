"""A battery of bad sample files: each gives `file[:line]: what is wrong; what to do` and exit 2 through
`rewardsmith test` and `rewardsmith propose`, never a traceback or a hang."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from rewardsmith import samples as samples_module
from rewardsmith.cli import cli
from rewardsmith.samples import load_samples

SPEC = "name: x\nrules:\n  - {name: short, kind: length, params: {max_length: 100}}\n"
ROW = '{"prompt": "What is 2+2?", "completion": "4", "label": 1}\n'


def _parquet_bytes() -> bytes:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"prompt": ["p"] * 50, "completion": ["c"] * 50}), buffer)
    return buffer.getvalue()


def _damaged_parquet() -> bytes:
    data = _parquet_bytes()
    return data[:4] + b"\x00" * (len(data) - 12) + data[-8:]  # header and footer magic kept, the rest zeroed


# (case, file name, file bytes, extra flags, line the message names or None, a fragment of the advice)
CASES: list[tuple[str, str, bytes, list[str], int | None, str]] = [
    ("deep_json", "s.jsonl", ROW.encode() + b'{"prompt": "p", "completion": ' + b"[" * 3000 + b"]" * 3000 + b"}\n",
     [], 2, "deeper than 64 levels"),
    ("deep_json_array", "s.json", b"[" * 3000 + b"]" * 3000, [], 1, "deeper than 64 levels"),
    ("huge_integer", "s.jsonl", b'{"prompt": "p", "completion": "c", "label": ' + b"9" * 5000 + b"}\n", [], 1,
     "write it as a string, or round it"),
    ("csv_unterminated_quote", "s.csv", b'prompt,completion\np,"c\np2,c2\np3,c3\n', [], 2,
     "a quoted cell in this row is never closed"),
    ("csv_bad_quoting", "s.csv", b'prompt,completion\np,"c"d\n', [], 2, "double quotes inside them"),
    ("truncated_last_line", "s.jsonl", (ROW + '{"prompt": "p", "compl').encode(), [], 2, "the last line is cut off"),
    ("pretty_printed_json", "s.jsonl", json.dumps(json.loads(ROW), indent=2).encode(), [], 1,
     "looks like pretty-printed JSON"),
    ("broken_json_line", "s.jsonl", (ROW + '{"prompt": "p" "completion": "c"}\n' + ROW).encode(), [], 2,
     "each line must be one complete JSON object"),
    ("nan_label", "s.jsonl", b'{"prompt": "p", "completion": "c", "label": NaN}\n', [], 1,
     "leave it empty (or null) for an unlabelled sample"),
    ("nan_label_csv", "s.csv", b"prompt,completion,label\np,c,nan\n", [], 2, "is NaN; leave it empty"),
    ("nul_byte_jsonl", "s.jsonl", (ROW + ROW[:-1] + "\x00\n").encode(), [], 2, "NUL byte"),
    ("nul_byte_csv", "s.csv", b"prompt,completion\np,c\x00d\n", [], 2, "NUL byte"),
    ("csv_row_wider_than_header", "s.csv", b"prompt,completion\np,c\np,a, b\n", [], 3,
     "add the missing column names to the header"),
    ("corrupt_parquet", "s.parquet", b"PAR1 not really parquet PAR1", [], None, "is the file complete?"),
    ("damaged_parquet", "s.parquet", None, [], None, "is the file complete?"),  # built in the test: needs pyarrow
    ("latin1", "s.jsonl", (ROW + '{"prompt": "caf\xe9", "completion": "c"}\n').encode("latin-1"), [], 2,
     "byte 0xe9 is not UTF-8"),
    ("utf16", "s.csv", "prompt,completion\np,c\n".encode("utf-16"), [], None, "re-encode it as UTF-8"),
    ("empty_file", "s.jsonl", b"", [], None, "the file is empty"),
    ("only_blank_lines", "s.jsonl", b"\n  \n\n", [], None, "no records in the file"),
    ("csv_header_only", "s.csv", b"prompt,completion\n", [], None, "no records in the file"),
    ("row_not_an_object", "s.jsonl", (ROW + "[1, 2]\n").encode(), [], 2, "each line must be one object"),
    ("json_array_of_numbers", "s.json", b'[{"prompt": "p", "completion": "c"}, 3]', [], None, "fix or remove it"),
    ("json_not_an_array", "s.json", b'"just a string"', [], 1, "each line must be one object"),
    ("missing_completion_near_name", "s.jsonl", b'{"prompt": "p", "completoin": "c"}\n', [], 1,
     "did you mean 'completoin'?"),
    ("mistyped_completion_field", "s.jsonl", b'{"prompt": "p", "answer_text": "c"}\n',
     ["--completion-field", "answer_txt"], 1, "did you mean 'answer_text'?"),
    ("null_completion", "s.jsonl", b'{"prompt": "p", "completion": null}\n', [], 1, "must be a string"),
    ("mixed_shapes", "s.jsonl", (ROW + '{"messages": [{"role": "user", "content": "x"}]}\n').encode(), [], 2,
     "a file holds one shape of record"),
    ("duplicate_ids", "s.jsonl", b'{"id": "a", "prompt": "p", "completion": "c"}\n'
     b'{"id": "a", "prompt": "p", "completion": "d"}\n', [], 2, "ids must be unique"),
    ("labels_all_one_side_of_threshold", "s.jsonl", b'{"prompt": "p", "completion": "c", "label": 0.3}\n'
     b'{"prompt": "p", "completion": "d", "label": 0.2}\n', ["--label-threshold", "0.5"], None,
     "choose a threshold between the lowest and the highest score"),
    ("label_out_of_range", "s.jsonl", b'{"prompt": "p", "completion": "c", "label": 7}\n', [], 1,
     "pass --label-threshold"),
    ("unknown_label", "s.jsonl", b'{"prompt": "p", "completion": "c", "label": "meh"}\n', [], 1,
     "add it with --label-true or --label-false"),
    ("catastrophic_separator", "s.txt", b"a" * 50000 + b"!\n===\nb\n", ["--separator", "^(a+)+$"], None,
     "catastrophically (exponential time)"),
    ("invalid_separator", "s.txt", b"a\n===\nb\n", ["--separator", "(unclosed"], None,
     "not a valid Python regular expression"),
    ("unknown_suffix", "s.dat", ROW.encode(), [], None, "pass --format"),
    ("chatml_without_assistant", "s.txt", b"<|im_start|>user\nhi<|im_end|>\n", [], 1, "no assistant turn"),
]


def _invoke(args: list[str]):
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("command", ["test", "propose"])
@pytest.mark.parametrize("case,name,data,flags,line,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_samples_are_refused_with_advice(tmp_path, command, case, name, data, flags, line, fragment):
    if data is None:
        data = _damaged_parquet()
    path = tmp_path / name
    path.write_bytes(data)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    args = ["test", str(spec), str(path)] if command == "test" else ["propose", str(path), "-o", str(tmp_path / "o.yaml")]
    result = _invoke(args + flags)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert where in result.output, result.output
    assert fragment in result.output, result.output
    assert not (tmp_path / "o.yaml").exists()


def test_a_huge_single_line_is_refused_not_read_whole(tmp_path, monkeypatch):
    # The bound is a module constant; lowered here so the test writes kilobytes, not 64 MiB.
    monkeypatch.setattr(samples_module, "MAX_LINE_CHARS", 1000)
    path = tmp_path / "s.jsonl"
    path.write_text(ROW + '{"prompt": "p", "completion": "' + "x" * 5000 + '"}\n' + ROW)
    result = _invoke(["propose", str(path), "-o", str(tmp_path / "o.yaml")])
    assert result.exit_code == 2, result.output
    assert f"{path}:2: the line is longer than 1,000 characters" in result.output


def test_a_huge_csv_cell_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(samples_module, "MAX_LINE_CHARS", 1000)
    path = tmp_path / "s.csv"
    path.write_text('prompt,completion\np,"' + "x\n" * 600 + 'y"\n')
    result = _invoke(["propose", str(path), "-o", str(tmp_path / "o.yaml")])
    assert result.exit_code == 2, result.output
    assert f"{path}:2: a cell is longer than 1,000 characters" in result.output


def test_a_file_name_with_brackets_is_shown_as_it_is(tmp_path):
    path = tmp_path / "runs[v2].jsonl"
    path.write_bytes(b"")
    result = _invoke(["propose", str(path), "-o", str(tmp_path / "o.yaml")])
    assert result.exit_code == 2
    assert f"{path}: no samples found" in result.output


# Files that look odd but are fine: they load, with what they hold.
GOOD: list[tuple[str, str, bytes, int]] = [
    ("bom_jsonl", "s.jsonl", b"\xef\xbb\xbf" + ROW.encode() * 2, 2),
    ("bom_csv", "s.csv", b"\xef\xbb\xbfprompt,completion\np,c\n", 1),
    ("crlf_jsonl", "s.jsonl", ROW.replace("\n", "\r\n").encode() * 3, 3),
    ("csv_multiline_cell", "s.csv", b'prompt,completion\np,"line one\nline two"\nq,c\n', 2),
    ("csv_cell_of_brackets_stays_text", "s.csv", b'prompt,completion\np,"' + b"[" * 3000 + b'"\n', 1),
]


@pytest.mark.parametrize("case,name,data,count", GOOD, ids=[c[0] for c in GOOD])
def test_odd_but_valid_files_load(tmp_path, case, name, data, count):
    path = tmp_path / name
    path.write_bytes(data)
    loaded = load_samples(path)
    assert len(loaded) == count
    assert loaded[0].prompt == ("What is 2+2?" if name.endswith(".jsonl") else "p")


def test_csv_multiline_cell_keeps_its_line_break_and_the_next_row_its_line(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b'prompt,completion\np,"line one\nline two"\nq,c\n')
    first, second = load_samples(path)
    assert first.completion == "line one\nline two"
    assert second.source == f"{path}:4"


def test_battery_is_at_least_twenty_kinds():
    assert len(CASES) >= 20
