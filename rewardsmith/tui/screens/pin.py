"""Pin the score a rule must give one sample: it becomes a check, and a test in the export."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from ...spec import Pin

__all__ = ["PinScreen", "parse_score"]


def parse_score(text: str) -> float | None:
    """A pinned score: a number, or "none" for "the rule does not apply". Raises ValueError."""
    text = text.strip()
    if text.lower() in ("none", "null", "—", "-"):
        return None
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


class PinScreen(ModalScreen[tuple[str, float | None, bool] | None]):
    """Dismisses with (rule, score, remove) or None."""

    DEFAULT_CSS = """
    PinScreen { align: center middle; }
    PinScreen > Vertical { width: 64; height: auto; padding: 1 2; background: $panel; border: thick $accent; }
    PinScreen Label { margin-top: 1; }
    PinScreen #pin-error { color: $text-error; height: auto; }
    PinScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    PinScreen Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="pin.cancel", tooltip="Close without pinning")]

    def __init__(self, sample_id: str, current: dict[str, float | None], rule: str, pins: list[Pin]) -> None:
        super().__init__()
        self.sample_id = sample_id
        self.current = current
        self.rule = rule
        self.pins = {p.rule: p for p in pins}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text.assemble("Pin a score on ", (self.sample_id, "bold")))
            yield Label("Rule")
            yield Select([(f"{name}  (now {_fmt(score)})", name) for name, score in self.current.items()],
                         value=self.rule, allow_blank=False, id="pin-rule")
            yield Label("Expected score (a number, or none)")
            yield Input(self._default(self.rule), id="pin-score")
            yield Label("", id="pin-error")
            with Horizontal():
                yield Button("Pin", variant="primary", id="pin-save")
                yield Button("Remove pin", variant="error", id="pin-remove", disabled=self.rule not in self.pins)
                yield Button("Cancel", id="pin-cancel")

    def _default(self, rule: str) -> str:
        pin = self.pins.get(rule)
        return _fmt(pin.score if pin is not None else self.current.get(rule))

    def on_mount(self) -> None:
        self.query_one("#pin-score", Input).focus()

    @on(Select.Changed, "#pin-rule")
    def _rule_changed(self, event: Select.Changed) -> None:
        self.rule = str(event.value)
        self.query_one("#pin-score", Input).value = self._default(self.rule)
        self.query_one("#pin-remove", Button).disabled = self.rule not in self.pins

    @on(Input.Submitted, "#pin-score")
    @on(Button.Pressed, "#pin-save")
    def _save(self) -> None:
        try:
            score = parse_score(self.query_one("#pin-score", Input).value)
        except ValueError:
            self.query_one("#pin-error", Label).update("a number (like 0.5) or none")
            return
        self.dismiss((self.rule, score, False))

    @on(Button.Pressed, "#pin-remove")
    def _remove(self) -> None:
        self.dismiss((self.rule, None, True))

    @on(Button.Pressed, "#pin-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
