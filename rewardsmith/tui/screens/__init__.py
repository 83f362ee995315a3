"""The workbench's screens: samples, rules (review), report, and the editor and dialogs."""

from __future__ import annotations

__all__: list[str] = []
