"""The Textual workbench. `app.run(path)` opens it; everything else here is its screens and widgets.

The modules `state`, `scoring`, `tableview`, `spans` and `rulecode` hold the workbench's logic without
importing textual, so they are tested (and benchmarked) without a terminal.
"""

from __future__ import annotations

__all__: list[str] = []
