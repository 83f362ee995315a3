"""Robustness: declared formatting variants, scored through the module; where they must fire and stay silent."""

from __future__ import annotations

from rewardsmith.diagnostics.variants import VARIANTS
from rewardsmith.kinds import KINDS
from rewardsmith.presets import load_preset
from rewardsmith.samples import SampleSet

from .conftest import run, sample, spec_of


def test_every_declared_variant_is_implemented():
    declared = {v for kind in KINDS.values() for v in kind.variants}
    assert declared <= set(VARIANTS), sorted(declared - set(VARIANTS))


def test_transforms():
    t = "<reasoning>\nx\n</reasoning>\n<answer>\n42\n</answer>"
    assert VARIANTS["trailing_newline"].transform(t) == t + "\n"
    assert VARIANTS["trailing_newline"].transform(t + "\n") == t
    assert VARIANTS["crlf"].transform("a\nb") == "a\r\nb" and VARIANTS["crlf"].transform("a\r\nb") == "a\r\nb"
    assert VARIANTS["space_around_tags"].transform("<answer>42</answer>") == "<answer> 42 </answer>"
    assert VARIANTS["space_around_tags"].transform("<answer>\n42\n</answer>") == "<answer>42</answer>"
    assert VARIANTS["markdown_bold_tags"].transform(t).endswith("**<answer>\n42\n</answer>**")
    assert VARIANTS["case"].transform("<answer>Paris</answer>") == "<answer>PARIS</answer>"
    assert VARIANTS["fullwidth_digits"].transform("<answer>42</answer>") == "<answer>４２</answer>"
    assert VARIANTS["answer_with_units"].transform("3 cats <answer>42</answer>") == "3 cats <answer>42 units</answer>"


def test_unsloth_xmlcount_breaks_on_crlf_and_answers_hold(math_samples, bench):
    diag = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    findings = diag.part("robustness").data["findings"]
    crlf = [f for f in findings if f["rule"] == "xmlcount_reward_func" and f["variant"] == "crlf"]
    assert crlf and crlf[0]["after_score"] < crlf[0]["before_score"]
    assert "\\r\\n" in crlf[0]["after"]
    assert not [f for f in findings if f["rule"] == "correctness_reward_func"]  # strip() absorbs every variant
    assert any(c.id == "robustness:xmlcount_reward_func" and c.severity == "warning" for c in diag.checks)


def test_seed_exact_match_is_broken_by_a_trailing_newline(seed_samples, bench):
    diag = run(load_preset("seed-exact-retry"), seed_samples, bench)
    f = [f for f in diag.part("robustness").data["findings"] if f["rule"] == "reward_exact_match"]
    assert f and f[0]["variant"] == "trailing_newline" and (f[0]["before_score"], f[0]["after_score"]) == (1.0, 0.0)


def _answers(rows):
    return SampleSet([sample(f"s{i}", c, group=f"g{i // 2}", answer=a, label=lab) for i, (c, a, lab) in enumerate(rows)])


ROWS = [
    ("<think>\nsum\n</think>\n<answer>Paris</answer>", "Paris", "good"),
    ("<think>\nsum\n</think>\n<answer>Lyon</answer>", "Paris", "bad"),
    ("<think>\nred\n</think>\n<answer>Mars</answer>\n", "Mars", "good"),
    ("<think>\nred\n</think>\n<answer>Venus</answer>\n", "Mars", "bad"),
]


def test_a_normalising_rule_stays_silent_and_case_is_tested_where_case_is_ignored(bench):
    spec = spec_of("""
name: robust
rules:
  - name: right
    kind: exact_match
    params: {extract: {method: xml_tag}, normalize: {strip: true, lower: true}}
""")
    diag = run(spec, _answers(ROWS), bench)
    assert diag.part("robustness").data["findings"] == []
    assert not [c for c in diag.checks if c.id.startswith("robustness")]
    assert "case" in diag.part("robustness").data["unchanged"][0]


def test_case_fires_only_where_the_rule_says_case_does_not_matter(bench):
    # contains is case-insensitive by default, but this one is not: upper-casing is a real difference.
    sensitive = spec_of("""
name: sensitive
rules:
  - {name: says, kind: contains, params: {reference: answer, case_sensitive: true}}
""")
    diag = run(sensitive, _answers(ROWS), bench)
    assert "case" not in " ".join(diag.part("robustness").data["unchanged"])
    # A hand-rolled "case-insensitive" regex extraction that only accepts capitalised answers.
    fragile = spec_of("""
name: fragile
rules:
  - name: right
    kind: exact_match
    params:
      extract: {method: regex, pattern: '<answer>([A-Z][a-z]+)</answer>'}
      normalize: {lower: true}
""")
    diag = run(fragile, _answers(ROWS), bench)
    found = {f["variant"] for f in diag.part("robustness").data["findings"]}
    assert {"case", "space_around_tags"} == found  # the pattern tolerates neither


def test_graded_rules_get_a_tolerance_pass_fail_rules_do_not(bench):
    spec = spec_of(r"""
name: ramp
rules:
  - {name: budget, kind: length, params: {max_length: 1000, buffer: 1000}}
  - {name: ends_clean, kind: regex_format, params: {pattern: '</answer>\Z'}}
""")
    rows = SampleSet([sample("short", "<answer>4</answer>"), sample("long", "x" * 880 + "<answer>4</answer>")])
    diag = run(spec, rows, bench)
    found = {f["rule"]: f for f in diag.part("robustness").data["findings"]}
    assert "budget" not in found  # one more character moves a 1000-character ramp by 0.001
    assert found["ends_clean"]["variant"] == "trailing_newline"
    assert (found["ends_clean"]["before_score"], found["ends_clean"]["after_score"]) == (1.0, 0.0)
