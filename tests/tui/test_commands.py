"""Keys and commands: every binding carries an id and a tooltip, the palette offers every action,
a keymap file rebinds keys, the CLI opens the workbench, and the LLM proposer is wired through."""

from __future__ import annotations

import json
from unittest import mock

from click.testing import CliRunner
from textual.binding import Binding

from rewardsmith.cli import cli
from rewardsmith.demo import demo_path
from rewardsmith.spec import RewardSpec, Rule
from rewardsmith.tui.commands import WorkbenchCommands, workbench_commands
from rewardsmith.tui.screens.help import binding_groups
from rewardsmith.tui.screens.propose import ProposeScreen
from rewardsmith.tui.screens.rules import RulesScreen

from .conftest import SIZE, plain, settle


def test_every_binding_has_an_id_and_a_tooltip():
    seen: dict[str, str] = {}
    for where, bindings in binding_groups():
        for binding in bindings:
            assert isinstance(binding, Binding)
            assert binding.id, f"{where}: {binding.key} has no id"
            assert binding.tooltip, f"{where}: {binding.id} has no tooltip"
            assert binding.id not in seen, f"{binding.id} is used in {seen[binding.id]} and {where}"
            seen[binding.id] = where


async def test_the_palette_offers_every_action_of_the_screen(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {title for title, *_ in workbench_commands(app.screen)}
        assert {"Propose rules", "Export", "Open demo: math", "Good", "Bad", "Pin", "Highlight", "Keys"} <= titles
        await pilot.press("2")
        await settle(pilot)
        titles = {title for title, *_ in workbench_commands(app.screen)}
        assert {"Accept", "Reject", "Accept all", "Edit"} <= titles

        # Searching runs the action on the node that binds it.
        provider = WorkbenchCommands(app.screen)
        hits = [hit async for hit in provider.search("open demo math")]
        assert hits and hits[0].text == "Open demo: math"
        hits[0].command()
        await settle(pilot)
        assert app.session.name == "math-demo"


async def test_the_command_palette_opens_and_runs_a_command(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"propose rules")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert isinstance(app.screen, ProposeScreen)


async def test_a_keymap_file_rebinds_keys(new_app, home):
    home.mkdir(parents=True)
    (home / "keymap.json").write_text(json.dumps({"app.rules": "9"}))
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)


def test_the_cli_opens_the_workbench():
    runner = CliRunner()
    with mock.patch("rewardsmith.tui.app.run") as run:
        assert runner.invoke(cli, []).exit_code == 0
        assert run.call_args.args == (None, {})
        path = str(demo_path("math"))
        assert runner.invoke(cli, ["tui", path]).exit_code == 0
        assert run.call_args.args == (path, {})
        assert runner.invoke(cli, [path]).exit_code == 0  # `rewardsmith FILE`
        assert run.call_args.args == (path, {})
    result = runner.invoke(cli, ["no-such-command"])
    assert result.exit_code == 2 and "No such command" in result.output


async def test_the_llm_proposer_gets_the_dialogs_choices(new_app, monkeypatch):
    calls = {}

    def fake_propose_llm(samples, **kwargs):
        calls.update(kwargs, count=len(samples))
        kwargs["progress"]("asking the model …")
        rule = Rule(name="answer_right", kind="exact_match", params={"reference": "aliases"}, rationale="from the model")
        return RewardSpec(name=kwargs["name"], rules=[rule])

    monkeypatch.setattr("rewardsmith.tui.screens.propose.llm_available", lambda: True)
    monkeypatch.setattr("rewardsmith.propose.llm.propose_llm", fake_propose_llm)
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#proposer-llm").value = True
        screen.query_one("#propose-model").value = "openai/gpt-4o-mini"
        screen.query_one("#propose-api-base").value = "http://user:sk-secret@127.0.0.1:8000/v1"
        screen.query_one("#propose-persona").value = "code-reviewer"
        screen.query_one("#propose-instructions").text = "If the answer sounds too robotic, deduct 3 points."
        screen.query_one("#selection-balanced").value = True
        screen.query_one("#propose-per-class").value = "5"
        await pilot.click("#propose-run")
        await settle(pilot)
        assert calls["model"] == "openai/gpt-4o-mini"
        assert calls["api_base"] == "http://user:sk-secret@127.0.0.1:8000/v1"  # this run gets it as typed
        assert app.session.propose.api_base == "http://127.0.0.1:8000/v1"  # the workspace never holds the key
        app.save_workspace()
        assert "sk-secret" not in app.workspace.read_text()
        assert calls["persona"] == "code-reviewer"
        assert calls["instructions"] == "If the answer sounds too robotic, deduct 3 points."
        assert calls["count"] == 10 and calls["name"] == "search-demo"
        assert "cancel" in calls
        entry = app.session.entry("answer_right")
        assert entry.status == "proposed" and entry.origin == "llm openai/gpt-4o-mini"
        assert app.session.propose.proposer == "llm" and app.session.propose.per_class == 5


async def test_without_litellm_the_llm_proposer_says_how_to_install_it(new_app, monkeypatch):
    monkeypatch.setattr("rewardsmith.tui.screens.propose.llm_available", lambda: False)
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#proposer-llm").disabled
        assert screen.query_one("#propose-llm-fields").disabled
        hint = plain(screen.query_one("#propose-llm-missing"))
        assert "pip install 'rewardsmith[llm]'" in hint  # the brackets survive: not read as markup
