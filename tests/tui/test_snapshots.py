"""Snapshots of the main screens at a fixed size, on fixture data and a frozen spec.

Regenerate after an intended change with `python scripts/regen.py snapshots` (this file with
`--snapshot-update`), then look at the SVGs under __snapshots__/ before committing them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from rewardsmith.spec import load_spec
from rewardsmith.tui.app import make_app
from rewardsmith.workbench.state import Session, workspace_path

from .conftest import settle

FIXTURES = Path(__file__).parent / "fixtures"
SIZE = (150, 44)


@pytest.fixture
def fixture_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app on 26 fixture samples, with a workspace that has rules in every review state."""
    monkeypatch.chdir(tmp_path)  # export paths show relative, the same on every machine
    # The propose dialog says whether the LLM proposer is installed; the snapshot should not care.
    monkeypatch.setattr("rewardsmith.tui.screens.propose.llm_available", lambda: True)
    # A loaded machine takes over a second to load the fixture, and the status line would say so.
    monkeypatch.setattr("rewardsmith.tui.jobs.SHOW_TIMES", False)
    samples = tmp_path / "search.jsonl"
    shutil.copy(FIXTURES / "search.jsonl", samples)
    home = Path("home")  # relative to tmp_path: the help screen shows the keymap path
    session = Session(samples_path=str(samples), name="fixture")
    session.add_proposals(load_spec(FIXTURES / "spec.yaml"), "offline")
    session.set_status("answer_exact_match", "accepted")
    session.set_status("format_tags", "accepted")
    session.set_status("length_penalty", "rejected")
    session.set_label("search-g01-c5", 0.0)
    session.set_pin("search-g01-c1", "answer_exact_match", 1.0)
    session.marked = ["search-g01-c2"]
    session.save(workspace_path(samples, home))
    return make_app(samples, home=home, autosave=False)


async def _ready(pilot: Pilot, *keys: str) -> None:
    await settle(pilot)
    if keys:
        await pilot.press(*keys)
        await settle(pilot)
    pilot.app.clear_notifications()  # toasts come and go with timing; the screen under them does not
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, (Input, TextArea))
        widget.cursor_blink = False
    await pilot.pause()


def test_samples_screen(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "down", "down"))


def test_samples_screen_one_rule_highlighted_sorted_by_total(snap_compare, fixture_app):
    async def run(pilot: Pilot) -> None:
        await _ready(pilot)
        screen = pilot.app.screen
        screen.session.view.sort = "total"
        screen.session.view.descending = True
        screen.sync()
        await _ready(pilot, "h", "h", "h")

    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=run)


def test_rules_screen(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "2", "down"))


def test_rule_editor(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "2", "enter"))


def test_report_distributions(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "3", "right"))


def test_report_groups(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "3", "right", "right"))


def test_propose_dialog(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "p"))


def test_export_dialog(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "e"))


def test_help_screen(snap_compare, fixture_app):
    assert snap_compare(fixture_app, terminal_size=SIZE, run_before=lambda pilot: _ready(pilot, "f1"))


# The two terminal sizes the workbench must fit: a laptop split (100×30) and a large window (180×50).
# The report is shown on its distributions tab: the overview holds timings, which vary run to run.
FITS = [(100, 30), (180, 50)]


SCREENS = {"samples": (), "rules": ("2",), "editor": ("2", "enter"), "report": ("3", "right"),
           "groups": ("3", "right", "right"), "help": ("f1",), "open": ("o",), "propose": ("p",), "export": ("e",)}


@pytest.mark.parametrize("size", FITS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("keys", list(SCREENS.values()), ids=list(SCREENS))
def test_screens_fit_the_terminal(snap_compare, fixture_app, keys, size):
    assert snap_compare(fixture_app, terminal_size=size, run_before=lambda pilot: _ready(pilot, *keys))


@pytest.mark.parametrize("size", FITS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_audit_fits_the_terminal(snap_compare, tmp_path, monkeypatch, size):
    """The audit's first tab (its report tab holds timings, which vary run to run)."""
    from rewardsmith.demo import demo_path

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("rewardsmith.tui.jobs.SHOW_TIMES", False)
    unsloth = Path(__file__).resolve().parents[1] / "originals" / "unsloth_gsm8k.py"
    app = make_app(demo_path("math"), home=Path("home"), autosave=False, audit=[str(unsloth)])
    assert snap_compare(app, terminal_size=size, run_before=_ready)
