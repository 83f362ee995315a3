"""The workbench's scorer (workers reading their shard of the file) and its scores kept on disk."""

from __future__ import annotations

import os
import shutil

import pytest

from rewardsmith.propose import propose_offline
from rewardsmith.render import render_module
from rewardsmith.samples import load_samples
from rewardsmith.workbench.scorecache import cache_path, load_scores, module_hash, save_scores
from rewardsmith.workbench.scoring import RuleScores, Scorer, file_identity
from rewardsmith.workbench.state import Session
from rewardsmith.workbench.workbench import Workbench

from .conftest import DEMO_SEARCH, settle


@pytest.fixture
def samples_file(tmp_path):
    path = tmp_path / "search.jsonl"
    shutil.copy(DEMO_SEARCH, path)
    return path


@pytest.mark.slow
def test_workers_reading_their_shards_score_as_one_worker_sent_the_samples(samples_file):
    samples = load_samples(samples_file)
    samples.whole_file = True
    spec = propose_offline(samples, name="search")
    names = [r.name for r in spec.rules]
    sharded, sent = Scorer(workers=2), Scorer(workers=1)
    try:
        assert sharded.read_file(samples_file, samples.fields, samples.columns)
        sharded.set_samples(samples)  # the same file, read the same way: nothing is sent
        assert sharded._file is not None and len([n for n in sharded._sizes if n]) == 2
        sent.set_samples(samples)
        a = sharded.score(spec, names, count=len(samples))
        b = sent.score(spec, names, count=len(samples))
        for name in names:
            assert len(a[name].scores) == len(samples)
            assert a[name].scores == b[name].scores and a[name].errors == b[name].errors
        # Read with other reference columns than the whole file has: the samples are sent instead.
        assert sharded.read_file(samples_file, samples.fields, samples.columns[:-1] + ["other"])
        sharded.set_samples(samples)
        assert sharded._file is None and sharded._sizes[0] == len(samples)
        assert sharded.score(spec, names[:1], count=len(samples))[names[0]].scores == b[names[0]].scores
    finally:
        sharded.close()
        sent.close()


def test_cached_scores_come_back_only_for_the_same_file_fields_and_module(samples_file, tmp_path):
    path = cache_path(samples_file, tmp_path / "home")
    identity = file_identity(samples_file)
    scores = {"a": RuleScores([1.0, None, 0.25], {1: "ValueError: no"}, 0.5, "d1"), "b": RuleScores([None] * 3, {}, 0.0, "d2")}
    save_scores(path, identity, {"prompt": "q"}, "m1", scores)
    back = load_scores(path, identity, {"prompt": "q"}, "m1")
    assert {k: (v.scores, v.errors, v.seconds, v.digest) for k, v in back.items()} == \
        {k: (v.scores, v.errors, v.seconds, v.digest) for k, v in scores.items()}
    assert load_scores(path, identity, {"prompt": "other"}, "m1") == {}
    assert load_scores(path, identity, {"prompt": "q"}, "m2") == {}
    with samples_file.open("a", encoding="utf-8") as fh:  # the file changed: its size and mtime did
        fh.write("\n")
    assert load_scores(path, file_identity(samples_file), {"prompt": "q"}, "m1") == {}
    path.write_bytes(path.read_bytes()[:-2])  # cut short: treated as no cache
    assert load_scores(path, identity, {"prompt": "q"}, "m1") == {}


def test_cached_scores_are_adopted_on_attach_only_if_they_cover_every_live_rule(samples_file):
    samples = load_samples(samples_file)
    spec = propose_offline(samples, name="search")
    session = Session(samples_path=str(samples_file), name="search")
    session.add_proposals(spec, "offline")
    from rewardsmith.workbench.scoring import rule_digest

    full = {r.name: RuleScores([0.5] * len(samples), {}, 0.0, rule_digest(r)) for r in spec.rules}
    wb = Workbench(session)
    assert not wb.preload(dict(list(full.items())[1:]))  # one rule missing: none used
    assert wb.preload(full) and len(wb.cached_total) == len(samples)
    wb.attach(samples)
    assert not wb.stale_rules() and wb.from_cache == set(full) and not wb.cached
    wb.store({spec.rules[0].name: full[spec.rules[0].name]})
    assert spec.rules[0].name not in wb.from_cache  # scored afresh: no longer of the cache


@pytest.mark.slow
async def test_reopening_an_unchanged_file_shows_the_saved_scores_then_checks_them(new_app, samples_file, home):
    app = new_app(samples_file, autosave=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        app.screen.query_one("#selection-all").value = True
        await pilot.click("#propose-run")
        await settle(pilot)
        scored = {name: list(item.scores) for name, item in app.workbench.scores.by_rule.items()}
        assert scored
        spec = app.session.live_spec()
        await settle(pilot)
    saved = load_scores(cache_path(samples_file, home), file_identity(samples_file), dict(app.session.fields),
                        module_hash(render_module(spec)))
    assert {k: v.scores for k, v in saved.items()} == scored

    again = new_app(samples_file, autosave=False)
    async with again.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert sorted(again.workbench.adopted_from_cache) == sorted(scored)
        assert {k: v.scores for k, v in again.workbench.scores.by_rule.items()} == scored
        assert not again.workbench.from_cache  # re-checked by a fresh scoring, which agreed

    os.utime(samples_file, ns=(0, 0))  # touched: the saved scores are of another file now
    third = new_app(samples_file, autosave=False)
    async with third.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert third.workbench.adopted_from_cache == []
        assert {k: v.scores for k, v in third.workbench.scores.by_rule.items()} == scored
