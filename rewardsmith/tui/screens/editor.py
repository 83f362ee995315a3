"""Edit one rule: a form generated from its kind's params model, the rendered Python beside it,
and the rule re-scored on every sample after each valid edit (on the session's long-lived bench).

Edits are a draft until saved; escape leaves the rule as it was.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Header, Input, Label, Select, Static
from textual.worker import get_current_worker

from ...errors import RewardsmithError
from ...kinds import KINDS, form_conditions, get_kind
from ...spec import RewardSpec, Rule
from ...workbench.rulecode import rule_source
from ...workbench.scoring import RuleScores, rule_digest
from ..widgets.code_view import CodeView
from ..widgets.footer import WorkbenchFooter
from ..widgets.param_form import Conditional, ParamForm
from .base import WorkbenchScreen

__all__ = ["EditorScreen"]

PREVIEW_DELAY = 0.25  # seconds of quiet typing before the draft is re-scored

# Fields only one choice uses, hidden under the others so the form shows what matters now.
CONDITIONAL: Conditional = form_conditions()
ROLES = ("reward", "verifier", "metric")


def _num(value: Any, pct: bool = False) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.0f}%" if pct else f"{value:.3g}"


class EditorScreen(WorkbenchScreen):
    WATCH = ()  # the editor works on its own draft; the rest of the session is not redrawn here
    BINDINGS = [
        # priority: a focused input or text area must not swallow them (a text area's ctrl+y is redo)
        Binding("ctrl+s", "save(False)", "Save", id="editor.save", tooltip="Save the rule and go back", priority=True),
        Binding("ctrl+t", "save(True)", "Save & accept", id="editor.save_accept",
                tooltip="Save the rule, accept it into the spec, and go back", priority=True),
        Binding("escape", "cancel", "Cancel", id="editor.cancel", tooltip="Leave the rule as it was"),
    ]

    def __init__(self, rule_name: str) -> None:
        super().__init__()
        self.original_name = rule_name
        self.original: Rule  # read from the session in compose(), when the app is at hand
        self.draft: Rule | None = None
        self.preview: RuleScores | None = None  # the draft's scores, once computed
        self._summary: dict[str, Any] = {}
        self._saved_summary: dict[str, Any] | None = None
        self._changed: list[int] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        rule = self.session.entry(self.original_name).rule
        self.original = rule
        yield Header()
        with Horizontal(id="editor-body"):
            with VerticalScroll(id="editor-form"):
                with Horizontal(classes="field-row"):
                    yield Label("name", classes="field-name")
                    yield Input(rule.name, id="rule-name", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("kind", classes="field-name")
                    yield Select([(f"{k} — {cls.summary}", k) for k, cls in KINDS.items()], value=rule.kind,
                                 allow_blank=False, id="rule-kind", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("role", classes="field-name")
                    yield Select([(r, r) for r in ROLES], value=rule.role, allow_blank=False, id="rule-role",
                                 compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("weight", classes="field-name")
                    yield Input(f"{rule.weight:g}", id="rule-weight", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("rationale", classes="field-name")
                    yield Input(rule.rationale, id="rule-rationale", compact=True)
                yield Label("", id="rule-errors")
                yield Label("params", id="params-title")
                yield ParamForm(get_kind(rule.kind).Params, rule.params, conditional=CONDITIONAL, id="param-form")
                with Horizontal(id="editor-buttons"):
                    yield Button("Save", variant="primary", id="editor-save")
                    yield Button("Save & accept", variant="success", id="editor-save-accept")
                    yield Button("Cancel", id="editor-cancel")
            with Vertical(id="editor-side"):
                yield CodeView(id="editor-code")
                yield Static(id="editor-scores")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.title = f"rewardsmith · editing {self.original_name}"
        self.update_draft()
        self.query_one("#param-form", ParamForm).focus_first()

    def refresh_title(self) -> None:
        self.sub_title = "changes are a draft until saved (ctrl+s)"

    # ------------------------------------------------------------------ the draft

    def _weight(self) -> float | None:
        try:
            return float(self.query_one("#rule-weight", Input).value)
        except ValueError:
            return None

    def update_draft(self) -> None:
        """Rebuild the draft from the form; on success show its code and schedule a re-score."""
        form = self.query_one("#param-form", ParamForm)
        errors: list[str] = []
        weight = self._weight()
        if weight is None:
            errors.append("weight: a number")
        name = self.query_one("#rule-name", Input).value.strip()
        if name != self.original_name and name in self.session.names():
            errors.append(f"name: another rule is already called {name!r}")
        draft = None
        if form.params is not None and not errors:
            try:
                draft = Rule(
                    name=name,
                    kind=str(self.query_one("#rule-kind", Select).value),
                    role=str(self.query_one("#rule-role", Select).value),  # type: ignore[arg-type]
                    weight=weight,
                    params=form.params,
                    rationale=self.query_one("#rule-rationale", Input).value,
                    provenance=dict(self.original.provenance),
                )
            except ValidationError as exc:
                errors += [f"{'.'.join(map(str, e['loc'])) or 'rule'}: {e['msg'].removeprefix('Value error, ')}"
                           for e in exc.errors()]
        elif form.params is None:
            errors.append("fix the params below")
        self.query_one("#rule-errors", Label).update(Text("\n".join(errors)))
        self.query_one("#rule-errors", Label).set_class(bool(errors), "-shown")
        self.draft = draft
        self.query_one("#editor-save", Button).disabled = draft is None
        self.query_one("#editor-save-accept", Button).disabled = draft is None
        if draft is None:
            return
        try:
            self.query_one("#editor-code", CodeView).show(rule_source(draft, self.session.name))
        except RewardsmithError as exc:
            self.query_one("#editor-code", CodeView).show(f"# cannot render: {exc}")
            self.draft = None
            return
        digest = rule_digest(draft)
        if self.preview is not None and self.preview.digest == digest:
            self._show_preview()  # only the name, weight, role or rationale changed: the scores stand
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, self._start_preview)

    def _start_preview(self) -> None:
        draft = self.draft
        if draft is None or self.workbench.samples is None:
            return
        rules = []
        placed = False
        for e in self.session.rules:
            if e.rule.name == self.original_name:
                rules.append(draft)
                placed = True
            elif e.status != "rejected":
                rules.append(e.rule)
        if not placed:
            rules.append(draft)
        spec = RewardSpec(name=self.session.name, rules=rules)
        saved = self.workbench.scores.by_rule.get(self.original_name)
        self.query_one("#editor-scores", Static).update(Text("re-scoring …", style="italic"))
        self._preview(spec, draft, len(self.workbench.samples), saved, self._saved_summary)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _preview(self, spec: RewardSpec, draft: Rule, count: int, saved: RuleScores | None,
                 saved_summary: dict[str, Any] | None) -> None:
        """Score the draft (unless its params are the saved ones) and summarise it, off the event loop.

        At 100,000 samples the AUC and flat-group counts take longer than the scoring itself.
        """
        worker = get_current_worker()
        wb = self.workbench
        if saved is not None and saved.digest == rule_digest(draft):
            scores = saved
        else:
            try:
                results = self.rs.scorer.score(spec, [draft.name], cancelled=lambda: worker.is_cancelled, count=count)
            except RewardsmithError as exc:
                self.app.call_from_thread(self._preview_failed, str(exc))
                return
            if draft.name not in results or worker.is_cancelled:
                return
            scores = results[draft.name]
        summary = wb.summary(scores.scores, len(scores.errors))
        if saved is not None and saved_summary is None:
            saved_summary = wb.summary(saved.scores, len(saved.errors))
        changed = [] if saved is None else [i for i, (a, b) in enumerate(zip(saved.scores, scores.scores)) if a != b]
        if not worker.is_cancelled:
            self.app.call_from_thread(self._preview_ready, scores, summary, saved_summary, changed)

    def _preview_failed(self, error: str) -> None:
        self.query_one("#editor-scores", Static).update(Text(f"scoring failed: {error}", style="bold"))

    def _preview_ready(self, scores: RuleScores, summary: dict[str, Any], saved_summary: dict[str, Any] | None,
                       changed: list[int]) -> None:
        if self.draft is None or rule_digest(self.draft) != scores.digest:
            return  # typed on since: a newer preview is coming
        self.preview = scores
        self._summary = summary
        self._saved_summary = saved_summary
        self._changed = changed
        self._show_preview()

    def _show_preview(self) -> None:
        scores = self.preview
        assert scores is not None
        wb = self.workbench
        now, before, changed = self._summary, self._saved_summary or {}, self._changed
        saved_item = wb.scores.by_rule.get(self.original_name)
        text = Text()
        text.append("Scores on all samples", style="bold")
        text.append(f"  ({len(scores.scores):,} samples)\n", style="dim")
        for key, label, pct in (("mean", "mean", False), ("auc", "AUC", False), ("zero_spread", "flat groups", True),
                                ("errors", "errors", False)):
            text.append(f"{label} ", style="bold")
            text.append(_num(now.get(key), pct))
            if before:
                text.append(f" (saved {_num(before.get(key), pct)})", style="dim")
            text.append("   ")
        text.append("\n")
        if saved_item is not None:
            text.append(f"changed on {len(changed):,} of {len(scores.scores):,} samples\n", style="bold")
        table = Table(box=None, pad_edge=False, show_header=bool(changed))
        table.add_column("sample")
        table.add_column("label")
        table.add_column("saved", justify="right")
        table.add_column("draft", justify="right")
        for i in changed[:12]:
            s = wb.sample(i)
            table.add_row(s.id, {True: "good", False: "bad", None: "—"}[s.is_good],
                          _num(saved_item.scores[i] if saved_item else None), _num(scores.scores[i]))
        if scores.errors:
            i, message = next(iter(sorted(scores.errors.items())))
            text.append(f"first error on {wb.sample(i).id}: {message}\n", style="bold reverse")
        self.query_one("#editor-scores", Static).update(Group(text, table))

    # ------------------------------------------------------------------ events

    @on(ParamForm.Changed)
    def _params_changed(self) -> None:
        self.update_draft()

    @on(Input.Changed, "#rule-name, #rule-weight, #rule-rationale")
    def _rule_field_changed(self) -> None:
        if self.is_mounted:
            self.update_draft()

    @on(Select.Changed, "#rule-role")
    def _role_changed(self, event: Select.Changed) -> None:
        if event.value == "metric":
            self.query_one("#rule-weight", Input).value = "0"  # a metric's weight must be 0
        self.update_draft()

    @on(Select.Changed, "#rule-kind")
    async def _kind_changed(self, event: Select.Changed) -> None:
        old = self.query_one("#param-form", ParamForm)
        if old.model is get_kind(str(event.value)).Params:
            return
        initial = self.original.params if event.value == self.original.kind else None
        await old.remove()
        form = ParamForm(get_kind(str(event.value)).Params, initial, conditional=CONDITIONAL, id="param-form")
        await self.query_one("#editor-form").mount(form, before=self.query_one("#editor-buttons"))
        self.preview = None
        self.update_draft()

    @on(Button.Pressed, "#editor-save")
    def _save_button(self) -> None:
        self.action_save(False)

    @on(Button.Pressed, "#editor-save-accept")
    def _save_accept_button(self) -> None:
        self.action_save(True)

    @on(Button.Pressed, "#editor-cancel")
    def _cancel_button(self) -> None:
        self.action_cancel()

    def action_save(self, accept: bool) -> None:
        draft = self.draft
        if draft is None:
            self.notify("the rule is not valid yet: see the messages in the form", severity="warning", markup=False)
            return
        self.session.replace_rule(self.original_name, draft)
        if accept:
            self.session.set_status(draft.name, "accepted")
        if self.preview is not None and self.preview.digest == rule_digest(draft):
            self.rs.apply_scores({draft.name: self.preview})  # already scored: no second run
        self.rs.session_changed(rules=True)
        self.notify(f"saved {draft.name}" + (" and accepted it" if accept else ""), timeout=3, markup=False)
        self.dismiss()

    def action_cancel(self) -> None:
        self.dismiss()
