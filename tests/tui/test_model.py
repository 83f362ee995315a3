"""The workbench's model without a terminal: session, workspace files, scores, filters, spans."""

from __future__ import annotations

import json
import types

import pytest

from rewardsmith.bench import ScoreMatrix, score_samples
from rewardsmith.checks import best_threshold
from rewardsmith.propose import propose_offline
from rewardsmith.render import render_module
from rewardsmith.demo import DEMO_SETS, demo_path
from rewardsmith.samples import Sample, SampleSet, load_samples
from rewardsmith.spec import RewardSpec, Rule
from rewardsmith.workbench.rulecode import rule_source, slice_rule
from rewardsmith.workbench.scoring import RuleScores, rule_digest, weighted_total
from rewardsmith.workbench.spans import extract_span, rule_spans, turns_of
from rewardsmith.workbench.state import Session, ViewState, workspace_path
from rewardsmith.workbench.tableview import analyse, row_order
from rewardsmith.tui.widgets.plots import score_bins
from rewardsmith.workbench.workbench import Workbench, open_session


def _rule(name: str, pattern: str = "<answer>", weight: float = 1.0) -> Rule:
    return Rule(name=name, kind="count_in_range", weight=weight,
                params={"pattern": pattern, "literal": True, "min_count": 1, "max_count": 2})


@pytest.fixture(scope="module")
def demo() -> dict[str, tuple[SampleSet, RewardSpec]]:
    out = {}
    for name in DEMO_SETS:
        samples = load_samples(demo_path(name))
        out[name] = (samples, propose_offline(samples, name=f"{name}-demo"))
    return out


# --------------------------------------------------------------------------- session


def test_workspace_round_trips(tmp_path):
    session = Session(samples_path="/data/x.jsonl", name="x")
    session.add_proposals(RewardSpec(name="x", rules=[_rule("a"), _rule("b")], task="do it"), "offline")
    session.set_status("a", "accepted")
    session.set_label("s1", 0.0)
    session.set_pin("s1", "a", 0.5)
    session.toggle_mark("s2")
    session.view = ViewState(label="bad", sort="rule:a", descending=True, misclassified=True, cursor="s2")
    session.mark_exported(tmp_path / "out")
    path = tmp_path / "w.json"
    session.save(path)
    again, problems = Session.load(path)
    assert problems == []
    assert again.to_data() == session.to_data()
    assert again.unexported() is None
    assert again.task == "do it"


def test_a_workspace_with_an_unknown_kind_keeps_the_rest(tmp_path):
    session = Session(samples_path="x.jsonl", name="x")
    session.add_proposals(RewardSpec(name="x", rules=[_rule("a"), _rule("b")]), "offline")
    data = session.to_data()
    data["rules"][0]["rule"]["kind"] = "no_such_kind"
    restored, problems = Session.from_data(json.loads(json.dumps(data)))
    assert restored.names() == ["b"] and len(problems) == 1 and "'a'" in problems[0]


