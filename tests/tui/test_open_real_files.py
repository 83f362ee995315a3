"""Opening real files: the CLI's mapping flags reach the workbench, the Open dialog maps every field,
and a failed Open changes nothing."""

from __future__ import annotations

import csv

from click.testing import CliRunner
from textual.widgets import Input

from rewardsmith import cli as cli_module
from rewardsmith.tui import app as app_module
from rewardsmith.tui.screens.open import OpenScreen
from rewardsmith.tui.widgets.sample_table import SampleTable

from .conftest import SIZE, propose_offline, settle


def _their_csv(tmp_path):
    """A file in someone else's column names: question / model_output / verdict (yes/no) / uid."""
    path = tmp_path / "runs[v2].csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["uid", "question", "model_output", "verdict"])
        for i in range(6):
            writer.writerow([f"u{i}", f"What is {i}+{i}?", f"<answer>{2 * i if i % 2 else i}</answer>",
                             "ok" if i % 2 else "wrong"])
    return path


FLAGS = ["--prompt-field", "question", "--completion-field", "model_output", "--label-field", "verdict",
         "--label-true", "ok", "--label-false", "wrong", "--id-field", "uid", "--format", "csv"]
FIELDS = {"prompt": "question", "completion": "model_output", "label": "verdict", "id": "uid",
          "label_true": ("ok",), "label_false": ("wrong",), "format": "csv"}


def test_rewardsmith_file_takes_the_mapping_flags(tmp_path, monkeypatch):
    path = _their_csv(tmp_path)
    opened = []
    # The seam is where the terminal would start; the flags' parsing before it is what is tested.
    monkeypatch.setattr(app_module, "run", lambda samples, fields, audit=None: opened.append((samples, fields)))
    for args in ([str(path), *FLAGS], ["tui", str(path), *FLAGS]):
        result = CliRunner().invoke(cli_module.cli, args)
        assert result.exit_code == 0, result.output
    assert opened == [(str(path), FIELDS)] * 2


async def test_the_mapped_file_opens_with_labels_and_ids(tmp_path, new_app):
    app = new_app(_their_csv(tmp_path), fields=FIELDS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        samples = app.workbench.samples
        assert [s.id for s in samples] == [f"u{i}" for i in range(6)]
        assert [s.is_good for s in samples] == [False, True] * 3
        assert app.screen.query_one(SampleTable).row_count == 6


async def test_the_open_dialog_maps_every_field(tmp_path, new_app):
    path = _their_csv(tmp_path)
    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        values = {"path": str(path), "prompt": "question", "completion": "model_output", "label": "verdict",
                  "label_true": "ok", "label_false": "wrong, nope", "id": "uid", "format": "csv"}
        for key, value in values.items():
            app.screen.query_one(f"#open-{key}", Input).value = value
        await pilot.click("#open-file")
        await settle(pilot)
        assert app.session.samples_path == str(path)
        assert app.session.fields["label_false"] == ["wrong", "nope"]
        assert [s.id for s in app.workbench.samples][:2] == ["u0", "u1"]
        assert app.workbench.samples[1].is_good is True


async def test_a_failed_open_leaves_everything_as_it_was(tmp_path, new_app, home):
    path = _their_csv(tmp_path)
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await propose_offline(pilot)
        await pilot.press("2", "a")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        before = (app.title, app.sub_title, app.session.name, app.session.names(), app.workspace,
                  len(app.workbench.samples), app.screen.query_one(SampleTable).row_count, app.status)
        app.save_workspace()  # what autosave would write anyway, written now so the file can be compared
        workspace_text = app.workspace.read_text()
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#open-path", Input).value = str(path)
        app.screen.query_one("#open-completion", Input).value = "model_outptu"  # a typo
        await pilot.click("#open-file")
        await settle(pilot)
        after = (app.title, app.sub_title, app.session.name, app.session.names(), app.workspace,
                 len(app.workbench.samples), app.screen.query_one(SampleTable).row_count, app.status)
        assert after == before
        messages = [n.message for n in app._notifications]
        assert any("no completion column 'model_outptu'" in m and "did you mean 'model_output'" in m
                   and "runs[v2].csv" in m for m in messages), messages
        assert app.workspace.read_text() == workspace_text
        # No workspace was written for the file that did not open.
        assert len(list((home / "workspaces").glob("*.json"))) == 1
        # Export still exports this session's spec with its samples.
        assert app.session.spec() is not None and len(app.workbench.samples) == 88
