"""Pilot tests of the workbench as a new user meets it: reopen, undo, export from the keyboard, help,
footers, markup in names, one completion per prompt, audits (issue 12, part 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textual.widgets import Input, Label

from rewardsmith.tui.screens.confirm import ConfirmScreen
from rewardsmith.tui.screens.export import ExportScreen
from rewardsmith.tui.widgets.sample_table import SampleTable

from .conftest import SIZE, plain, propose_offline, settle

pytestmark = pytest.mark.slow


async def test_reopen_restores_the_label_sort_and_filter(new_app, home):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "s", "s", "l", "l")  # sort: label; filter: bad
        await settle(pilot)
        assert (app.session.view.sort, app.session.view.label) == ("label", "bad")
        shown = app.screen.query_one(SampleTable).row_count
    saved = json.loads(next((home / "workspaces").glob("*.json")).read_text())
    assert (saved["view"]["sort"], saved["view"]["label"]) == ("label", "bad")

    again = new_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.8)  # past the autosave delay: a reset would be written by now
        assert (again.session.view.sort, again.session.view.label) == ("label", "bad")
        assert again.screen.query_one("#filter-label").value == "bad"
        assert again.screen.query_one("#filter-sort").value == "label"
        assert again.screen.query_one(SampleTable).row_count == shown == 50
    saved = json.loads(next((home / "workspaces").glob("*.json")).read_text())
    assert (saved["view"]["sort"], saved["view"]["label"]) == ("label", "bad")


async def test_u_undoes_the_last_decision_not_the_next_rule(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2")
        await settle(pilot)
        first, second = app.session.names()[:2]
        await pilot.press("x")  # reject the first; the cursor walks on to the second
        await settle(pilot)
        assert app.screen.current_name() == second
        await pilot.press("u")
        await settle(pilot)
        assert app.session.entry(first).status == "proposed"
        assert app.session.entry(second).status == "proposed"  # the next rule is untouched
        assert app.screen.current_name() == first  # back on the rule that was undone
        await pilot.press("a", "a", "u", "u")  # two accepts, two undos: back where it started
        await settle(pilot)
        assert all(e.status == "proposed" for e in app.session.rules)
        await pilot.press("A", "u")  # accept all is one step
        await settle(pilot)
        assert all(e.status == "proposed" for e in app.session.rules)
        await pilot.press("u")
        await pilot.pause()
        assert any("nothing to undo" in str(n.message) for n in app._notifications)


async def test_enter_in_the_export_path_writes_new_files(new_app, tmp_path):
    out = tmp_path / "export" / "search"
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2", "A")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        path = app.screen.query_one("#export-path", Input)
        path.value = str(out)
        await settle(pilot)
        await pilot.pause(0.8)
        await settle(pilot)
        summary = plain(app.screen.query_one("#export-summary", Label))
        assert f"{len(app.screen.plan.files)} new files" in summary and "would change" not in summary
        path.focus()
        await pilot.press("end", "2")  # a new path, Enter before its plan ran: it is planned, then written
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert (tmp_path / "export" / "search2" / "rewards.py").is_file()
        assert not out.exists()
        assert app.session.exported_path == str(out) + "2"

        await pilot.press("x", "e")  # the spec changed: Enter now asks before replacing
        await settle(pilot)
        assert "changed (already on disk)" in plain(app.screen.query_one("#export-summary", Label))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


async def test_help_scrolls_to_the_last_key_and_lists_d(new_app):
    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        ids = [row[-1] for row in app.screen.rows()]
        assert "report.diagnostics" in ids and ids[-1] == "help.home"
        keys = plain(app.screen.query_one("#help-keys"))
        assert "Run robustness, probes and GRPO advantage diagnostics" in keys
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0  # longer than the screen: it has to scroll
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert scroll.scroll_y == 0


@pytest.mark.parametrize("mode", ["1", "2", "3"])
async def test_the_footer_keeps_propose_export_open_at_100_columns(new_app, mode):
    from textual.widgets._footer import FooterKey, FooterLabel

    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(mode)
        await settle(pilot)
        shown = {k.action: k for k in app.screen.query(FooterKey)
                 if k.region.width and k.region.right <= 100 and "-command-palette" not in k.classes}
        assert {"propose", "export", "open", "help"} <= set(shown)
        if mode == "1":
            keys = [k.key for k in app.screen.query(FooterKey) if "-grouped" in k.classes and k.region.right <= 100]
            assert {"s", "r", "l", "m", "z", "slash"} <= set(keys)
            labels = [str(lbl.render()) for lbl in app.screen.query(FooterLabel)]
            assert "sort/filter" in labels


async def test_filtering_says_how_many_are_shown(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "shown" not in app.screen.sub_title
        await pilot.press("l")  # good only
        await settle(pilot)
        assert app.screen.sub_title.startswith("38 of 88 shown · ")
        await pilot.press("l", "l", "l")
        await settle(pilot)
        assert "shown" not in app.screen.sub_title


async def test_square_brackets_in_a_file_name_are_shown(new_app, tmp_path):
    from rewardsmith.demo import demo_path

    samples = tmp_path / "runs[v2].jsonl"
    samples.write_bytes(demo_path("search").read_bytes())
    app = new_app(samples)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert plain(app.screen.query_one("#status-text", Label)).startswith("88 samples loaded")
        app.status = f"loading {samples.name} …"
        await pilot.pause()
        assert "runs[v2].jsonl" in plain(app.screen.query_one("#status-text", Label))
        app.open_samples(str(tmp_path / "gone[v2].jsonl"), {})  # a failed open names the file, brackets and all
        await settle(pilot)
        assert any("gone[v2].jsonl" in str(n.message) and not n.markup for n in app._notifications)


async def test_one_completion_per_prompt_says_there_are_no_groups(new_app, tmp_path):
    from rewardsmith.demo import demo_path

    rows, seen = [], set()
    for line in demo_path("search").read_text().splitlines():
        row = json.loads(line)
        if row["group"] not in seen:  # the first completion of each prompt only
            seen.add(row["group"])
            rows.append({k: v for k, v in row.items() if k != "group"})
    samples = tmp_path / "one_each.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    app = new_app(samples)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert all(len(idx) == 1 for idx in app.workbench.groups.values())
        await propose_offline(pilot)
        await pilot.press("2", "A", "3")
        await settle(pilot)
        assert "No groups: one completion per prompt" in plain(app.screen.query_one("#report-overview"))
        await pilot.press("d")
        await settle(pilot)
        text = plain(app.screen.query_one("#report-diagnostics"))
        assert "This file has no groups" in text and "several completions of the same prompt" in text
        assert "frac_reward_zero_std" not in text and "0/0 groups" not in text


UNSLOTH = Path(__file__).resolve().parents[1] / "originals" / "unsloth_gsm8k.py"


def test_tui_audit_flag_reaches_the_app(monkeypatch):
    from click.testing import CliRunner

    from rewardsmith import cli as cli_module
    from rewardsmith.demo import demo_path
    from rewardsmith.tui import app as app_module

    opened = []
    monkeypatch.setattr(app_module, "run", lambda samples, fields, audit=None: opened.append((samples, audit)))
    math = str(demo_path("math"))
    result = CliRunner().invoke(cli_module.cli, ["tui", "--audit", str(UNSLOTH), math])
    assert result.exit_code == 0, result.output
    assert opened == [(math, [str(UNSLOTH)])]
    result = CliRunner().invoke(cli_module.cli, ["tui", "--audit", str(UNSLOTH)])
    assert result.exit_code == 2 and "--audit needs a SAMPLES file" in result.output


async def test_an_audit_opens_with_scores_report_and_to_spec(new_app):
    from textual.widgets import DataTable

    from rewardsmith.demo import demo_path
    from rewardsmith.tui.screens.audit import AuditScreen
    from rewardsmith.tui.screens.rules import RulesScreen

    app = new_app(demo_path("math"), audit=[str(UNSLOTH)])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        functions = screen.query_one("#audit-functions", DataTable)
        names = [str(functions.get_row_at(i)[0]) for i in range(functions.row_count)]
        assert names == [r.name for r in screen.result.spec.rules] and "correctness_reward_func" in names
        assert {str(functions.get_row_at(i)[1]) for i in range(functions.row_count)} == {"opaque"}
        scores = screen.query_one("#audit-scores", DataTable)
        assert scores.row_count == len(app.workbench.samples) == 87
        k = names.index("correctness_reward_func")
        row = scores.get_row_at(0)
        assert row[3 + k] == f"{screen.result.matrix.scores['correctness_reward_func'][0]:.3g}"
        assert "Rules" in plain(screen.query_one("#audit-report"))
        assert "findings" in plain(screen.query_one("#audit-diagnostics"))
        await pilot.press("d")
        assert screen.query_one("#audit-tabs").active == "tab-audit-diagnostics"
        await pilot.press("f")
        assert screen.query_one("#audit-tabs").active == "tab-audit-functions"
        assert not app.session.rules
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        origins = {e.origin for e in app.session.rules}
        assert origins == {"audit"} and "correctness_reward_func" in app.session.names()
        assert app.session.entry("correctness_reward_func").rule.kind == "exact_match"
