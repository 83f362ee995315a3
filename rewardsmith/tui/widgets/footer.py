"""The footer of the workbench screens: the workflow keys first, the screen's own after them.

Textual's Footer lists the focused widget's keys first and the app's last, and a narrow terminal
cuts the end: at 100 columns Propose, Export and Open were the keys that vanished. This footer
puts them (and the key list) first, draws compact, and keeps Textual's grouping (`Binding.Group`: `s r l m z /`
under one label). Textual is pinned, so the copy of its compose below is checked by the snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

__all__ = ["LEADING_ACTIONS", "WorkbenchFooter"]

LEADING_ACTIONS = ("propose", "export", "open", "help")


class WorkbenchFooter(Footer):
    DEFAULT_CSS = """
    WorkbenchFooter.-compact FooterLabel { margin: 0 1 0 0; }
    """

    def __init__(self) -> None:
        super().__init__(compact=True)

    def ordered(self) -> list[tuple[Binding, bool, str]]:
        """The shown bindings, Propose / Export / Open first, then as Textual orders them."""
        shown = [(b, enabled, tip) for (_, b, enabled, tip) in self.screen.active_bindings.values() if b.show]
        return sorted(shown, key=lambda item: (LEADING_ACTIONS.index(item[0].action)
                                               if item[0].action in LEADING_ACTIONS else len(LEADING_ACTIONS)))

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for binding, enabled, tooltip in self.ordered():
            by_action[binding.action].append((binding, enabled, tooltip))
        self.styles.grid_size_columns = len(by_action)
        for group, items in groupby(by_action.values(), lambda multi: multi[0][0].group):
            multi = list(items)
            if group is not None and len(multi) > 1:
                with KeyGroup(classes="-compact" if group.compact else ""):
                    for (binding, enabled, tooltip), *_ in multi:
                        yield FooterKey(binding.key, self.app.get_key_display(binding), "", binding.action,
                                        disabled=not enabled, tooltip=tooltip or binding.description,
                                        classes="-grouped").data_bind(compact=Footer.compact)
                yield FooterLabel(group.description)
            else:
                for (binding, enabled, tooltip), *_ in multi:
                    yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description,
                                    binding.action, disabled=not enabled,
                                    tooltip=tooltip).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            try:
                _node, binding, enabled, tooltip = self.screen.active_bindings[self.app.COMMAND_PALETTE_BINDING]
            except KeyError:
                return
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            classes="-command-palette", disabled=not enabled,
                            tooltip=binding.tooltip or binding.description)
