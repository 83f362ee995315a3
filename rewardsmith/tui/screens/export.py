"""Export: where it goes, what would change (a diff per file), then write — never silently over.

The plan (everything the export would write, tested on the samples) is computed in a worker
without touching the disk. Writing over files that differ, or exporting while a check fails,
asks first; a module edited by hand since its export asks again before it is replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, ProgressBar
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from ...errors import ExportError
from ...export import ExportResult, export_spec, plan_export, validation_summary
from ..widgets.code_view import CodeView
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from ..app import RewardsmithApp

__all__ = ["ExportScreen"]

REPLAN_DELAY = 0.6


class ExportScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 95%; height: 92%; background: $panel; border: thick $primary; padding: 0 1; }
    ExportScreen #export-path-row { height: auto; }
    ExportScreen #export-path-row Label { padding: 1 1 0 0; }
    ExportScreen #export-path { width: 1fr; }
    ExportScreen #export-summary { height: auto; margin: 1 0; }
    ExportScreen #export-main { height: 1fr; }
    ExportScreen #export-files { width: 36; height: 1fr; }
    ExportScreen #export-diff { width: 1fr; height: 1fr; }
    ExportScreen #export-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ExportScreen #export-buttons Button { margin-left: 1; }
    ExportScreen ProgressBar { display: none; }
    ExportScreen.-planning ProgressBar { display: block; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="export.close", tooltip="Close without writing"),
        # priority: the path input has focus, and its own keys (ctrl+w deletes a word) must not win
        Binding("ctrl+s", "write", "Write", id="export.write", tooltip="Write the export (asks before overwriting)",
                priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: ExportResult | None = None
        self._timer: Timer | None = None
        self._plan_worker: Worker[ExportResult | None] | None = None
        self._planned_for: Path | None = None
        self._write_when_planned = False  # Enter in the path field before its plan was ready

    @property
    def rs(self) -> RewardsmithApp:
        return cast("RewardsmithApp", self.app)

    def compose(self) -> ComposeResult:
        session = self.rs.session
        default = session.exported_path or str(Path("generated") / session.name)
        with Vertical():
            with Horizontal(id="export-path-row"):
                yield Label("Export to")
                yield Input(default, id="export-path")
            yield Label("", id="export-summary")
            yield ProgressBar(show_eta=False, id="export-progress")
            with Horizontal(id="export-main"):
                yield OptionList(id="export-files")
                yield CodeView("", "diff", id="export-diff")
            with Horizontal(id="export-buttons"):
                yield Button("Write", variant="primary", id="export-write", disabled=True)
                yield Button("Close", id="export-close")

    def on_mount(self) -> None:
        self.start_plan()

    def target(self) -> Path:
        return Path(self.query_one("#export-path", Input).value.strip() or ".").expanduser()

    # ------------------------------------------------------------------ planning

    def start_plan(self) -> None:
        spec = self.rs.session.spec()
        if spec is None:
            return
        if not self.query_one("#export-path", Input).value.strip():
            self.plan = None
            self.query_one("#export-write", Button).disabled = True
            self.query_one("#export-files", OptionList).clear_options()
            self.query_one("#export-summary", Label).update("give the folder to export to")
            return
        self.plan = None
        self._planned_for = self.target()
        self.add_class("-planning")
        self.query_one("#export-write", Button).disabled = True
        self.query_one("#export-summary", Label).update(f"testing {len(spec.rules)} rules on the samples …")
        self._plan_worker = self._plan(spec, self.target())

    @work(thread=True, exclusive=True, group="export-plan", exit_on_error=False)
    def _plan(self, spec: object, target: Path) -> ExportResult | None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._progress, done, total)

        result = plan_export(spec, target, self.rs.workbench.samples, progress=progress)  # type: ignore[arg-type]
        return None if worker.is_cancelled else result

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=total, progress=done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._plan_worker:
            return
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self.remove_class("-planning")
            self.show_plan(event.worker.result)
            if self._write_when_planned:
                self._write_when_planned = False
                self.action_write()
        elif event.state == WorkerState.ERROR:
            self._write_when_planned = False
            self.remove_class("-planning")
            self.query_one("#export-summary", Label).update(Text(f"cannot export: {event.worker.error}", style="bold"))

    def show_plan(self, plan: ExportResult) -> None:
        self.plan = plan
        files = self.query_one("#export-files", OptionList)
        files.clear_options()
        for name in plan.files:
            exists = (plan.out_dir / name).exists()
            state = ("changed" if exists else "new") if name in plan.changed else "unchanged"
            files.add_option(Option(f"{state:<9} {name}", id=name))
        summary = Text()
        summary.append(f"{plan.out_dir}/  ", style="bold")
        overwrite = self._overwrites()
        summary.append(self.change_summary() + "\n")
        if plan.report is not None:
            summary.append(validation_summary(plan.report))
            for check in plan.report.failures():
                summary.append(f"\n✗ {check.message}", style="bold")
        self.query_one("#export-summary", Label).update(summary)
        write = self.query_one("#export-write", Button)
        write.disabled = not plan.changed
        write.label = f"Overwrite {len(overwrite)} files" if overwrite else ("Write" if plan.changed else "Up to date")
        if plan.files:
            files.highlighted = 0

    def change_summary(self) -> str:
        """'4 new files', '1 changed, 1 new of 4 files', 'all 4 files up to date'."""
        plan = self.plan
        if plan is None:
            return ""
        changed = len(self._overwrites())
        new = len(plan.changed) - changed
        total = len(plan.files)
        if not plan.changed:
            return f"all {total} files up to date"
        if not changed:
            return f"{new} new file{'s' * (new != 1)}" + (f" of {total}" if new != total else "")
        parts = [f"{changed} changed (already on disk)"] + ([f"{new} new"] if new else [])
        return f"{', '.join(parts)} of {total} files"

    def _overwrites(self) -> list[str]:
        plan = self.plan
        return [] if plan is None else [n for n in plan.changed if (plan.out_dir / n).exists()]

    @on(OptionList.OptionHighlighted, "#export-files")
    def _file_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.plan is None or event.option.id is None:
            return
        name = event.option.id
        diff = self.plan.diff(name) if name in self.plan.changed else ""
        if not diff:
            diff = f"# {name}: unchanged"
        elif not (self.plan.out_dir / name).exists():
            diff = self.plan.files[name]  # a new file: show what will be written
        lexer = "python" if not (self.plan.out_dir / name).exists() and name.endswith(".py") else "diff"
        if len(diff) > 200_000:
            diff = diff[:200_000] + "\n… (cut here for display)"
        self.query_one("#export-diff", CodeView).show(diff, lexer)

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self) -> None:
        """Enter writes (or asks first, as the Write button does); a path still being planned writes once planned."""
        if self.plan is not None and self._planned_for == self.target():
            self.action_write()
            return
        if self._timer is not None:
            self._timer.stop()
        self._write_when_planned = True
        if self._planned_for != self.target() or self._plan_worker is None or not self._plan_worker.is_running:
            self.start_plan()

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        if self._planned_for == self.target():
            return  # the input reporting its first value, or an edit back to the planned path
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(REPLAN_DELAY, self.start_plan)

    # ------------------------------------------------------------------ writing

    @on(Button.Pressed, "#export-write")
    def action_write(self) -> None:
        plan = self.plan
        if plan is None or not plan.changed:
            return
        reasons = []
        overwrite = self._overwrites()
        if overwrite:
            reasons.append(f"{len(overwrite)} files in {plan.out_dir} will be replaced: {', '.join(overwrite)}")
        if plan.report is not None and not plan.report.passed:
            reasons.append(f"{len(plan.report.failures())} checks fail on the samples")
        if not reasons:
            self._write(force=False)
            return

        def answer(choice: str | None) -> None:
            if choice == "write":
                self._write(force=False)

        self.app.push_screen(ConfirmScreen("Write the export?", "\n".join(reasons) + ".",
                                           [("write", "Write", "warning"), ("cancel", "Cancel", "default")]), answer)

    def _write(self, force: bool) -> None:
        plan = self.plan
        spec = self.rs.session.spec()
        if plan is None or spec is None:
            return
        try:
            export_spec(spec, plan.out_dir, self.rs.workbench.samples, force=force, plan=plan)
        except ExportError as exc:
            def answer(choice: str | None) -> None:
                if choice == "force":
                    self._write(force=True)

            self.app.push_screen(ConfirmScreen("The module was edited by hand", f"{exc}",
                                               [("force", "Overwrite my edits", "error"), ("cancel", "Cancel", "default")]),
                                 answer)
            return
        except OSError as exc:
            self.notify(f"{exc}", title="Export failed", severity="error", timeout=15, markup=False)
            return
        self.rs.session.mark_exported(plan.out_dir)
        self.rs.schedule_save()
        self.notify(f"wrote {plan.out_dir}/ — run its tests with: pytest {plan.out_dir}", title="Exported", timeout=10, markup=False)
        self.dismiss()

    @on(Button.Pressed, "#export-close")
    def _close(self) -> None:
        self.dismiss()
