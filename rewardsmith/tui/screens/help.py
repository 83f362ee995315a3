"""Every key of every screen, with the binding id a keymap file can rebind."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

if TYPE_CHECKING:
    from ..app import RewardsmithApp

__all__ = ["HelpScreen", "binding_groups"]


def binding_groups() -> list[tuple[str, list[BindingType]]]:
    """(where, bindings) for the app, each screen and the widgets with keys of their own."""
    from ..app import RewardsmithApp
    from ..widgets.sample_table import SampleTable
    from .editor import EditorScreen
    from .export import ExportScreen
    from .propose import ProposeScreen
    from .report import ReportScreen
    from .rules import RulesScreen
    from .samples import SamplesScreen

    return [
        ("everywhere", list(RewardsmithApp.BINDINGS)),
        ("samples", list(SamplesScreen.BINDINGS)),
        ("samples table", list(SampleTable.BINDINGS)),
        ("rules", list(RulesScreen.BINDINGS)),
        ("rule editor", list(EditorScreen.BINDINGS)),
        ("report", list(ReportScreen.BINDINGS)),
        ("propose dialog", list(ProposeScreen.BINDINGS)),
        ("export dialog", list(ExportScreen.BINDINGS)),
    ]


def _key_label(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "space": "space", "escape": "esc"}
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 110; height: 90%; background: $panel; border: thick $primary; padding: 0 1; }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen Label { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape,f1,question_mark,q", "dismiss(None)", "Close", id="help.close", tooltip="Close the key list")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            app = cast("RewardsmithApp", self.app)
            yield Label(f"Rebind keys in {app.keymap_path} as {{\"binding id\": \"keys\"}}, "
                        "e.g. {\"app.propose\": \"ctrl+o\"}. ctrl+p searches every action.")

    def on_mount(self) -> None:
        app = cast("RewardsmithApp", self.app)
        table = self.query_one(DataTable)
        for label in ("where", "keys", "action", "what it does", "id"):
            table.add_column(label)
        for where, bindings in binding_groups():
            for binding in bindings:
                assert isinstance(binding, Binding)
                keys = app.keymap.get(binding.id or "", binding.key)
                table.add_row(Text(where, style="dim"), Text(_key_label(keys), style="bold"), binding.description,
                              binding.tooltip, Text(binding.id or "", style="dim"))
        table.focus()
