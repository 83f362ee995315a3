"""Read-only, syntax-highlighted source (a rule's rendered Python, a diff).

Rich's Syntax with an ANSI theme draws in the terminal's own palette, so it suits any app theme
without a colour of its own.
"""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

__all__ = ["CodeView"]


class CodeView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    CodeView { background: $surface; overflow-x: auto; }
    CodeView > Static { width: auto; }
    """

    def __init__(self, code: str = "", lexer: str = "python", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.code = code
        self.lexer = lexer

    def compose(self) -> ComposeResult:
        yield Static(id="code-body")

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda _theme: self._draw(), init=False)
        self._draw()

    def show(self, code: str, lexer: str | None = None) -> None:
        self.code = code
        if lexer is not None:
            self.lexer = lexer
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        self.query_one("#code-body", Static).update(
            Syntax(self.code, self.lexer, theme=theme, line_numbers=self.lexer == "python", word_wrap=False,
                   background_color="default")
        )
