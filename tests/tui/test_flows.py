"""Pilot tests: each flow of the workbench driven end to end, from the keyboard (and the mouse)."""

from __future__ import annotations

import json
import subprocess
import sys

from textual.widgets import Button, Input, Label, Select, Static

from rewardsmith.demo import demo_path
from rewardsmith.tui.screens.confirm import ConfirmScreen
from rewardsmith.tui.screens.editor import EditorScreen
from rewardsmith.tui.screens.export import ExportScreen
from rewardsmith.tui.screens.pin import PinScreen
from rewardsmith.tui.screens.propose import ProposeScreen
from rewardsmith.tui.screens.rules import RulesScreen
from rewardsmith.tui.screens.samples import SamplesScreen
from rewardsmith.tui.widgets.sample_detail import SampleDetail
from rewardsmith.tui.widgets.sample_table import SampleTable

from .conftest import SIZE, plain, propose_offline, settle


def _detail_text(app) -> str:
    return plain(app.screen.query_one(SampleDetail).query_one("#detail-body", Static))


def _row_cells(table: SampleTable, row: int) -> list[str]:
    return [table.source.cell(row, k)[0] for k in range(len(table.source.columns))]


async def test_opens_the_demo_and_shows_every_sample(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SamplesScreen)
        table = app.screen.query_one(SampleTable)
        assert table.row_count == 88 == len(app.workbench.samples)
        assert app.session.name == "search-demo"
        text = _detail_text(app)
        assert "search-g01-c1" in text and "Completion" in text and "Eiffel Tower" in text
        await pilot.press("down", "down")
        assert "search-g01-c3" in _detail_text(app)
        assert app.session.view.cursor == "search-g01-c3"


