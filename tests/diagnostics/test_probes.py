"""Hacking probes: built from real samples, scored through the module, judged against a plain wrong answer."""

from __future__ import annotations

from rewardsmith.diagnostics.probes import PROBES
from rewardsmith.kinds import KINDS
from rewardsmith.presets import load_preset
from rewardsmith.samples import SampleSet
from rewardsmith.spec import dump_spec, parse_spec

from .conftest import run, sample, spec_of


def test_every_declared_probe_is_implemented():
    declared = {p for kind in KINDS.values() for p in kind.probes}
    assert declared <= set(PROBES), sorted(declared - set(PROBES))


def test_seed_retry_cap_holds(seed_samples, bench):
    diag = run(load_preset("seed-exact-retry"), seed_samples, bench)
    (cap,) = diag.part("probes").data["caps"]
    assert cap["rule"] == "reward_retry_behavior" and cap["capped"] is True
    assert cap["inside"] == 0.5 and cap["scores"]["6 calls"] == 0.0
    assert not [c for c in diag.checks if c.id.startswith("probes:") and "retry" in c.id]
    assert any("capped: calls past the cap earn nothing more" in line for line in diag.part("probes").lines)


def test_an_uncapped_count_rule_is_flagged(seed_samples, bench):
    uncapped = parse_spec(dump_spec(load_preset("seed-exact-retry")).replace("max_count: 5", "max_count: 1000"))
    diag = run(uncapped, seed_samples, bench)
    (cap,) = diag.part("probes").data["caps"]
    assert cap["capped"] is False and cap["scores"]["60 calls"] == 0.5
    ids = {c.id for c in diag.checks}
    assert {"probes:uncapped:reward_retry_behavior", "probes:reward_retry_behavior"} <= ids


def test_unsloth_correctness_pays_for_several_answers(math_samples, bench):
    diag = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    data = diag.part("probes").data
    hits = {(f["rule"], f["probe"]) for f in data["findings"]}
    assert ("correctness_reward_func", "multiple_answers") in hits
    assert data["worst"]["total"] > data["worst"]["reference_total"]
    assert any(c.id == "probes:total" for c in diag.checks)


STRICT = r"""
name: strict
rules:
  - name: right
    kind: exact_match
    params:
      extract:
        method: regex
        pattern: '\A<think>[^<]+</think>\s*<answer>([^<]*)</answer>\s*\Z'
      normalize: {strip: true}
"""

ROWS = [
    ("<think>\n7 times 6\n</think>\n<answer>42</answer>", "42", "good"),
    ("<think>\n7 plus 6\n</think>\n<answer>13</answer>", "42", "bad"),
    ("<think>\nhalf of 10\n</think>\n<answer>5</answer>", "5", "good"),
    ("<think>\nten\n</think>\n<answer>10</answer>", "5", "bad"),
]


def _set(rows):
    return SampleSet([sample(f"s{i}", c, group=f"g{i // 2}", prompt="What is it?", answer=a, label=lab)
                      for i, (c, a, lab) in enumerate(rows)])


def test_a_strict_rule_resists_every_probe(bench):
    diag = run(spec_of(STRICT), _set(ROWS), bench)
    data = diag.part("probes").data
    assert data["findings"] == [] and len(data["templates"]) == 2
    assert data["worst"]["total"] <= data["worst"]["reference_total"]
    assert not [c for c in diag.checks if c.id.startswith("probes:")]


def test_contains_pays_for_keyword_stuffing_and_or_lists(bench):
    spec = spec_of("""
name: loose
rules:
  - {name: says, kind: contains, params: {reference: answer, extract: {method: xml_tag}}}
""")
    diag = run(spec, _set(ROWS), bench)
    hits = {f["probe"] for f in diag.part("probes").data["findings"]}
    assert {"keyword_stuffing", "or_list"} <= hits


def test_a_length_penalty_is_not_gamed_by_padding(bench):
    spec = spec_of("""
name: budget
rules:
  - {name: right, kind: exact_match, params: {extract: {method: xml_tag}, normalize: {strip: true}}}
  - {name: short, kind: length, params: {max_length: 400, buffer: 100}}
""")
    diag = run(spec, _set(ROWS), bench)
    data = diag.part("probes").data
    assert not [f for f in data["findings"] if f["rule"] == "short"]
    assert any("short: resists length_padding" == line for line in diag.part("probes").lines)
