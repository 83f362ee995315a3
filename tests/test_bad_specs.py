"""A battery of bad specs: each gives `file: [line N:] what is wrong — what to do` and exit 2, never a traceback or a hang."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rewardsmith.cli import cli

OK_RULE = "  - {name: short, kind: length, params: {max_length: 100}}\n"


def _alias_bomb() -> str:
    lines = ["a: &a ['x','x','x','x','x','x','x','x','x']"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\nname: bomb\nrules:\n" + OK_RULE


# (case, file bytes, a fragment the message must hold)
CASES: list[tuple[str, bytes, str]] = [
    ("not_utf8", b"name: x\nrules:\n  - {name: a, kind: length, params: {max_length: \xff}}\n", "line 3: byte 0xff is not UTF-8"),
    ("nul_byte", b"name: x\x00\nrules: []\n", "NUL character"),
    ("not_yaml", b"name: [unclosed\nrules:\n", "not valid YAML"),
    ("not_a_mapping", b"- just\n- a list\n", "a spec is a mapping"),
    ("empty_file", b"", "a spec is a mapping"),
    ("unknown_kind", b"name: x\nrules:\n  - {name: a, kind: magic, params: {}}\n", "line 3, rules[0].kind: unknown kind 'magic'"),
    ("bad_param", b"name: x\nrules:\n  - {name: a, kind: length, params: {max_length: -3}}\n", "rules[0].params.max_length"),
    ("unknown_param", b"name: x\nrules:\n  - {name: a, kind: length, params: {max_length: 3, colour: red}}\n", "colour"),
    ("bad_rule_name", b"name: x\nrules:\n  - {name: My-Rule, kind: length, params: {max_length: 3}}\n", "a rule name is lower-case"),
    ("keyword_rule_name", b"name: x\nrules:\n  - {name: import, kind: length, params: {max_length: 3}}\n", "Python keyword"),
    ("duplicate_rules", b"name: x\nrules:\n" + OK_RULE.encode() * 2, "two rules are called 'short'"),
    ("no_rules", b"name: x\nrules: []\n", "rules"),
    ("bad_spec_name", b"name: '../../etc'\nrules:\n" + OK_RULE.encode(), "a spec name is letters"),
    ("newer_schema", b"schema_version: 99\nname: x\nrules:\n" + OK_RULE.encode(), "upgrade rewardsmith"),
    ("catastrophic_regex", b"name: x\nrules:\n  - {name: a, kind: regex_format, params: {pattern: '(a+)+$'}}\n", "catastrophically"),
    ("invalid_regex", b"name: x\nrules:\n  - {name: a, kind: regex_format, params: {pattern: '(unclosed'}}\n", "not a valid Python regular expression"),
    ("non_finite_weight", b"name: x\nrules:\n  - {name: a, kind: length, weight: .nan, params: {max_length: 3}}\n", "weight"),
    ("alias_bomb", _alias_bomb().encode(), "more than 64 YAML aliases"),
    ("deep_json", b"[" * 3000 + b"]" * 3000, "nests deeper than 24 levels"),
    ("deep_yaml", b"name: " + b"[" * 3000 + b"]" * 3000 + b"\n", "nests deeper than 24 levels"),
    ("huge_integer", b"name: x\nrules:\n  - {name: a, kind: length, params: {max_length: " + b"9" * 5000 + b"}}\n", "thousands of digits"),
    ("too_many_rules", ("name: x\nrules:\n" + "".join(
        f"  - {{name: r{i}, kind: length, params: {{max_length: 3}}}}\n" for i in range(65))).encode(), "the limit is 64"),
    ("bad_json", b'{"name": "x", "rules": [}', "not valid JSON"),
    ("metric_with_weight", b"name: x\nrules:\n  - {name: a, kind: length, role: metric, weight: 2, params: {max_length: 3}}\n", "metric"),
]


@pytest.mark.parametrize("case,data,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_spec_is_refused_with_advice(tmp_path, case, data, fragment):
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["render", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert str(path) in result.output
    assert fragment in result.output, result.output


def test_json_spec_written_by_json_dumps_loads(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"name": "emoji", "description": "answers with 😀",
                                "rules": [{"name": "short", "kind": "length", "params": {"max_length": 100}}]}))
    result = CliRunner().invoke(cli, ["render", str(path)])
    assert result.exit_code == 0, result.output
    assert "def short(" in result.output


def test_battery_is_at_least_fifteen_kinds():
    assert len(CASES) >= 15