async def test_propose_offline_then_accept_builds_the_spec(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        assert not isinstance(app.screen, ProposeScreen)  # the dialog closed itself
        names = app.session.names()
        assert names and all(e.status == "proposed" for e in app.session.rules)
        assert set(app.workbench.scores.by_rule) == set(names)  # every proposal was scored
        table = app.screen.query_one(SampleTable)
        titles = [c.title for c in table.source.columns]
        assert titles[4] == "total*"  # nothing accepted: the total is of the proposals
        assert app.session.spec() is None

        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        await pilot.press("a")  # accept the first rule; the cursor moves on
        await pilot.press("x")  # reject the second
        await settle(pilot)
        assert app.session.entry(names[0]).status == "accepted"
        assert app.session.entry(names[1]).status == "rejected"
        assert [r.name for r in app.session.spec().rules] == [names[0]]
        assert names[1] not in [r.name for r in app.session.live()]

        await pilot.press("1")
        await settle(pilot)
        table = app.screen.query_one(SampleTable)
        assert table.source.columns[4].title == "total"
        assert names[1] not in [c.title for c in table.source.columns]


async def test_edit_a_param_and_the_scores_change(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2")
        await settle(pilot)
        rule = app.session.rules[0].rule
        assert rule.kind == "exact_match"
        before = list(app.workbench.scores.get(rule.name))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert "def answer_exact_match" in app.screen.query_one("#editor-code").code

        # Type a tag the completions do not use: the answer is never found, every score drops to 0.
        tag = app.screen.query_one("#f-extract-tag", Input)
        tag.focus()
        await pilot.press("end", *["backspace"] * len(tag.value), *"think")
        await pilot.pause(0.5)
        await settle(pilot)
        assert app.screen.query_one("#editor-code").code.count("<think>(.*?)</think>") == 1
        preview = plain(app.screen.query_one("#editor-scores", Static))
        changed = sum(1 for v in before if v != 0.0)
        assert f"changed on {changed} of 88 samples" in preview

        # An invalid edit is refused in place, and the last valid preview stays.
        group = app.screen.query_one("#f-extract-group", Input)
        group.focus()
        await pilot.press("end", "backspace", "x")
        await pilot.pause()
        assert "a whole number" in plain(app.screen.query_one("#err-extract-group", Label))
        assert app.screen.query_one("#editor-save", Button).disabled
        await pilot.press("backspace", "1")
        await pilot.pause()
        assert not app.screen.query_one("#editor-save", Button).disabled

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        saved = app.session.entry(rule.name).rule
        assert saved.params.extract.tag == "think"
        after = app.workbench.scores.get(rule.name)
        assert after != before and set(after) <= {0.0, None}


async def test_cancel_in_the_editor_keeps_the_rule(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2")
        await settle(pilot)
        rule = app.session.rules[0].rule
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#rule-weight", Input).value = "3"
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert app.session.entry(rule.name).rule == rule


async def test_label_and_pin_a_sample(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        table = app.screen.query_one(SampleTable)
        await pilot.press("down", "down")  # search-g01-c3, labelled bad in the file
        sample = app.workbench.sample(table.source.sample_index(table.cursor_row))
        assert sample.id == "search-g01-c3" and sample.is_good is False
        await pilot.press("g")
        await settle(pilot)
        assert sample.is_good is True and app.session.labels == {"search-g01-c3": 1.0}
        assert _row_cells(table, 2)[3] == "good"
        assert "(set here)" in _detail_text(app)
        await pilot.press("b")  # back to the file's label: the override goes away
        await settle(pilot)
        assert app.session.labels == {}

        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, PinScreen)
        rule = str(app.screen.query_one("#pin-rule", Select).value)
        score_input = app.screen.query_one("#pin-score", Input)
        current = app.workbench.score_of(rule, 2)
        assert float(score_input.value) == current
        score_input.value = "0.25"
        await pilot.press("enter")
        await settle(pilot)
        assert [(p.sample, p.rule, p.score) for p in app.session.pins] == [("search-g01-c3", rule, 0.25)]
        assert "pinned 0.25" in _detail_text(app)


async def test_filters_and_sorting(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        table = app.screen.query_one(SampleTable)
        wb = app.workbench

        await pilot.press("l")  # label filter: good
        await settle(pilot)
        rows = [wb.sample(i) for i in table.source.order]
        assert rows and all(s.is_good is True for s in rows)
        await pilot.press("l", "l", "l")  # bad, unlabelled, back to all
        await settle(pilot)
        assert len(table.source) == 88

        await pilot.press("m")  # misclassified by the total
        await settle(pilot)
        assert set(table.source.order) == wb.analysis.misclassified
        await pilot.press("m", "z")  # zero-spread groups only
        await settle(pilot)
        flat = wb.analysis.zero_spread_groups
        assert flat and {wb.sample(i).group for i in table.source.order} == flat
        await pilot.press("z")

        sort = app.screen.query_one("#filter-sort", Select)
        sort.value = "total"
        await settle(pilot)
        totals = [wb.total[i] for i in table.source.order]
        assert totals == sorted(totals)
        await pilot.press("r")
        await settle(pilot)
        assert [wb.total[i] for i in table.source.order] == sorted(totals, reverse=True)
        assert table.source.columns[4].title.endswith("▼")

        search = app.screen.query_one("#filter-search", Input)
        search.value = "g02"
        await settle(pilot)
        assert {wb.sample(i).group for i in table.source.order} == {"search-g02"}


async def test_mark_samples_and_propose_on_the_selection(new_app, monkeypatch):
    seen = {}
    import rewardsmith.tui.screens.propose as propose_screen

    real = propose_screen.run_proposer

    def spy(samples, **kwargs):
        seen["ids"] = [s.id for s in samples]
        return real(samples, **kwargs)

    monkeypatch.setattr(propose_screen, "run_proposer", spy)
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(12):
            await pilot.press("space", "down")
        assert len(app.session.marked) == 12
        await pilot.press("p")
        await pilot.pause()
        app.screen.query_one("#selection-selected").value = True
        await pilot.click("#propose-run")
        await settle(pilot)
        assert seen["ids"] == app.session.marked
        assert app.session.propose.selection == "selected"


async def test_cancel_a_running_proposal(new_app, monkeypatch):
    import threading

    import rewardsmith.tui.screens.propose as propose_screen

    release = threading.Event()
    real = propose_screen.run_proposer

    def slow(samples, **kwargs):
        release.wait(10)
        return real(samples, **kwargs)

    monkeypatch.setattr(propose_screen, "run_proposer", slow)
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        await pilot.click("#propose-run")
        await pilot.pause()
        assert app.screen.has_class("-running")
        await pilot.press("escape")
        await pilot.pause()
        assert "cancelled" in plain(app.screen.query_one("#propose-status", Label))
        assert not app.screen.has_class("-running")
        release.set()
        await settle(pilot)
        assert app.session.rules == []  # the cancelled proposal never lands
        await pilot.press("escape")
        assert isinstance(app.screen, SamplesScreen)


async def test_export_writes_and_never_overwrites_silently(new_app, tmp_path):
    out = tmp_path / "export" / "search"
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("A")  # accept every proposal
        await settle(pilot)
        assert app.session.unexported()
        await pilot.press("1", "P")  # pin the first rule's current score on the first sample
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        (pin,) = app.session.pins

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-path", Input).value = str(out)
        await pilot.pause(0.8)
        await settle(pilot)
        write = app.screen.query_one("#export-write", Button)
        assert str(write.label) == "Write"
        assert app.screen.focused is app.screen.query_one("#export-path")
        await pilot.press("ctrl+s")  # the key wins over the focused path input's own keys
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert {p.name for p in out.iterdir()} >= {"rewards.py", "spec.yaml", "baseline.json", "test_search_demo.py"}
        assert app.session.unexported() is None and app.session.exported_path == str(out)
        baseline = json.loads((out / "baseline.json").read_text())
        assert baseline["pins"] == [pin.model_dump(mode="json")]  # the pin ships as a test
        await pilot.press("2")

        # Change the spec: the export now differs, and writing asks first.
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert app.screen.query_one("#export-path", Input).value == str(out)
        write = app.screen.query_one("#export-write", Button)
        assert str(write.label).startswith("Overwrite")
        before = (out / "rewards.py").read_text()
        await pilot.click("#export-write")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#answer-cancel")
        await pilot.pause()
        assert (out / "rewards.py").read_text() == before  # nothing written on cancel
        await pilot.click("#export-write")
        await pilot.pause()
        await pilot.click("#answer-write")
        await settle(pilot)
        assert (out / "rewards.py").read_text() != before

    # The exported pytest file runs on its own, outside rewardsmith's test configuration.
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_export_asks_before_replacing_a_hand_edited_module(new_app, tmp_path):
    out = tmp_path / "out"
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("e")
        app.screen.query_one("#export-path", Input).value = str(out)
        await pilot.pause(0.8)
        await settle(pilot)
        await pilot.click("#export-write")
        await settle(pilot)
        module = out / "rewards.py"
        module.write_text(module.read_text() + "\n# my tweak\n")
        await pilot.press("x")  # a spec change, so there is something to write
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.click("#export-write")
        await pilot.pause()
        await pilot.click("#answer-write")  # yes, overwrite the changed files ...
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # ... but the hand edit gets its own question
        assert "edited" in plain(app.screen.query_one("#confirm-body", Static))
        await pilot.click("#answer-cancel")
        await pilot.pause()
        assert "# my tweak" in module.read_text()


async def test_the_session_reopens_where_it_was_left(new_app, home):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("down", "down", "space", "g")  # search-g01-c3, bad in the file: mark it, label it good
        await pilot.press("m")  # misclassified filter on
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        names = app.session.names()
        accepted = [r.name for r in app.session.accepted()]
        cursor = app.session.view.cursor
        await pilot.press("1")
        await settle(pilot)
    workspaces = list((home / "workspaces").glob("*.json"))
    assert len(workspaces) == 1
    saved = json.loads(workspaces[0].read_text())
    assert saved["samples_path"] == str(demo_path("search"))

    again = new_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.session.names() == names
        assert [r.name for r in again.session.accepted()] == accepted
        assert again.session.marked == ["search-g01-c3"]
        assert again.session.labels == {"search-g01-c3": 1.0}
        assert again.workbench.sample(2).is_good is True  # the override is applied to the loaded samples
        assert again.session.view.misclassified
        assert again.screen.query_one("#filter-misclassified").value is True
        assert set(again.workbench.scores.by_rule) == set(again.session.names()) - {
            e.rule.name for e in again.session.rules if e.status == "rejected"}
        assert again.session.view.cursor == cursor


async def test_quit_with_an_unexported_spec_asks(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")  # nothing accepted, nothing to lose: would quit at once
        await pilot.pause()
        assert not app.is_running

    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2", "a")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "not been exported" in plain(app.screen.query_one("#confirm-body", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RulesScreen) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#answer-quit")
        await pilot.pause()
        assert not app.is_running


async def test_report_screen_shows_checks_and_plots(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert "propose" in plain(app.screen.query_one("#report-overview", Static))
        await propose_offline(pilot)
        await settle(pilot)
        overview = plain(app.screen.query_one("#report-overview", Static))
        assert "report on the proposed rules" in overview and "AUC" in overview
        await pilot.press("1", "2", "A", "3")
        await settle(pilot)
        overview = plain(app.screen.query_one("#report-overview", Static))
        assert "proposed rules" not in overview and "Checks" in overview
        rules = app.screen.query_one("#report-rules")
        assert rules.option_count == 1 + len(app.session.accepted())


async def test_open_another_demo_set(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.click("#demo-math")
        await settle(pilot)
        assert app.session.name == "math-demo"
        assert len(app.workbench.samples) == 87
        assert app.screen.query_one(SampleTable).row_count == 87


async def test_help_lists_every_key(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        ids = {row[-1] for row in app.screen.rows()}
        assert {"app.propose", "samples.pin", "rules.accept", "editor.save", "table.mark", "report.diagnostics"} <= ids
        await pilot.press("escape")
        assert isinstance(app.screen, SamplesScreen)
