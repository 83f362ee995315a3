"""What every workbench screen shares: typed access to the app, and redraw-on-change.

A screen watches the app's version counters; a change while the screen is hidden (another mode
is showing) only marks it stale, and it redraws when it is shown again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from ..app import RewardsmithApp
    from ...workbench.state import Session
    from ...workbench.workbench import Workbench

__all__ = ["WorkbenchScreen"]


class WorkbenchScreen(Screen[None]):
    WATCH: tuple[str, ...] = ("samples_version", "scores_version", "rules_version")

    def __init__(self) -> None:
        super().__init__()
        self._stale = True

    @property
    def rs(self) -> RewardsmithApp:
        return cast("RewardsmithApp", self.app)

    @property
    def workbench(self) -> Workbench:
        return self.rs.workbench

    @property
    def session(self) -> Session:
        return self.rs.workbench.session

    def on_mount(self) -> None:
        for name in self.WATCH:
            self.watch(self.app, name, lambda _value, name=name: self._changed(name), init=False)
        self.sync()

    def _changed(self, what: str) -> None:
        self._stale = True
        if self.is_current:
            self.sync(what)

    def on_screen_resume(self) -> None:
        self.session.view.screen = self.rs.current_mode
        if self._stale:
            self.sync()

    def sync(self, what: str = "all") -> None:
        """Redraw from the workbench. `what` names the counter that changed ("all" on show)."""
        self._stale = False
        self.refresh_title()

    def refresh_title(self) -> None:
        session = self.session
        samples = self.workbench.samples
        count = f"{len(samples):,} samples" if samples is not None else "loading"
        accepted = len(session.accepted())
        proposed = sum(1 for e in session.rules if e.status == "proposed")
        self.title = f"rewardsmith · {session.name}"
        self.sub_title = f"{count} · {accepted} accepted, {proposed} to review"