def test_an_unreadable_workspace_is_kept_aside(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text("")
    home = tmp_path / "home"
    workspace = workspace_path(samples, home)
    workspace.parent.mkdir(parents=True)
    workspace.write_text("{not json")
    session, path, problems = open_session(samples, home)
    assert path == workspace and session.rules == [] and "could not be read" in problems[0]
    assert workspace.with_suffix(".unreadable.json").read_text() == "{not json"


def test_new_proposals_replace_pending_ones_and_never_take_a_decided_name():
    session = Session(samples_path="x.jsonl", name="x")
    session.add_proposals(RewardSpec(name="x", rules=[_rule("a"), _rule("b"), _rule("c")]), "offline")
    session.set_status("a", "accepted")
    session.set_status("b", "rejected")
    added = session.add_proposals(RewardSpec(name="x", rules=[_rule("a"), _rule("b"), _rule("d")]), "llm m")
    assert added == ["a_2", "b_2", "d"]
    assert session.names() == ["a", "b", "a_2", "b_2", "d"]  # "c" was pending: replaced
    assert [r.name for r in session.total_rules()] == ["a"]
    assert [r.name for r in session.live()] == ["a", "a_2", "b_2", "d"]


def test_renaming_a_rule_moves_its_pins_and_export_state_follows_the_spec():
    session = Session(samples_path="x.jsonl", name="x")
    session.add_proposals(RewardSpec(name="x", rules=[_rule("a")]), "offline")
    assert session.spec() is None and session.unexported() is None
    session.set_status("a", "accepted")
    session.set_pin("s1", "a", 1.0)
    assert "not been exported" in session.unexported()
    session.mark_exported("out")
    assert session.unexported() is None
    session.replace_rule("a", _rule("renamed", weight=2.0))
    assert [(p.sample, p.rule) for p in session.pins] == [("s1", "renamed")]
    assert session.spec().expectations.pins[0].rule == "renamed"
    assert "changed since it was exported to out" in session.unexported()
    with pytest.raises(ValueError):
        session.add_proposals(RewardSpec(name="x", rules=[_rule("b")]), "offline")
        session.replace_rule("b", _rule("renamed"))


# --------------------------------------------------------------------------- scores and filters


def test_weighted_total_sums_as_trl_does():
    matrix = ScoreMatrix(rules=["a", "b"], weights=[1.0, 0.5], roles=["reward", "reward"], sample_ids=["1", "2", "3"],
                         scores={"a": [1.0, None, None], "b": [2.0, 4.0, None]})
    assert weighted_total([matrix.scores["a"], matrix.scores["b"]], matrix.weights, 3) == matrix.total()


def test_row_order_filters_and_sorts():
    samples = SampleSet([
        Sample(id=f"s{i}", prompt="p", completion="c", group=f"g{i // 2}", label=[1.0, 0.0, None][i % 3])
        for i in range(6)
    ])
    scores = {"r": [0.5, None, 0.1, 0.9, 0.1, 0.3]}
    total = [1.0, 0.0, 1.0, 1.0, 0.0, 0.5]
    analysis = analyse(samples, total)
    assert analysis.zero_spread_groups == {"g1"}  # s2 and s3 both 1.0
    assert row_order(samples, ViewState(), scores, total, analysis) == [0, 1, 2, 3, 4, 5]
    assert row_order(samples, ViewState(sort="rule:r"), scores, total, analysis) == [2, 4, 5, 0, 3, 1]
    assert row_order(samples, ViewState(sort="rule:r", descending=True), scores, total, analysis) == [3, 0, 5, 2, 4, 1]
    assert row_order(samples, ViewState(label="good"), scores, total, analysis) == [0, 3]
    assert row_order(samples, ViewState(label="unlabelled"), scores, total, analysis) == [2, 5]
    assert row_order(samples, ViewState(zero_spread=True), scores, total, analysis) == [2, 3]
    assert row_order(samples, ViewState(marked_only=True), scores, total, analysis, {"s4"}) == [4]
    assert row_order(samples, ViewState(search="G2"), scores, total, analysis) == [4, 5]
    # s4 is bad and scores 0 (right); s1 bad 0 (right); s0 good 1 (right); s3 good 1: nothing misclassified
    assert row_order(samples, ViewState(misclassified=True), scores, total, analysis) == []
    wrong = analyse(samples, [0.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    assert row_order(samples, ViewState(misclassified=True), scores, total, wrong) == sorted(wrong.misclassified)


def test_workbench_keeps_only_results_for_the_rule_as_it_is_now():
    session = Session(samples_path="x.jsonl", name="x")
    session.add_proposals(RewardSpec(name="x", rules=[_rule("a")]), "offline")
    wb = Workbench(session)
    wb.attach(SampleSet([Sample(id="1", prompt="p", completion="<answer>", group="g", label=1.0)]))
    old = session.entry("a").rule
    session.replace_rule("a", _rule("a", pattern="<think>"))
    assert wb.store({"a": RuleScores([0.5], digest=rule_digest(old))}) == []
    assert wb.stale_rules() == [session.entry("a").rule]
    assert wb.store({"a": RuleScores([0.0], digest=rule_digest(session.entry("a").rule))}) == ["a"]
    assert wb.total == [0.0] and wb.stale_rules() == []


def test_balanced_draw_takes_both_classes():
    samples = SampleSet([Sample(id=str(i), prompt="p", completion="c", group=str(i), label=float(i < 30)) for i in range(100)])
    wb = Workbench(Session(samples_path="x", name="x"))
    wb.attach(samples)
    picked = wb.propose_subset("balanced", 10)
    assert sum(s.is_good for s in picked) == 10 and len(picked) == 20
    assert [s.id for s in wb.propose_subset("balanced", 10)] == [s.id for s in picked]  # seeded: stable
    assert len(wb.propose_subset("selected", 10)) == 100  # nothing marked: everything
    wb.session.marked = ["3", "5"]
    assert [s.id for s in wb.propose_subset("selected", 10)] == ["3", "5"]


def test_score_bins_one_bar_per_score_or_equal_bins():
    names, counts = score_bins([0.0, 1.0, 1.0, None, 0.0], [True, True, False, True, None])
    assert names == ["0", "1"] and counts == {"good": [1, 1], "bad": [0, 1], "unlabelled": [1, 0]}
    names, counts = score_bins([i / 100 for i in range(100)], [True] * 100, max_bins=10)
    assert len(names) == 10 and counts["good"] == [10] * 10


# --------------------------------------------------------------------------- code and spans


def test_one_rule_is_sliced_from_the_module_the_bench_runs(demo):
    _, spec = demo["search"]
    module = render_module(spec)
    for rule in spec.rules:
        piece = slice_rule(module, rule.name)
        assert piece in module and f"def {rule.name}(" in piece
        assert all(f"def {other.name}(" not in piece for other in spec.rules if other is not rule)
        assert "REWARD_FUNCS" not in piece
        assert f"def {rule.name}(" in rule_source(rule)


def _module(spec: RewardSpec) -> types.ModuleType:
    module = types.ModuleType("rewards")
    exec(compile(render_module(spec), "<rewards>", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("name", DEMO_SETS)
def test_highlighted_answer_is_what_the_module_extracts(demo, name):
    samples, spec = demo[name]
    module = _module(spec)
    checked = 0
    for rule in spec.rules:
        extract = getattr(rule.params, "extract", None)
        if extract is None or extract.method == "whole":
            continue
        for s in samples:
            text = module._text(s.completion, rule.params.scope)
            span = extract_span(text, extract)
            if extract.method == "xml_tag":
                regex = next(v for k, v in vars(module).items() if k.startswith(f"_RE_{rule.name.upper()}"))
                want = module._extract_xml_tag(text, regex, extract.occurrence == "last")
            elif extract.method == "after_tag":
                want = module._extract_after_tag(text, f"</{extract.tag}>", extract.occurrence == "last")
            else:
                continue
            if want is not None and extract.strip:
                want = want.strip()
            assert (None if span is None else text[span[0]:span[1]]) == want, (rule.name, s.id)
            checked += 1
    assert checked


def test_counted_calls_are_highlighted_in_the_turns_they_are_in(demo):
    samples, spec = demo["search"]
    calls = next(r for r in spec.rules if r.kind == "count_in_range")
    for s in samples:
        spans = rule_spans(calls, s.completion, s.refs)
        turns = turns_of(s.completion)
        assert all(turns[sp.turn].role == "assistant" for sp in spans)  # tool turns are not counted
        assert all(turns[sp.turn].text[sp.start:sp.end] == calls.params.pattern for sp in spans)
        expected = sum(t.text.count(calls.params.pattern) for t in turns if t.role == "assistant")
        assert len(spans) == expected


def test_format_span_exists_exactly_when_the_format_rule_passes(demo):
    samples, spec = demo["math"]
    rule = next(r for r in spec.rules if r.kind == "regex_format")
    matrix = score_samples(spec, samples)
    for s, score in zip(samples, matrix.scores[rule.name]):
        spans = rule_spans(rule, s.completion, s.refs)
        assert bool(spans) == (score == rule.params.score_match), s.id


def test_spans_split_across_turns_of_a_joined_scope():
    rule = Rule(name="calls", kind="count_in_range", params={"pattern": "b\nc", "min_count": 1, "max_count": 3,
                                                              "scope": "assistant"})
    completion = [{"role": "assistant", "content": "ab"}, {"role": "tool", "content": "zz"},
                  {"role": "assistant", "content": "cd"}]
    spans = rule_spans(rule, completion)
    assert [(sp.turn, sp.start, sp.end) for sp in spans] == [(0, 1, 2), (2, 0, 1)]


def test_an_unmirrorable_rule_gives_no_spans_rather_than_failing():
    rule = Rule(name="r", kind="length", params={"unit": "tokens", "tokenizer": "gpt2", "max_length": 5})
    assert rule_spans(rule, "some text that is long enough") == []
