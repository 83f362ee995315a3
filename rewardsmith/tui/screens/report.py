"""The report: the core's checks (stats, separation, group signal), plots, and the diagnostics
(robustness, probes, GRPO advantages) when that package is installed.

Reports are built in a worker: at 100,000 samples the AUCs and thresholds take a moment.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...checks import Report
from ...fmt import fmt, pct
from ..widgets.plots import DistributionPlot, GroupSpreadPlot, ZeroSpreadPlot
from ..widgets.footer import WorkbenchFooter
from ..widgets.status import StatusLine
from .base import WorkbenchScreen

__all__ = ["ReportScreen", "diagnostics_available"]


def diagnostics_available() -> bool:
    try:
        return importlib.util.find_spec("rewardsmith.diagnostics") is not None
    except (ImportError, ValueError):
        return False


def _num(value: Any, share: bool = False) -> str:
    """Three significant figures, or a share as a percentage: the report's panes are narrow."""
    return pct(value, none="—") if share else fmt(value, style="significant", none="—")


def overview(report: Report, proposed: bool) -> RenderableType:
    """The report as rich tables: the same data `rewardsmith test` prints."""
    d = report.data
    parts: list[RenderableType] = []
    head = Text()
    if proposed:
        head.append("Nothing accepted yet: this is the report on the proposed rules.\n", style="italic")
    samples = d["samples"]
    head.append(f"{samples['count']:,} samples ({samples['good']} good, {samples['bad']} bad) · "
                f"{d['groups']['count']:,} groups, {d['groups']['multi']:,} with several completions\n")
    if samples["count"] and not d["groups"]["multi"]:
        head.append("No groups: one completion per prompt, so no GRPO group signal (it needs several "
                    "completions per prompt).\n", style="bold")
    parts.append(head)
    table = Table(title="Rules", title_justify="left", header_style="bold", expand=False)
    for col, right in (("rule", False), ("kind", False), ("role", False), ("weight", True), ("mean", True),
                       ("std", True), ("min", True), ("max", True), ("AUC", True), ("flat", True),
                       ("None", True), ("errors", True), ("µs/call", True)):
        table.add_column(col, justify="right" if right else "left")
    for r in d["rules"]:
        table.add_row(r["name"], r["kind"], r["role"], f"{r['weight']:g}", _num(r["mean"]), _num(r["std"]),
                      _num(r["min"]), _num(r["max"]), _num(r.get("auc")), _num(r.get("zero_spread_share"), True),
                      str(r["nones"]), str(r["errors"]), f"{r['us_per_call']:.1f}")
    parts.append(table)
    total = d["total"]
    groups = d["groups"]
    line = Text()
    line.append("Total ", style="bold")
    line.append(f"mean {_num(total.get('mean'))}, AUC {_num(total.get('auc'))}")
    if total.get("threshold") is not None:
        line.append(f", best threshold {_num(total['threshold'])}, misclassified "
                    f"{total.get('misclassified_count', len(total.get('misclassified', [])))}")
    if groups.get("zero_spread_share") is not None:
        line.append(f" · zero-spread groups {groups['zero_spread']} of {groups['multi']} "
                    f"({_num(groups['zero_spread_share'], True)})")
    parts.append(line)
    verifiers = [r for r in d["rules"] if "confusion" in r]
    if verifiers:
        vt = Table(title="Verifiers against the labels", title_justify="left", header_style="bold")
        for col in ("verifier", "accuracy", "tp", "fp", "tn", "fn"):
            vt.add_column(col)
        for r in verifiers:
            c = r["confusion"]
            vt.add_row(r["name"], _num(r.get("accuracy"), True), *(str(c[k]) for k in ("tp", "fp", "tn", "fn")))
        parts.append(vt)
    checks = Text()
    checks.append("\nChecks\n", style="bold")
    if not report.checks:
        checks.append("none configured (set expectations, or pin scores on samples)\n", style="dim")
    for c in report.checks:
        mark = "✓" if c.ok else ("✗" if c.severity == "error" else "!")
        checks.append(f"{mark} ", style="bold")
        checks.append(f"{c.message}\n", style="" if c.ok else "bold")
    checks.append("PASSED" if report.passed else "FAILED", style="bold reverse")
    parts.append(checks)
    return Group(*parts)


NO_GROUPS = ("This file has no groups: each prompt has one completion. GRPO learns from the spread of the "
             "rewards among several completions of the same prompt, so there is no group signal to measure here; "
             "sample several completions per prompt (num_generations) and give them a group column (--group-field).")


