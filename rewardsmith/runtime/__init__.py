"""The code generated modules run, as plain tested Python (standard library only).

Every module-level ``_name`` here is a private helper of the generated module: ``render`` copies
the ones a spec's rule bodies call, with the helpers they call in turn, by source
(see ``rewardsmith.render``). The TUI's highlights and the diagnostics call the same
functions, so what they show is what the module reads.
"""

from __future__ import annotations

__all__: list[str] = []
