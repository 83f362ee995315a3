"""The spec: validation with located errors, YAML round-trips that keep comments, schema versions."""

from __future__ import annotations

import pytest

from rewardsmith.errors import SpecError
from rewardsmith.presets import load_preset, preset_names
from rewardsmith.spec import SCHEMA_VERSION, RewardSpec, Rule, dump_spec, parse_spec

HAND_WRITTEN = """\
# Search QA rewards, tuned by hand.
schema_version: 1
name: search-qa
rules:
  - name: answer_exact   # the main signal
    kind: exact_match
    weight: 2
    params:
      extract: {method: xml_tag, tag: answer}
      normalize: {strip: true, lower: true}
  # capped, so searching more never pays more
  - name: searches
    kind: count_in_range
    params:
      pattern: "<search>"
      literal: true
      min_count: 1
      max_count: 4
expectations:
  min_auc: 0.8
"""


def test_hand_written_spec_round_trips_byte_for_byte():
    spec = parse_spec(HAND_WRITTEN)
    assert dump_spec(spec) == HAND_WRITTEN


def test_edit_keeps_comments_and_changes_only_the_value():
    spec = parse_spec(HAND_WRITTEN)
    spec.rules[0].weight = 3.0
    text = dump_spec(spec)
    assert "# the main signal" in text and "# capped, so searching more never pays more" in text
    assert "weight: 3.0" in text
    assert parse_spec(text).rules[0].weight == 3.0


def test_adding_and_removing_rules_keeps_the_rest():
    spec = parse_spec(HAND_WRITTEN)
    spec.rules = [spec.rules[1], Rule(name="fmt", kind="regex_format", params={"pattern": "<answer>"})]
    again = parse_spec(dump_spec(spec))
    assert [r.name for r in again.rules] == ["searches", "fmt"]
    assert "# capped" in dump_spec(spec)


@pytest.mark.parametrize("name", preset_names())
def test_presets_round_trip(name):
    spec = load_preset(name)
    again = parse_spec(dump_spec(spec))
    assert again.to_data() == spec.to_data()
    assert again.fingerprint() == spec.fingerprint()


def test_errors_name_line_and_field():
    bad = HAND_WRITTEN.replace("method: xml_tag", "method: xml").replace('"<search>"', '"(a+)+"').replace(
        "literal: true", "literal: false"
    )
    with pytest.raises(SpecError) as info:
        parse_spec(bad, "spec.yaml")
    text = str(info.value)
    assert "spec.yaml" in text
    assert "line 9, rules[0].params.extract.method" in text
    assert "rules[1].params" in text and "catastrophically" in text


@pytest.mark.parametrize(
    "edit, message",
    [
        (("kind: exact_match", "kind: exactly"), "unknown kind 'exactly'"),
        (("name: answer_exact", "name: import"), "keyword, builtin or reserved"),
        (("name: answer_exact", "name: Bad-Name"), "lower-case letters"),
        (("name: searches", "name: answer_exact"), "two rules are called"),
        (("min_count: 1", "min_count: 9"), "below min_count"),
        (("min_auc: 0.8", "min_auc: 3"), "less than or equal to 1"),
        (("weight: 2", "weight: .inf"), "finite"),
    ],
)
def test_invalid_specs_are_rejected_with_reasons(edit, message):
    with pytest.raises(SpecError, match=message):
        parse_spec(HAND_WRITTEN.replace(*edit))


def test_unknown_params_are_rejected():
    with pytest.raises(SpecError, match="shout: Extra inputs are not permitted"):
        parse_spec(HAND_WRITTEN.replace("lower: true", "lower: true, shout: true"))


def test_newer_schema_version_is_refused_and_missing_one_is_filled():
    with pytest.raises(SpecError, match="newer than this rewardsmith"):
        parse_spec(HAND_WRITTEN.replace("schema_version: 1", f"schema_version: {SCHEMA_VERSION + 1}"))
    spec = parse_spec(HAND_WRITTEN.replace("schema_version: 1\n", ""))
    assert spec.schema_version == SCHEMA_VERSION


def test_metric_weight_and_verifier_kind_are_checked():
    with pytest.raises(ValueError, match="weight must be 0"):
        Rule(name="m", kind="repetition", role="metric", weight=1.0, params={})
    with pytest.raises(ValueError, match="pass/fail kind"):
        Rule(name="v", kind="token_f1", role="verifier", params={})
    Rule(name="v", kind="exact_match", role="verifier", params={})


def test_effective_weight_is_zero_for_a_metric_only():
    rule = Rule(name="r", kind="regex_format", params={"pattern": "x"}, weight=-1.5)
    assert rule.effective_weight == -1.5
    rule.role = "verifier"
    assert rule.effective_weight == -1.5
    metric = Rule(name="m", kind="regex_format", params={"pattern": "x"}, role="metric", weight=0.0)
    assert metric.effective_weight == 0.0


def test_fingerprint_ignores_rationale_but_not_params():
    spec = parse_spec(HAND_WRITTEN)
    base = spec.fingerprint()
    spec.rules[0].rationale = "because"
    assert spec.fingerprint() == base
    spec.rules[1] = Rule(name="searches", kind="count_in_range",
                         params={"pattern": "<search>", "literal": True, "min_count": 1, "max_count": 5})
    assert spec.fingerprint() != base


def test_not_yaml_and_not_a_mapping():
    with pytest.raises(SpecError, match="not valid YAML"):
        parse_spec("rules: [", "x.yaml")
    with pytest.raises(SpecError, match="a mapping"):
        parse_spec("- a\n- b\n")
    assert isinstance(parse_spec(HAND_WRITTEN), RewardSpec)
