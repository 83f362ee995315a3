"""Refinement against the scripted server: the report goes out, a revised spec comes back, the checks improve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardsmith.propose import RefineOptions, refine
from rewardsmith.errors import LLMConfigError, LLMOutputError
from rewardsmith.spec import Expectations, load_spec, parse_spec

from .conftest import SECRET, Reply, files_under, make_settings, needs_litellm, rule

FORMAT_ONLY = {"schema_version": 1, "name": "search-refine", "task": "Answer a multi-hop question; answer in <answer>.",
               "rules": [rule("answered", "regex_format", {"pattern": "<answer>.+?</answer>", "flags": ["DOTALL"]})]}
ROUND_1 = {"description": "Reward the exact answer; keep a small format bonus.", "rules": [
    rule("answered", "regex_format", {"pattern": "<answer>.+?</answer>", "flags": ["DOTALL"]}, weight=0.2,
         rationale="format alone could not tell right from wrong; now only a bonus"),
    rule("correct", "exact_match", {"extract": {"method": "xml_tag", "tag": "answer"}, "reference": "answer"},
         rationale="the answer must equal the reference"),
], "expectations": {"min_auc": 0.1}}  # a model trying to lower the bar: ignored
ROUND_2 = {"description": "Exact answer against every alias, normalised; a capped search bonus.", "rules": [
    rule("correct", "exact_match", {"extract": {"method": "xml_tag", "tag": "answer"}, "reference": "aliases",
                                    "normalize": {"strip": True, "lower": True, "remove_punctuation": True,
                                                  "collapse_whitespace": True}},
         rationale="good answers used aliases and other casing; compare with every alias, normalised"),
    rule("searched", "count_in_range", {"pattern": "<search>", "literal": True, "min_count": 1, "max_count": 5,
                                        "score_in": 1.0}, weight=0.2,
         rationale="search at least once, at most five times; spam earns nothing"),
]}


def _start(tmp_path: Path):
    path = tmp_path / "spec.yaml"
    path.write_text("# my search reward\n" + json.dumps(FORMAT_ONLY), encoding="utf-8")
    return load_spec(path)


@needs_litellm
def test_reflection_rounds_fix_the_rules_and_every_round_is_kept(server, search_samples, tmp_path, clean_env):
    server.push(Reply.json(ROUND_1, prompt_tokens=7000, completion_tokens=400),
                Reply.json(ROUND_2, prompt_tokens=7500, completion_tokens=450))
    out = tmp_path / "rounds"
    options = RefineOptions(rounds=5, out_dir=out, persona="search-engine-expert")
    result = refine(_start(tmp_path), search_samples, options, settings=make_settings(server))

    heads = [r.headline() for r in result.rounds]
    assert [h["round"] for h in heads] == [0, 1, 2]  # stopped early: 5 rounds were allowed
    assert result.stopped == "the checks pass"
    aucs = [h["auc"] for h in heads]
    assert aucs[0] < aucs[1] < aucs[2] and aucs[2] >= 0.9
    assert [h["passed"] for h in heads] == [False, False, True]
    assert heads[0]["failed"] >= 1 and heads[2]["failed"] == 0
    assert result.best.number == 2
    # The targets were added (the spec had none) and survived the model's attempt to lower them.
    for rnd in result.rounds:
        assert rnd.spec.expectations == Expectations(min_auc=0.9, max_zero_spread=0.5)
        assert rnd.spec.name == "search-refine"

    # What the model was sent: the report, the failing samples with their scores, the findings, history.
    first, second = server.chat_requests()
    text = first.text()
    assert "AUC 0.65" in text and "AUC of the weighted total is 0.650; the spec expects at least 0.9" in text
    assert "Samples the spec gets wrong" in text and "TOTAL=" in text
    assert '"pattern": "<answer>.+?</answer>"' in text  # the spec under test
    text = second.text()
    assert "round 0: AUC 0.65" in text
    assert "multiple_answers" in text  # a probe finding from rewardsmith.diagnostics
    assert "min_auc" not in text.split("# The spec under test")[1].split("# What the test found")[0]

    # Every round on disk: spec, report, record; and a summary that names the best.
    for k in (0, 1, 2):
        folder = out / f"round-{k}"
        assert {p.name for p in folder.iterdir()} == {"spec.yaml", "report.json", "record.json"}
        assert parse_spec((folder / "spec.yaml").read_text()).fingerprint() == result.rounds[k].spec.fingerprint()
        report = json.loads((folder / "report.json").read_text())
        assert report["passed"] is (k == 2)
    assert (out / "round-0" / "spec.yaml").read_text().startswith("# my search reward")  # the user's comment kept
    record = json.loads((out / "round-2" / "record.json").read_text())
    assert record["model"] == "openai/gpt-4o-mini" and record["persona"] == "search-engine-expert"
    assert record["usage"]["prompt_tokens"] == 7500 and record["usage"]["completion_tokens"] == 450
    assert record["usage"]["cost_usd"] > 0 and record["usage"]["cost_known"]
    assert record["parent_hash"] == result.rounds[1].spec.fingerprint()
    assert record["seconds"]["llm"] > 0 and record["seconds"]["test"] > 0
    assert record["checks"]["passed"] and not record["repaired"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best_round"] == 2 and summary["usage"]["tokens"] == 7000 + 400 + 7500 + 450
    assert SECRET not in files_under(out) and SECRET not in files_under(clean_env)


def test_a_spec_that_passes_needs_no_model(server, search_samples, tmp_path):
    spec = parse_spec(json.dumps({**FORMAT_ONLY, "rules": ROUND_2["rules"]}))
    result = refine(spec, search_samples, RefineOptions(rounds=3, out_dir=tmp_path / "r"),
                    settings=make_settings(server))
    assert server.count == 0 and len(result.rounds) == 1
    assert result.stopped == "the checks already pass: nothing to refine"


@needs_litellm
def test_a_failed_round_keeps_the_earlier_rounds(server, search_samples, tmp_path):
    server.push(Reply.chat("I cannot help with that."), Reply.chat("Still no."))
    out = tmp_path / "rounds"
    with pytest.raises(LLMOutputError, match="even after one repair round"):
        refine(_start(tmp_path), search_samples, RefineOptions(rounds=2, out_dir=out), settings=make_settings(server))
    assert (out / "round-0" / "spec.yaml").is_file() and (out / "round-0" / "report.json").is_file()
    record = json.loads((out / "round-1" / "record.json").read_text())
    assert record["error"].startswith("LLMOutputError") and "I cannot help" not in record["error"].split("\n")[0]
    assert record["usage"]["http_calls"] == 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"] == "round 1 failed: LLMOutputError" and summary["best_round"] == 0


def test_an_existing_run_is_never_overwritten(server, search_samples, tmp_path):
    out = tmp_path / "rounds"
    (out / "round-0").mkdir(parents=True)
    with pytest.raises(LLMConfigError, match="already holds a refine run"):
        refine(_start(tmp_path), search_samples, RefineOptions(out_dir=out), settings=make_settings(server))


@needs_litellm
def test_rules_the_checks_name_must_survive_a_revision(server, search_samples, tmp_path):
    start = parse_spec(json.dumps({**FORMAT_ONLY, "expectations": {"rule_min_auc": {"answered": 0.6},
                                                                   "min_auc": 0.9}}))
    dropped = {"description": "x", "rules": ROUND_2["rules"]}  # no rule called `answered` any more
    kept = {"description": "x", "rules": [*ROUND_2["rules"], ROUND_1["rules"][0]]}
    server.push(Reply.json(dropped), Reply.json(kept))
    result = refine(start, search_samples, RefineOptions(rounds=1, out_dir=tmp_path / "r"),
                    settings=make_settings(server))
    first, repair = server.chat_requests()
    assert "Keep rules named answered" in first.text()
    assert "rule_min_auc names 'answered', which is not a rule" in repair.messages[-1]["content"]
    assert [r.name for r in result.rounds[1].spec.rules] == ["correct", "searched", "answered"]
    assert result.rounds[1].record["repaired"] and result.passed


def test_one_round_on_its_own(server, search_samples, tmp_path):
    from rewardsmith.bench import Bench
    from rewardsmith.propose.refine import RoundContext, first_round, run_round, with_targets
    from rewardsmith.propose.session import LLMSession

    server.push(Reply.json(ROUND_2), Reply.chat("I cannot help with that."), Reply.chat("Still no."))
    session = LLMSession(make_settings(server))
    with Bench() as bench:
        ctx = RoundContext(session, search_samples, RefineOptions(), bench)
        zero = first_round(with_targets(_start(tmp_path), search_samples), ctx)
        assert zero.error is None and not zero.round.report.passed and server.count == 0
        one = run_round(1, zero, [], ctx)
        assert one.error is None and one.round.report.passed and one.matrix.rules == ["correct", "searched"]
        assert one.round.record["parent_hash"] == zero.round.spec.fingerprint()
        assert one.round.record["usage"]["http_calls"] == 1
        failed = run_round(2, one, [zero.round], ctx)  # the model refuses twice: an error, not an exception
    assert isinstance(failed.error, LLMOutputError) and failed.round.report is None
    assert failed.round.spec is one.round.spec and failed.round.record["error"].startswith("LLMOutputError")
    assert "round 0: AUC 0.65" in server.chat_requests()[1].text()
    assert not list(tmp_path.glob("**/round-*"))  # a round alone writes nothing: refine() keeps the records


def test_options_refuse_a_silly_number_of_rounds():
    with pytest.raises(LLMConfigError, match="rounds must be between 0 and 20"):
        RefineOptions(rounds=21)
