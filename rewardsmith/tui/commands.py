"""The command palette: every binding of the current screen, plus the workbench's global actions.

Bindings are the single source: a key the user can press is also a command they can search for,
with the binding's tooltip as its help, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..demo import DEMO_SETS, demo_set

if TYPE_CHECKING:
    from textual.dom import DOMNode

__all__ = ["WorkbenchCommands", "workbench_commands"]

# Actions that make sense from anywhere, whether or not the current screen binds them.
GLOBAL_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Samples", "The samples table with the detail pane", "app.switch_mode('samples')"),
    ("Rules", "Review proposed rules: accept, reject, edit", "app.switch_mode('rules')"),
    ("Report", "Stats, separation, group signal and plots", "app.switch_mode('report')"),
    ("Propose rules", "Run a proposer on the samples", "app.propose"),
    ("Export", "Write the module, its pytest file, spec and baseline", "app.export"),
    ("Open samples", "Open another samples file or a demo set", "app.open"),
    *((f"Open demo: {name}", f"The {demo_set(name).title} demo set", f"app.open_demo({name!r})")
      for name in DEMO_SETS),
    ("Keys", "Every key of every screen", "app.help"),
    ("Save workspace now", "Autosave runs after every change; this forces it", "app.save_workspace"),
)


def workbench_commands(screen: DOMNode) -> Iterator[tuple[str, str, str, DOMNode]]:
    """(title, help, action, node to run it on) for every command, without duplicates."""
    seen: set[str] = set()
    app = screen.app
    for title, help_text, action in GLOBAL_COMMANDS:
        seen.add(action.removeprefix("app."))
        yield title, help_text, action, app
    # The screen's own bindings first (a focused widget may hold the same key, like a table's
    # enter, and then active_bindings would hide the screen's action), then whatever is active.
    declared = [(screen, b) for b in getattr(type(screen), "BINDINGS", []) if isinstance(b, Binding)]
    active = [(a.node, a.binding) for a in screen.active_bindings.values()]  # type: ignore[attr-defined]
    for node, binding in declared + active:
        action = binding.action
        if not binding.description or action in seen or action.startswith("app.command_palette"):
            continue
        seen.add(action)
        yield binding.description, binding.tooltip or "", action, node


class WorkbenchCommands(Provider):
    def _run(self, action: str, node: DOMNode) -> None:
        self.app.call_later(self.app.run_action, action, node)

    async def discover(self) -> Hits:
        for title, help_text, action, node in workbench_commands(self.screen):
            yield DiscoveryHit(title, partial(self._run, action, node), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action, node in workbench_commands(self.screen):
            score = matcher.match(f"{title} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action, node), text=title, help=help_text)
