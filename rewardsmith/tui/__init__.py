"""The Textual workbench. `app.run(path)` opens it; everything else here is its screens, widgets, messages,
commands and jobs.

The workbench's logic (session, scoring, table view, spans, rule code, proposing) is headless and lives in
`rewardsmith.workbench`; this package is only the terminal client of it.
"""

from __future__ import annotations

__all__: list[str] = []
