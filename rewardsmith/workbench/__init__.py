"""The workbench's session model, headless: state, scoring, the table's view, spans, rule code, proposing.

The Textual app in `rewardsmith.tui` is one client of these modules; none of them imports textual, so they
are tested (and benchmarked) without a terminal, and an import-linter contract in pyproject.toml keeps it so.
"""

from __future__ import annotations

__all__: list[str] = []
