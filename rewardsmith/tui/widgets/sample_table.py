"""A virtual table for many rows: only the lines on screen are ever built.

Textual's DataTable builds and measures every row it holds; at 100,000 samples that costs seconds
on each refresh. This widget uses the line API instead: it asks a `TableSource` for the cells of
the rows in view when a line is drawn, so refresh, scroll and re-sort cost the same at 100 rows
as at 100,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["Column", "SampleTable", "TableSource"]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    right: bool = False  # numbers align right


class TableSource(Protocol):
    columns: Sequence[Column]

    def __len__(self) -> int: ...

    def cell(self, row: int, column: int) -> tuple[str, str]:
        """Text and a style name ("" or one of SampleTable's cell styles: good, bad, dim, error, pinned)."""

    def marked(self, row: int) -> bool: ...


class _Empty:
    columns: Sequence[Column] = ()

    def __len__(self) -> int:
        return 0

    def cell(self, row: int, column: int) -> tuple[str, str]:
        return "", ""

    def marked(self, row: int) -> bool:
        return False


_GAP = 1


class SampleTable(ScrollView, can_focus=True):
    """Rows of a TableSource with a fixed header, a cursor and marks."""

    DEFAULT_CSS = """
    SampleTable {
        background: $surface;
        color: $foreground;
    }
    SampleTable > .sample-table--header { background: $panel; color: $text-accent; text-style: bold; }
    SampleTable > .sample-table--cursor { background: $block-cursor-blurred-background; }
    SampleTable:focus > .sample-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    SampleTable > .sample-table--marked { color: $text-warning; text-style: bold; }
    SampleTable > .sample-table--good { color: $text-success; }
    SampleTable > .sample-table--bad { color: $text-error; }
    SampleTable > .sample-table--dim { color: $text-muted; }
    SampleTable > .sample-table--error { color: $text-error; text-style: reverse; }
    SampleTable > .sample-table--pinned { color: $text-accent; text-style: underline; }
    """

    COMPONENT_CLASSES = {
        "sample-table--header",
        "sample-table--cursor",
        "sample-table--marked",
        "sample-table--good",
        "sample-table--bad",
        "sample-table--dim",
        "sample-table--error",
        "sample-table--pinned",
    }

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up", tooltip="Previous sample"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down", tooltip="Next sample"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up", tooltip="One screen up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down", tooltip="One screen down"),
        Binding("home", "first", "First", show=False, id="table.first", tooltip="First row"),
        Binding("end", "last", "Last", show=False, id="table.last", tooltip="Last row"),
        Binding("left", "scroll_left", "Left", show=False, id="table.left", tooltip="Scroll left"),
        Binding("right", "scroll_right", "Right", show=False, id="table.right", tooltip="Scroll right"),
        Binding("space", "mark", "Mark", id="table.mark", tooltip="Mark or unmark the sample (for proposing on a selection)"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class CursorMoved(Message):
        """The cursor is on another row (or the rows changed under it)."""

        def __init__(self, table: SampleTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> SampleTable:
            return self.table

    class MarkToggled(Message):
        def __init__(self, table: SampleTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> SampleTable:
            return self.table

    class HeaderClicked(Message):
        def __init__(self, table: SampleTable, column: Column) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> SampleTable:
            return self.table

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source: TableSource = _Empty()

    # ------------------------------------------------------------------ data

    def set_source(self, source: TableSource, cursor: int = 0) -> None:
        """Show `source`; the cursor goes to row `cursor` (clamped)."""
        self.source = source
        width = sum(c.width for c in source.columns) + _GAP * max(0, len(source.columns) - 1)
        self.virtual_size = Size(width, len(source) + 1)
        self.refresh()
        self._move(cursor, force=True)

    def refresh_rows(self) -> None:
        """Cells changed (new scores, a label): redraw without moving."""
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.source)

    # ------------------------------------------------------------------ cursor

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move(self, row: int, force: bool = False) -> None:
        row = max(0, min(row, self.row_count - 1)) if self.row_count else 0
        old = self.cursor_row
        if row != old or force:
            self.set_reactive(SampleTable.cursor_row, row)
            self.refresh_line(old + 1)
            self.refresh_line(row + 1)
            self.post_message(self.CursorMoved(self, row))
        self._scroll_to_cursor()

    def move_cursor(self, row: int) -> None:
        self._move(row)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        visible = self._visible_rows()
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_to_cursor()

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor_row + direction * self._visible_rows())

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.row_count - 1)

    def action_mark(self) -> None:
        if self.row_count:
            self.post_message(self.MarkToggled(self, self.cursor_row))
            self.refresh_line(self.cursor_row + 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + round(self.scroll_x)
            for column in self.source.columns:
                if x < column.width + _GAP:
                    self.post_message(self.HeaderClicked(self, column))
                    return
                x -= column.width + _GAP
            return
        self._move(round(self.scroll_y) + offset.y - 1)

    # ------------------------------------------------------------------ drawing

    def _line_text(self, row: int | None) -> list[Segment]:
        segments: list[Segment] = []
        styles = self._cell_styles
        for k, column in enumerate(self.source.columns):
            if row is None:
                text, style = column.title, "header"
            else:
                text, style = self.source.cell(row, k)
            if len(text) > column.width:
                text = text[: max(0, column.width - 1)] + "…"
            text = text.rjust(column.width) if column.right else text.ljust(column.width)
            segments.append(Segment(text, styles.get(style)))
            if k < len(self.source.columns) - 1:
                segments.append(Segment(" " * _GAP))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        self._cell_styles = {
            name: self.get_component_rich_style(f"sample-table--{name}", partial=True)
            for name in ("header", "good", "bad", "dim", "error", "pinned")
        }
        scroll_x = round(self.scroll_x)
        if y == 0:
            line_style = base + self._cell_styles["header"]
            segments = self._line_text(None)
        else:
            row = round(self.scroll_y) + y - 1
            if row >= self.row_count:
                return Strip.blank(width, base)
            line_style = base
            if self.source.marked(row):
                line_style = line_style + self.get_component_rich_style("sample-table--marked", partial=True)
            if row == self.cursor_row:
                # Partial styles throughout: Textual caches component styles by name only, so
                # mixing partial and full lookups of one component would return the wrong one.
                line_style = line_style + self.get_component_rich_style("sample-table--cursor", partial=True)
            segments = self._line_text(row)
        strip = Strip(segments).crop(scroll_x, self._visible_end(scroll_x, width))
        return strip.apply_style(line_style).extend_cell_length(width, line_style)

    def _visible_end(self, scroll_x: int, width: int) -> int:
        """Where the drawn part ends: at the last column that fits whole, so "1.58" never shows as "1.5"."""
        end = 0
        fitted = scroll_x
        for column in self.source.columns:
            end += column.width
            if end > scroll_x + width:
                break
            fitted = end
            end += _GAP
        return fitted if fitted > scroll_x else scroll_x + width

    _cell_styles: dict[str, Style] = {}
