"""Review: every proposed rule with its kind, params, weight, role, rationale and numbers.

Accept, reject or edit each one. Proposed rules are scored like accepted ones, so the AUC and the
share of flat groups are there to decide with before anything is accepted.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from ...errors import RewardsmithError
from ...kinds import get_kind
from ...workbench.rulecode import params_yaml, rule_source
from ..widgets.code_view import CodeView
from ..widgets.footer import WorkbenchFooter
from ..widgets.status import StatusLine
from .base import WorkbenchScreen
from .editor import EditorScreen

__all__ = ["RulesScreen"]

STATUS_MARK = {"accepted": "✓", "proposed": "?", "rejected": "✗"}


def _num(value: Any, pct: bool = False) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.0f}%" if pct else f"{value:.3g}"


class RulesScreen(WorkbenchScreen):
    BINDINGS = [
        Binding("a", "decide('accepted')", "Accept", id="rules.accept", tooltip="Accept the rule into the spec"),
        Binding("x", "decide('rejected')", "Reject", id="rules.reject", tooltip="Reject the rule (kept, not scored)"),
        Binding("u,ctrl+z", "undo", "Undo", id="rules.undo", tooltip="Undo the last accept or reject (again for the one before)"),
        Binding("backspace", "decide('proposed')", "Undecide", show=False, id="rules.undecide",
                tooltip="Put the rule under the cursor back to proposed"),
        Binding("A,shift+a", "accept_all", "Accept all", id="rules.accept_all", tooltip="Accept every proposed rule"),
        Binding("enter", "edit", "Edit", id="rules.edit", tooltip="Edit params, weight and role with live scores"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stats: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="rules-body"):
            with Vertical(id="rules-pane"):
                yield DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="rules-summary")
            with Vertical(id="rule-card-pane"):
                with VerticalScroll(id="rule-card-scroll"):
                    yield Static(id="rule-card")
                yield CodeView(id="rule-code")
        yield StatusLine()
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        # The numbers to decide on first: at 100 columns kind and role (also on the card) are the ones cut.
        for key, label in (("status", " "), ("name", "rule"), ("auc", "AUC"), ("flat", "flat"), ("mean", "mean"),
                           ("weight", "weight"), ("errors", "errors"), ("role", "role"), ("kind", "kind")):
            table.add_column(label, key=key)
        super().on_mount()
        table.focus()

    # ------------------------------------------------------------------ redraw

    def sync(self, what: str = "all") -> None:
        super().sync(what)
        self.fill_table()
        self._compute_stats(self._stats_inputs())

    def _stats_inputs(self) -> list[tuple[str, list[float | None], int]]:
        out = []
        for e in self.session.rules:
            item = self.workbench.scores.by_rule.get(e.rule.name)
            if item is not None and e.status != "rejected":
                out.append((e.rule.name, item.scores, len(item.errors)))
        return out

    @work(thread=True, exclusive=True, group="rule-stats", exit_on_error=False)
    def _compute_stats(self, inputs: list[tuple[str, list[float | None], int]]) -> None:
        # AUC over 100,000 samples takes a moment per rule: off the event loop.
        worker = get_current_worker()
        if self.workbench.samples is None:
            return
        stats = {}
        for name, values, errors in inputs:
            if worker.is_cancelled:
                return
            stats[name] = self.workbench.summary(values, errors)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._stats_ready, stats)

    def _stats_ready(self, stats: dict[str, dict[str, Any]]) -> None:
        self.stats = stats
        self.fill_table()

    def fill_table(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        current = self.current_name()
        table.clear()
        for e in self.session.rules:
            r = e.rule
            s = self.stats.get(r.name, {})
            style = {"accepted": "bold", "rejected": "strike dim", "proposed": ""}[e.status]
            table.add_row(
                STATUS_MARK[e.status], Text(r.name, style=style), _num(s.get("auc")),
                _num(s.get("zero_spread"), pct=True), _num(s.get("mean")), f"{r.weight:g}",
                str(s.get("errors", "")) if s.get("errors") else "", r.role, r.kind, key=r.name,
            )
        names = self.session.names()
        if current in names:
            table.move_cursor(row=names.index(current), animate=False)
        self._summary()
        self.show_rule()

    def _summary(self) -> None:
        session = self.session
        accepted = session.accepted()
        text = Text()
        if not session.rules:
            text.append("No rules yet. Press p to propose rules from the samples.", style="italic")
        else:
            text.append(f"{len(accepted)} accepted · {sum(e.status == 'proposed' for e in session.rules)} to review · "
                        f"{sum(e.status == 'rejected' for e in session.rules)} rejected")
            if session.pins:
                text.append(f" · {len(session.pins)} pins")
        self.query_one("#rules-summary", Static).update(text)

    def current_name(self) -> str | None:
        table = self.query_one("#rules-table", DataTable)
        if not table.row_count:
            return None
        names = self.session.names()
        row = table.cursor_row
        return names[row] if 0 <= row < len(names) else None

    @on(DataTable.RowHighlighted, "#rules-table")
    def _highlighted(self) -> None:
        self.show_rule()

    def show_rule(self) -> None:
        name = self.current_name()
        card = self.query_one("#rule-card", Static)
        code = self.query_one("#rule-code", CodeView)
        if name is None:
            card.update("")
            code.show("")
            return
        entry = self.session.entry(name)
        rule = entry.rule
        kind = get_kind(rule.kind)
        s = self.stats.get(name, {})
        text = Text()
        text.append(f"{rule.name}", style="bold")
        text.append(f"  {entry.status}" + (f" · from {entry.origin}" if entry.origin else "") + "\n", style="italic")
        text.append(f"{rule.kind}: ", style="bold")
        text.append(f"{kind.summary}\n")
        text.append("role ", style="bold")
        text.append(f"{rule.role}   ")
        text.append("weight ", style="bold")
        text.append(f"{rule.weight:g}\n")
        if rule.rationale:
            text.append("why ", style="bold")
            text.append(f"{rule.rationale}\n")
        if s:
            text.append("on the samples ", style="bold")
            text.append(f"mean {_num(s.get('mean'))}, range {_num(s.get('min'))}…{_num(s.get('max'))}, "
                        f"AUC {_num(s.get('auc'))}, flat groups {_num(s.get('zero_spread'), pct=True)}, "
                        f"not applicable {s.get('nones', 0)}, errors {s.get('errors', 0)}\n")
        pins = [p for p in self.session.pins if p.rule == name]
        if pins:
            text.append("pins ", style="bold")
            text.append(", ".join(f"{p.sample}={_num(p.score)}" for p in pins) + "\n")
        text.append("params\n", style="bold")
        text.append(params_yaml(rule), style="dim")
        card.update(text)
        try:
            code.show(rule_source(rule, self.session.name))
        except RewardsmithError as exc:
            code.show(f"# cannot render: {exc}")

    # ------------------------------------------------------------------ actions

    def action_decide(self, status: str) -> None:
        name = self.current_name()
        if name is None:
            return
        if not self.session.decide([name], status):  # type: ignore[arg-type]
            return
        table = self.query_one("#rules-table", DataTable)
        row = table.cursor_row
        self.rs.session_changed(rules=True)
        # Straight on to the next rule: reviewing is a walk down the list.
        if status != "proposed" and row + 1 < table.row_count:
            table.move_cursor(row=row + 1, animate=False)

    def action_accept_all(self) -> None:
        proposed = [e.rule.name for e in self.session.rules if e.status == "proposed"]
        if self.session.decide(proposed, "accepted"):
            self.notify(f"accepted {len(proposed)} rules (u undoes)", timeout=3, markup=False)
            self.rs.session_changed(rules=True)

    def action_undo(self) -> None:
        restored = self.session.undo_decision()
        if not restored:
            self.notify("nothing to undo: no accept or reject since the workbench opened", timeout=3, markup=False)
            return
        names = self.session.names()
        self.rs.session_changed(rules=True)
        # Back to the rule the decision was on, so the next key acts on it again.
        self.query_one("#rules-table", DataTable).move_cursor(row=names.index(restored[0]), animate=False)
        status = self.session.entry(restored[0]).status
        what = restored[0] if len(restored) == 1 else f"{len(restored)} rules"
        self.notify(f"undone: {what} back to {status}", timeout=3, markup=False)

    def action_edit(self) -> None:
        name = self.current_name()
        if name is not None:
            self.app.push_screen(EditorScreen(name))

    @on(DataTable.RowSelected, "#rules-table")
    def _selected(self) -> None:
        self.action_edit()
