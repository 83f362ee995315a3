"""Open a samples file (with the column mapping real files need) or one of the demo sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from ...demo import DEMO_SETS, demo_path
from ...samples import FORMATS

__all__ = ["OpenScreen"]

# (FieldMap argument, label, placeholder)
MAPPING = (
    ("prompt", "prompt column", "auto: prompt / question / query …"),
    ("completion", "completion column", "auto: completion / response / messages …"),
    ("label", "label column", "auto: label"),
    ("label_true", "label true", "values meaning good, comma-separated: good, true, yes, 1 …"),
    ("label_false", "label false", "values meaning bad, comma-separated: bad, false, no, 0 …"),
    ("label_threshold", "label threshold", "numeric labels: at least this is good"),
    ("id", "id column", "auto: id (else file name and row)"),
    ("group", "group column", "auto: identical prompts"),
    ("format", "format", f"auto from the suffix; or {', '.join(FORMATS[1:])}"),
)
# Fields holding several values (the CLI's repeatable flags), typed comma-separated here.
LISTS = ("label_true", "label_false")


class OpenScreen(ModalScreen[tuple[str, dict[str, Any]] | None]):
    """Dismisses with (path, FieldMap arguments) or None."""

    DEFAULT_CSS = """
    OpenScreen { align: center middle; }
    OpenScreen > VerticalScroll { width: 96; max-width: 100%; height: auto; max-height: 100%; background: $panel;
                                  border: thick $primary; padding: 0 1; }
    OpenScreen Label.field-name { color: $text-accent; }
    OpenScreen .mapping { layout: grid; grid-size: 4; grid-columns: 16 1fr 16 1fr; height: auto; }
    OpenScreen .mapping Label { width: 100%; padding-top: 1; }
    OpenScreen #open-error { color: $text-error; height: auto; }
    OpenScreen .buttons { height: auto; margin-top: 1; }
    OpenScreen .buttons Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="open.cancel", tooltip="Close without opening")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("Samples file (JSONL, CSV, Parquet, text, ChatML)", classes="field-name")
            yield Input(placeholder="path/to/samples.jsonl", id="open-path")
            with Horizontal(classes="mapping"):
                for key, label, placeholder in MAPPING:
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
            error.update(Text(f"no such file: {path}" if str(path) not in ("", ".") else "give a file to open"))
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
            elif key in LISTS:
                fields[key] = [v.strip() for v in value.split(",") if v.strip()]
            elif key == "format" and value not in FORMATS:
                error.update(f"the format is one of {', '.join(FORMATS)}")
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
