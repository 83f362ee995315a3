"""Every key of every screen, with the binding id a keymap file can rebind."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from itertools import groupby

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from ..app import RewardsmithApp

__all__ = ["HelpScreen", "binding_groups"]


def binding_groups() -> list[tuple[str, list[BindingType]]]:
    """(where, bindings) for the app, each screen and the widgets with keys of their own."""
    from ..app import RewardsmithApp
    from ..widgets.sample_table import SampleTable
    from .audit import AuditScreen
    from .confirm import ConfirmScreen
    from .editor import EditorScreen
    from .export import ExportScreen
    from .open import OpenScreen
    from .pin import PinScreen
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
        ("audit", list(AuditScreen.BINDINGS)),
        ("open dialog", list(OpenScreen.BINDINGS)),
        ("pin dialog", list(PinScreen.BINDINGS)),
        ("questions", list(ConfirmScreen.BINDINGS)),
        ("this key list", list(HelpScreen.BINDINGS)),
    ]


def _key_label(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "space": "space", "escape": "esc"}
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """The keys as one wrapped table per place, in a scroll: it fits 100 columns and reaches the end."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100%; max-width: 120; height: 100%; max-height: 90%;
        background: $panel; border: thick $primary; padding: 0 1;
    }
    HelpScreen #help-scroll { height: 1fr; }
    HelpScreen #help-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [
        Binding("escape,f1,question_mark,q", "dismiss(None)", "Close", id="help.close", tooltip="Close the key list"),
        Binding("down,j", "scroll('down')", "Down", show=False, id="help.down", tooltip="Scroll down"),
        Binding("up,k", "scroll('up')", "Up", show=False, id="help.up", tooltip="Scroll up"),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False, id="help.page_down",
                tooltip="One screen down"),
        Binding("pageup", "scroll('page_up')", "Page up", show=False, id="help.page_up", tooltip="One screen up"),
        Binding("end,G", "scroll('end')", "End", show=False, id="help.end", tooltip="The last key"),
        Binding("home,g", "scroll('home')", "Top", show=False, id="help.home", tooltip="The first key"),
    ]

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(where, keys, action, what it does, binding id) of every key, as the keymap has them now."""
        app = cast("RewardsmithApp", self.app)
        out = []
        for where, bindings in binding_groups():
            for binding in bindings:
                assert isinstance(binding, Binding)
                keys = app.keymap.get(binding.id or "", binding.key)
                out.append((where, _key_label(keys), binding.description, binding.tooltip, binding.id or ""))
        return out

    def compose(self) -> ComposeResult:
        app = cast("RewardsmithApp", self.app)
        with Vertical():
            with VerticalScroll(id="help-scroll"):
                yield Static(self._tables(), id="help-keys")
            yield Static(Text(f"Rebind keys in {app.keymap_path} as {{\"binding id\": \"keys\"}}, "
                              "e.g. {\"app.propose\": \"ctrl+o\"}. ctrl+p searches every action. "
                              "↑↓ PgUp PgDn Home End scroll; esc closes."), id="help-hint")

    def _tables(self) -> Group:
        parts = []
        for where, group in groupby(self.rows(), key=lambda r: r[0]):
            table = Table(title=where, title_justify="left", title_style="bold", expand=True, box=None,
                          show_header=False, padding=(0, 1))
            table.add_column("keys", style="bold", no_wrap=True, width=12)
            table.add_column("action", no_wrap=True, width=14)
            table.add_column("what it does", ratio=1)
            table.add_column("id", style="dim", no_wrap=True, overflow="fold", width=22)
            for _, keys, action, what, ident in group:
                table.add_row(keys, action, what, ident)
            parts.append(table)
        return Group(*parts)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        {"down": scroll.scroll_down, "up": scroll.scroll_up, "page_down": scroll.scroll_page_down,
         "page_up": scroll.scroll_page_up, "end": scroll.scroll_end, "home": scroll.scroll_home}[where](animate=False)
