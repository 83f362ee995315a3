"""The status line every screen shows: what the workers are doing, with a progress bar while they do."""

from __future__ import annotations

from rich.text import Text

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

__all__ = ["StatusLine"]


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; padding: 0 1; }
    StatusLine > Label { width: 1fr; color: $text-muted; }
    StatusLine > ProgressBar { width: 40; display: none; }
    StatusLine.-busy > ProgressBar { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="status-text")
        yield ProgressBar(show_eta=False, id="status-progress")

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._status)
        self.watch(self.app, "progress", self._progress)

    def _status(self, text: str) -> None:
        self.query_one("#status-text", Label).update(Text(text))  # file names are text, not markup

    def _progress(self, value: tuple[float, float] | None) -> None:
        self.set_class(value is not None, "-busy")
        if value is not None:
            done, total = value
            bar = self.query_one(ProgressBar)
            # total 0 means "unknown yet": the bar pulses instead of lying about a fraction.
            bar.update(total=total or None, progress=done)