class ReportScreen(WorkbenchScreen):
    BINDINGS = [
        Binding("r", "rebuild", "Rebuild", id="report.rebuild", tooltip="Build the report again"),
        Binding("d", "diagnostics", "Diagnostics", id="report.diagnostics",
                tooltip="Run robustness, probes and GRPO advantage diagnostics"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.proposed = False

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="report-tabs"):
            with TabPane("Overview", id="tab-overview"):
                with VerticalScroll():
                    yield Static("", id="report-overview")
            with TabPane("Distributions", id="tab-distributions"):
                with Horizontal():
                    yield OptionList(id="report-rules")
                    yield DistributionPlot(id="report-distribution")
            with TabPane("Groups", id="tab-groups"):
                with Horizontal():
                    yield ZeroSpreadPlot(id="report-zero-spread")
                    yield GroupSpreadPlot(id="report-group-spread")
            with TabPane("Diagnostics", id="tab-diagnostics"):
                with VerticalScroll():
                    yield Static("", id="report-diagnostics")
        yield StatusLine()
        yield WorkbenchFooter()

    WATCH = (*WorkbenchScreen.WATCH, "report_version")

    def sync(self, what: str = "all") -> None:
        super().sync(what)
        self.action_rebuild(what)

    def action_rebuild(self, what: str = "all") -> None:
        wb = self.workbench
        spec, self.proposed = wb.report_spec()
        overview_widget = self.query_one("#report-overview", Static)
        if wb.samples is None:
            overview_widget.update(Text("loading the samples …", style="italic"))
            return
        if spec is None:
            overview_widget.update(Text("No rules yet: press p to propose some.", style="italic"))
            return
        if wb.scores.stale(spec.rules):
            overview_widget.update(Text("scoring … the report follows when every rule has its scores.", style="italic"))
            return
        ready = wb.ready_report
        if ready is not None and ready[0] == wb.report_key(spec):
            self._report_ready(ready[1])  # built in the background once the scores were in
        elif self.report is None or what != "report_version":
            overview_widget.update(Text("building the report …", style="italic"))
            self._build(spec, wb.scores.matrix(spec), wb.report_key(spec))
        if what != "report_version":
            self._plots()

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _build(self, spec: Any, matrix: Any, key: tuple) -> None:
        from ...checks import build_report

        worker = get_current_worker()
        if self.workbench.samples is None:
            return
        report = build_report(spec, self.workbench.report_samples(), matrix)
        self.workbench.ready_report = (key, report)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._report_ready, report)

    def _report_ready(self, report: Report) -> None:
        self.report = report
        self.query_one("#report-overview", Static).update(overview(report, self.proposed))

    # ------------------------------------------------------------------ plots

    def _plots(self) -> None:
        wb = self.workbench
        assert wb.samples is not None
        rules = self.session.live()
        options = self.query_one("#report-rules", OptionList)
        current = options.highlighted_option.id if options.highlighted_option is not None else None
        options.clear_options()
        names = [r.name for r in rules if r.name in wb.scores.by_rule]
        options.add_options([Option("total", id="__total__"), *[Option(n, id=n) for n in names]])
        ids = ["__total__", *names]
        options.highlighted = ids.index(current) if current in ids else 0
        self._show_distribution(ids[options.highlighted or 0])
        # Counted with numpy over the workbench's group layout: at 100,000 samples the plain loops
        # held the event loop for a quarter of a second.
        shares: dict[str, float] = {}
        for name, values in [*((n, wb.scores.by_rule[n].scores) for n in names), ("total", wb.total)]:
            share = wb.flat_share(values)
            if share is not None:
                shares[name] = share
        self.query_one(ZeroSpreadPlot).show(shares)
        self.query_one(GroupSpreadPlot).show(wb.group_spreads(wb.total))

    def _show_distribution(self, option_id: str) -> None:
        wb = self.workbench
        if wb.samples is None:
            return
        labels = [s.is_good for s in wb.samples.samples]
        if option_id == "__total__":
            title = "total" + (" (proposed rules)" if self.session.total_is_proposed() else "")
            values = wb.total
        else:
            title, values = option_id, wb.scores.get(option_id) or []
        self.query_one(DistributionPlot).show(f"{title}: scores by label", values, labels)

    @on(OptionList.OptionHighlighted, "#report-rules")
    def _rule_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show_distribution(event.option.id)

    # ------------------------------------------------------------------ diagnostics

    def action_diagnostics(self) -> None:
        target = self.query_one("#report-diagnostics", Static)
        self.query_one(TabbedContent).active = "tab-diagnostics"
        if not diagnostics_available():
            target.update(Text("The diagnostics package is not installed in this build.", style="italic"))
            return
        spec, _ = self.workbench.report_spec()
        if spec is None or self.workbench.scores.stale(spec.rules):
            target.update(Text("Score the rules first (they are scoring, or none exist).", style="italic"))
            return
        target.update(Text("running diagnostics: formatting variants, probes, GRPO advantages …", style="italic"))
        self._diagnose(spec, self.workbench.scores.matrix(spec))

    @work(thread=True, exclusive=True, group="diagnostics", exit_on_error=False)
    def _diagnose(self, spec: Any, matrix: Any) -> None:
        from ...diagnostics import diagnose

        samples = self.workbench.samples
        if samples is None:
            return
        try:
            result = diagnose(spec, samples, matrix)
        except Exception as exc:  # a diagnostics failure must not take the report down
            self.app.call_from_thread(self._diagnostics_ready, None, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._diagnostics_ready, result, None)

    def _diagnostics_ready(self, result: Any, error: str | None) -> None:
        target = self.query_one("#report-diagnostics", Static)
        if error is not None:
            target.update(Text(f"the diagnostics failed: {error}", style="bold"))
            return
        text = Text()
        # One completion per prompt: every "group" is one sample, so zero-spread shares and advantages
        # would read 1.00 and 0/0 — say what the file lacks instead.
        groupless = bool(self.workbench.groups) and all(len(idx) < 2 for idx in self.workbench.groups.values())
        for section in result.sections:
            text.append(f"{section['title']}\n", style="bold underline")
            if groupless and section["title"].startswith("GRPO signal"):
                text.append(NO_GROUPS + "\n\n")
                continue
            for line in section["lines"]:
                text.append(f"{line}\n")
            text.append("\n")
        failing = [c for c in result.checks if not c.ok and not (groupless and c.id.startswith("grpo"))]
        text.append(f"{len(failing)} findings", style="bold")
        text.append(f" ({sum(c.severity == 'error' for c in failing)} errors)\n")
        for c in failing:
            text.append(f"{'✗' if c.severity == 'error' else '!'} {c.message}\n")
        target.update(text)
