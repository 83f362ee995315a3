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


def _keywords_spec(count: int, size: int) -> bytes:
    words = ", ".join(f"'{i:04d}" + "k" * (size - 4) + "'" for i in range(count))
    return f"name: x\nrules:\n  - name: a\n    kind: contains\n    params:\n      keywords: [{words}]\n".encode()


def _literal_budget_bomb() -> bytes:
    """Three rules sharing one anchored list of 250 keywords of 3,900 characters: a 0.98 MB file, 2.9 MB of text."""
    words = ", ".join(f"'{i:03d}" + "w" * 3896 + "'" for i in range(250))
    rules = "".join(f"  - {{name: r{i}, kind: contains, params: {{keywords: *words}}}}\n" for i in range(1, 3))
    return (f"name: x\nrules:\n  - name: r0\n    kind: contains\n    params:\n      keywords: &words [{words}]\n"
            + rules).encode()


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
    ("list_over_256_items", _keywords_spec(300, 8), "line 5, rules[0].params: keywords: 300 items; the limit is 256 — "),
    ("keyword_of_9kB", _keywords_spec(1, 9000), "keywords[0]: text is 9,000 characters; the limit is 4,000 — shorten it"),
    ("thousand_keywords_of_9kB", _keywords_spec(1000, 9000), "over 1,000,000 bytes; a spec holds rules, not data"),
    ("literal_budget", _literal_budget_bomb(), "line 7, rules[1].params: the spec's text reaches 1,9"),
    ("max_length_10_billion", b"name: x\nrules:\n  - {name: a, kind: length, params: {max_length: 10000000000}}\n",
     "max_length is 10,000,000,000; the limit is 10,000,000 — no completion is that long"),
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


def test_a_spec_built_in_code_is_held_to_the_same_bounds():
    # What a proposer builds never passes through a file: the models refuse it themselves.
    from pydantic import ValidationError

    from rewardsmith.spec import RewardSpec

    def refused(rules: list[dict]) -> str:
        with pytest.raises(ValidationError) as caught:
            RewardSpec.model_validate({"name": "x", "rules": rules})
        return str(caught.value)

    assert "1,000 items; the limit is 256" in refused(
        [{"name": "a", "kind": "contains", "params": {"keywords": ["k" * 9000] * 1000}}])
    budget = refused([{"name": f"r{i}", "kind": "contains", "params": {"keywords": ["w" * 3900] * 250}}
                      for i in range(3)])
    assert "rule 'r1': the spec's text reaches 1,950," in budget
    assert "read long lists from a reference column" in budget


def _probe_texts(spec_text: str, completion: str) -> list[tuple[str, str | None, int]]:
    """(probe, rule, length) of every probe text built for one sample."""
    from rewardsmith.bench import ScoreMatrix
    from rewardsmith.diagnostics import probes
    from rewardsmith.diagnostics._common import Context
    from rewardsmith.samples import Sample, SampleSet
    from rewardsmith.spec import parse_spec

    spec = parse_spec(spec_text)
    samples = SampleSet([Sample(id="s0", prompt="q", completion=completion, group="g", label=1.0,
                                refs={"answer": "42"})])
    names = [r.name for r in spec.rules]
    matrix = ScoreMatrix(names, [1.0] * len(names), ["reward"] * len(names), ["s0"], {n: [0.0] for n in names})
    plan = probes.plan(Context(spec, samples, matrix, source=""))
    return [(i.probe, i.for_rule, len(i.text)) for i in plan.instances]


PROBED = """
name: probed
rules:
  - {name: right, kind: exact_match, params: {extract: {method: xml_tag, tag: answer}, reference: answer}}
  - {name: calls, kind: count_in_range, params: {pattern: '<search>[^<]*</search>', min_count: 1, max_count: 2}}
  - {name: short, kind: length, params: {max_length: MAX}}
"""


def test_probes_build_no_text_past_a_million_characters():
    from rewardsmith.diagnostics.probes import PROBE_MAX_CHARS

    small = _probe_texts(PROBED.replace("MAX", "2000"), "<search>capital</search>\n<answer>42</answer>")
    assert {("search_spam", "calls"), ("length_padding", "short")} <= {(p, r) for p, r, _ in small}
    # a budget of 10,000,000 characters and a 5 MB search call: neither padding nor 60 copies of the call
    huge = _probe_texts(PROBED.replace("MAX", "10000000"), "<search>" + "q" * 5_000_000 + "</search>\n<answer>42</answer>")
    built = {(p, r) for p, r, _ in huge}
    assert ("search_spam", "calls") not in built and ("length_padding", "short") not in built
    assert all(n <= PROBE_MAX_CHARS for _, r, n in huge if r is not None)
