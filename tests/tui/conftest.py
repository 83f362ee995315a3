"""Fixtures for the workbench tests: a private workspace home, the app, and a way to wait for it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled

from rewardsmith.demo import demo_path
from rewardsmith.tui.app import RewardsmithApp, make_app

SIZE = (160, 48)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Workspaces and keymaps go here, never into the user's real state folder."""
    return tmp_path / "home"


@pytest.fixture
def new_app(home: Path) -> Callable[..., RewardsmithApp]:
    def build(samples: str | Path | None = None, **kwargs: object) -> RewardsmithApp:
        return make_app(samples, home=home, **kwargs)  # type: ignore[arg-type]

    return build


async def settle(pilot: Pilot, rounds: int = 60) -> None:
    """Wait until no worker runs and the screen has caught up (workers start workers: loop)."""
    app = pilot.app
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # superseded by a newer worker of its group: the loop waits for that one
        await pilot.pause()
        await pilot.pause()
        if all(w.is_finished for w in app.workers):  # a PENDING worker is not running yet, but will
            return
    raise AssertionError(f"workers still running: {list(app.workers)}")


async def propose_offline(pilot: Pilot) -> None:
    """Open the propose dialog, run the offline proposer on all samples, wait for the scores."""
    await pilot.press("p")
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#selection-all").value = True
    await pilot.click("#propose-run")
    await settle(pilot)


DEMO_SEARCH = demo_path("search")


def plain(widget: Static) -> str:
    """What a Static shows, as plain text (its content may be any rich renderable)."""
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    if isinstance(widget.content, str):
        # As the widget shows it: parsed as markup only when the widget was made with markup on.
        return widget.render().plain + "\n"  # type: ignore[union-attr]
    console.print(widget.content)
    return console.export_text()
