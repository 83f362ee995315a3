"""An audit in the workbench: reward functions rewardsmith did not write, as rules with their scores.

`rewardsmith tui --audit REWARDS.py SAMPLES` opens it once the samples have loaded. The audit runs
in the bench worker (the user's code never runs in the app's process), from a thread here. The
functions are shown as opaque rules (rewardsmith/kinds/opaque.py) with their numbers and their
scores per sample; the report and the diagnostics follow; `t` looks for the library rules that score
the same (`audit --to-spec`) and queues them for review on the Rules screen, to go on from there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from ..widgets.footer import WorkbenchFooter
from .report import overview

if TYPE_CHECKING:
    from ..app import RewardsmithApp

__all__ = ["AuditScreen", "SAMPLE_ROWS"]

SAMPLE_ROWS = 2000  # rows of the per-sample table; the numbers above cover every sample


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.3g}"


class AuditScreen(Screen[None]):
    BINDINGS = [
        Binding("t", "to_spec", "To spec", id="audit.to_spec",
                tooltip="Find library rules that score like these functions and review them on the Rules screen"),
        Binding("f", "tab('functions')", "Functions", show=False, id="audit.functions",
                tooltip="The functions and their scores per sample"),
        Binding("r", "tab('report')", "Report", show=False, id="audit.report", tooltip="The report `test` gives"),
        Binding("d", "tab('diagnostics')", "Diagnostics", show=False, id="audit.diagnostics",
                tooltip="Robustness, probes, GRPO signal, the TRL contract"),
        Binding("escape", "app.pop_screen", "Back", id="audit.back", tooltip="Back to the workbench"),
    ]

    def __init__(self, targets: list[str], functions: list[str] | None = None) -> None:
        super().__init__()
        self.targets = list(targets)
        self.functions = list(functions or [])
        self.result: Any = None
        self._worker: Worker[Any] | None = None

    @property
    def rs(self) -> RewardsmithApp:
        return cast("RewardsmithApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="audit-tabs"):
            with TabPane("Functions", id="tab-audit-functions"):
                yield Static(Text("auditing " + ", ".join(Path(t).name for t in self.targets) + " in the bench worker …",
                                  style="italic"), id="audit-status")
                yield DataTable(id="audit-functions", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="audit-scores", cursor_type="row", zebra_stripes=True)
            with TabPane("Report", id="tab-audit-report"):
                with VerticalScroll():
                    yield Static("", id="audit-report")
            with TabPane("Diagnostics", id="tab-audit-diagnostics"):
                with VerticalScroll():
                    yield Static("", id="audit-diagnostics")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.title = "rewardsmith · audit"
        self.sub_title = ", ".join(Path(t).name for t in self.targets)  # the folder is the user's to know
        self._worker = self._audit()

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def _audit(self) -> Any:
        from ...audit import audit

        samples = self.rs.workbench.samples
        if samples is None:
            raise ValueError("the samples are not loaded")
        return audit(self.targets, samples, functions=self.functions)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._worker:
            if event.state == WorkerState.SUCCESS:
                self.show(event.worker.result)
            elif event.state == WorkerState.ERROR:
                self.query_one("#audit-status", Static).update(Text(f"the audit failed: {event.worker.error}",
                                                                    style="bold"))
        elif event.worker.group == "audit-to-spec":
            if event.state == WorkerState.SUCCESS:
                self._to_spec_ready(*event.worker.result)
            elif event.state == WorkerState.ERROR:
                self.notify(str(event.worker.error), title="To spec failed", severity="error", markup=False)

    def show(self, result: Any) -> None:
        self.result = result
        report = result.report
        rules = {r["name"]: r for r in report.data["rules"]}
        functions = self.query_one("#audit-functions", DataTable)
        functions.clear(columns=True)
        for label in ("function", "kind", "weight", "mean", "AUC", "flat", "errors", "origin"):
            functions.add_column(label, key=label)
        for rule in result.spec.rules:
            r = rules.get(rule.name, {})
            functions.add_row(Text(rule.name), rule.kind, f"{rule.weight:g}", _num(r.get("mean")), _num(r.get("auc")),
                              "—" if r.get("zero_spread_share") is None else f"{100 * r['zero_spread_share']:.0f}%",
                              str(r.get("errors", "")), Text(Path(rule.params.origin).name), key=rule.name)
        matrix = result.matrix
        scores = self.query_one("#audit-scores", DataTable)
        scores.clear(columns=True)
        scores.add_column("id", key="id")
        scores.add_column("label", key="label")
        scores.add_column("total", key="total")
        for name in matrix.rules:
            scores.add_column(name, key=f"rule:{name}")
        total = matrix.total()
        for i, sample in enumerate(result.samples.samples[:SAMPLE_ROWS]):
            label = {True: "good", False: "bad", None: "—"}[sample.is_good]
            scores.add_row(Text(sample.id), label, _num(total[i]),
                           *[("error" if i in matrix.errors.get(n, {}) else _num(matrix.scores[n][i]))
                             for n in matrix.rules])
        failing = [c for c in report.checks if not c.ok]
        shown = min(len(result.samples), SAMPLE_ROWS)
        status = Text()
        status.append(f"{len(result.spec.rules)} functions on {len(result.samples):,} samples", style="bold")
        status.append(f" · {len(failing)} findings" + (f" · first {shown:,} samples below" if shown < len(result.samples)
                                                       else "") + " · t: library rules that score the same")
        self.query_one("#audit-status", Static).update(status)
        self.query_one("#audit-report", Static).update(overview(report, False))
        self.query_one("#audit-diagnostics", Static).update(self._diagnostics_text(result))

    @staticmethod
    def _diagnostics_text(result: Any) -> Group:
        text = Text()
        for section in result.diagnostics.sections:
            text.append(f"{section['title']}\n", style="bold underline")
            for line in section["lines"]:
                text.append(f"{line}\n")
            text.append("\n")
        failing = [c for c in result.report.checks if not c.ok]
        text.append(f"{len(failing)} findings\n", style="bold")
        for c in failing:
            text.append(f"{'✗' if c.severity == 'error' else '!'} {c.message}\n")
        return Group(text)

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = f"tab-audit-{name}"

    # ------------------------------------------------------------------ to spec

    def action_to_spec(self) -> None:
        if self.result is None:
            self.notify("the audit is still running", severity="warning", markup=False)
            return
        self.query_one("#audit-status", Static).update(Text("looking for library rules that score the same …",
                                                            style="italic"))
        self._to_spec(self.result)

    @work(thread=True, exclusive=True, group="audit-to-spec", exit_on_error=False)
    def _to_spec(self, result: Any) -> tuple[Any, list[Any]]:
        from ...audit.tospec import equivalents, spec_from_audit

        found = equivalents(result)
        return spec_from_audit(result, found), found

    def _to_spec_ready(self, spec: Any, found: list[Any]) -> None:
        missing = [e.function for e in found if e.rule is None]
        if spec is None:
            self.show(self.result)
            self.notify("no function has a library rule that scores like it on these samples", markup=False,
                        severity="warning", timeout=8)
            return
        added = self.rs.session.add_proposals(spec, "audit")
        self.rs.session_changed(rules=True)
        note = f"; no library rule for {', '.join(missing)}" if missing else ""
        self.notify(f"{len(added)} library rules score like the audited functions{note}: review them here",
                    title="From the audit", timeout=10, markup=False)
        self.app.pop_screen()
        self.rs.switch_mode("rules")
