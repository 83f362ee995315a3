"""Widgets of the workbench: the virtual sample table, the detail pane, the params form, plots."""

from __future__ import annotations

__all__: list[str] = []
