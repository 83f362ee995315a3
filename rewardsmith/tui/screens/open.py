"""Open a samples file (with the column mapping real files need) or one of the demo sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from ...demo import DEMO_SETS, demo_path

__all__ = ["OpenScreen"]

# (FieldMap argument, label, placeholder)
MAPPING = (
    ("prompt", "prompt column", "auto: prompt / question / query …"),
    ("completion", "completion column", "auto: completion / response / messages …"),
    ("label", "label column", "auto: label"),
    ("group", "group column", "auto: identical prompts"),
    ("label_threshold", "label threshold", "numeric labels: at least this is good"),
)


class OpenScreen(ModalScreen[tuple[str, dict[str, Any]] | None]):
    """Dismisses with (path, FieldMap arguments) or None."""

    DEFAULT_CSS = """
    OpenScreen { align: center middle; }
    OpenScreen > Vertical { width: 84; height: auto; background: $panel; border: thick $primary; padding: 0 1; }
    OpenScreen Label.field-name { color: $text-accent; margin-top: 1; }
    OpenScreen .mapping { height: auto; }
    OpenScreen .mapping Label { width: 20; padding-top: 1; }
    OpenScreen .mapping Input { width: 1fr; }
    OpenScreen #open-error { color: $text-error; height: auto; }
    OpenScreen .buttons { height: auto; margin-top: 1; }
    OpenScreen .buttons Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="open.cancel", tooltip="Close without opening")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Samples file (JSONL, CSV, Parquet, text, ChatML)", classes="field-name")
            yield Input(placeholder="path/to/samples.jsonl", id="open-path")
            for key, label, placeholder in MAPPING:
                with Horizontal(classes="mapping"):
                    yield Label(label)
                    yield Input(placeholder=placeholder, id=f"open-{key}")
            yield Label("", id="open-error")
            with Horizontal(classes="buttons"):
                yield Button("Open", variant="primary", id="open-file")
                for name in DEMO_SETS:
                    yield Button(f"demo: {name}", id=f"demo-{name}")
                yield Button("Cancel", id="open-cancel")

    def on_mount(self) -> None:
        self.query_one("#open-path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#open-file")
    def _open(self) -> None:
        path = Path(self.query_one("#open-path", Input).value.strip()).expanduser()
        error = self.query_one("#open-error", Label)
        if not path.is_file():
            error.update(f"no such file: {path}" if str(path) not in ("", ".") else "give a file to open")
            return
        fields: dict[str, Any] = {}
        for key, _, _ in MAPPING:
            value = self.query_one(f"#open-{key}", Input).value.strip()
            if not value:
                continue
            if key == "label_threshold":
                try:
                    fields[key] = float(value)
                except ValueError:
                    error.update("the label threshold is a number")
                    return
            else:
                fields[key] = value
        self.dismiss((str(path.resolve()), fields))

    @on(Button.Pressed, ".buttons Button")
    def _demo(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id.startswith("demo-"):
            self.dismiss((str(demo_path(button_id.removeprefix("demo-"))), {}))
        elif button_id == "open-cancel":
            self.dismiss(None)
