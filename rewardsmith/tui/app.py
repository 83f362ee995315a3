"""The workbench app: modes, global keys, actions, autosave. Screens own their own logic; the
workers that load and score live in `jobs.py`.

`make_app()` builds it for the CLI and the tests alike; `run()` is what `rewardsmith` calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.timer import Timer

from ..demo import demo_path
from .commands import WorkbenchCommands
from .jobs import Opening, WorkbenchJobs, took
from .messages import ProposalsReady
from ..workbench.scoring import Scorer
from .screens.audit import AuditScreen
from .screens.confirm import ConfirmScreen
from .screens.export import ExportScreen
from .screens.help import HelpScreen
from .screens.open import OpenScreen
from .screens.propose import ProposeScreen
from .screens.report import ReportScreen
from .screens.rules import RulesScreen
from .screens.samples import SamplesScreen
from ..workbench.state import default_home
from ..workbench.workbench import Workbench, open_session

__all__ = ["RewardsmithApp", "make_app", "run"]

AUTOSAVE_DELAY = 0.5  # seconds of quiet before the workspace is written
REPORT_DELAY = 0.5  # seconds of quiet after a label or pin before the report is built ahead


SCREENS = Binding.Group("screens")  # one footer entry: `1 2 3 screens`


class RewardsmithApp(WorkbenchJobs, App[None]):
    CSS_PATH = "rewardsmith.tcss"
    TITLE = "rewardsmith"
    DEFAULT_MODE = "samples"
    MODES = {"samples": SamplesScreen, "rules": RulesScreen, "report": ReportScreen}
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # Classes on the screen by width: rewardsmith.tcss narrows the side panes under 140 columns.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    # Propose, Export and Open first: the footer cuts what does not fit, and these are the workflow.
    BINDINGS = [
        Binding("p", "propose", "Propose", id="app.propose", tooltip="Propose rules from the samples"),
        Binding("e", "export", "Export", id="app.export", tooltip="Export the spec as a TRL-ready module"),
        Binding("o", "open", "Open", id="app.open", tooltip="Open another samples file or a demo set"),
        Binding("1", "switch_mode('samples')", "Samples", id="app.samples", group=SCREENS, tooltip="The samples table and detail pane"),
        Binding("2", "switch_mode('rules')", "Rules", id="app.rules", group=SCREENS, tooltip="Review proposed rules: accept, reject, edit"),
        Binding("3", "switch_mode('report')", "Report", id="app.report", group=SCREENS, tooltip="Stats, separation, group signal, plots"),
        Binding("f1,question_mark", "help", "Keys", id="app.help", tooltip="Every key of every screen"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Quit (asks when the spec is not exported)", priority=True),
    ]

    # Screens watch these to know when to redraw: new samples, new scores or labels, changed rules.
    samples_version: reactive[int] = reactive(0, init=False)
    arrived_version: reactive[int] = reactive(0, init=False)  # more rows read while the file loads
    scores_version: reactive[int] = reactive(0, init=False)
    rules_version: reactive[int] = reactive(0, init=False)
    report_version: reactive[int] = reactive(0, init=False)  # a report was built ahead (workbench.ready_report)
    status: reactive[str] = reactive("")
    progress: reactive[tuple[float, float] | None] = reactive(None)

    def __init__(self, samples_path: str | Path | None = None, *, home: Path | None = None,
                 fields: dict[str, Any] | None = None, autosave: bool = True, time_limit: float = 2.0,
                 audit: list[str] | None = None) -> None:
        super().__init__()
        self._audit_targets = list(audit or [])  # opened as an audit once the samples are in
        self.home = home or default_home()
        self.autosave = autosave
        self.scorer = Scorer(time_limit=time_limit)
        session, self.workspace, problems = open_session(samples_path, self.home, fields)
        self.workbench = Workbench(session)
        self._problems = problems
        self._bench_ready = False
        self._status_before_open = ""
        self._save_timer: Timer | None = None
        self._report_timer: Timer | None = None
        self.load_seconds: float | None = None  # how long the last load took until the table had rows
        self.keymap_path = self.home / "keymap.json"
        self.keymap: dict[str, str] = {}

    def on_mount(self) -> None:
        self._load_keymap()
        for problem in self._problems:
            self.notify(problem, title="Workspace", severity="warning", timeout=10, markup=False)
        self.start_load()

    def _load_keymap(self) -> None:
        """Rebind keys from {binding id: keys} in the keymap file (posting's way of remapping)."""
        if not self.keymap_path.is_file():
            return
        try:
            keymap = json.loads(self.keymap_path.read_text(encoding="utf-8"))
            if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
                raise ValueError("expected {\"binding id\": \"keys\"}")
        except ValueError as exc:
            self.notify(f"{self.keymap_path}: {exc}", title="Keymap ignored", severity="warning", markup=False)
            return
        self.keymap = keymap
        self.set_keymap(keymap)

    # ------------------------------------------------------------------ session changes

    def session_changed(self, *, rules: bool = False, scores: bool = False) -> None:
        """Something in the session changed: redraw what depends on it, rescore, autosave."""
        if rules:
            self.workbench.refresh_derived()
            self.rules_version += 1
            self.request_scoring()
        if scores:
            self.scores_version += 1
            self._schedule_report()
        self.schedule_save()

    def _schedule_report(self) -> None:
        # Labels and pins come a key at a time: rebuild the report ahead once they pause.
        if self._report_timer is not None:
            self._report_timer.stop()
        self._report_timer = self.set_timer(REPORT_DELAY, self.prepare_report)

    def schedule_save(self) -> None:
        if not self.autosave:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(AUTOSAVE_DELAY, self.save_workspace)

    def save_workspace(self) -> None:
        self._save_timer = None
        try:
            self.session.save(self.workspace)
        except OSError as exc:
            self.notify(f"{self.workspace}: {exc.strerror}", title="Autosave failed", severity="error", markup=False)

    def action_save_workspace(self) -> None:
        self.save_workspace()
        self.notify(f"saved {self.workspace}", timeout=3, markup=False)

    @on(ProposalsReady)
    def _proposals_ready(self, message: ProposalsReady) -> None:
        added = self.session.add_proposals(message.spec, message.origin)
        self.notify(f"{len(added)} rules proposed ({message.origin}{took(message.seconds, ',')}); "
                    "review them on the Rules screen (2)",
                    title="Proposals ready", timeout=6, markup=False)
        self.session_changed(rules=True)

    # ------------------------------------------------------------------ actions

    def action_propose(self) -> None:
        if self.workbench.samples is None:
            self.notify("the samples are still loading", severity="warning", markup=False)
            return
        self.push_screen(ProposeScreen())

    def action_export(self) -> None:
        if self.session.spec() is None:
            self.notify("accept at least one rule before exporting (Rules screen, key 2)", severity="warning", markup=False)
            return
        self.push_screen(ExportScreen())

    def action_open(self) -> None:
        self.push_screen(OpenScreen(), self._open_result)

    def _open_result(self, result: tuple[str, dict[str, Any]] | None) -> None:
        if result is not None:
            self.open_samples(*result)

    def action_open_demo(self, name: str) -> None:
        self.open_samples(str(demo_path(name)), {})

    def open_samples(self, path: str, fields: dict[str, Any]) -> None:
        """Switch to another samples file once it has loaded; until then (and if it fails) nothing changes."""
        session, workspace, problems = open_session(path, self.home, fields or None)
        self.start_load(Opening(session, workspace, problems))

    def adopt(self, opening: Opening) -> None:
        """Make a freshly loaded file's session the current one (this one is saved first)."""
        self.save_workspace()
        self.workspace = opening.workspace
        for problem in opening.problems:
            self.notify(problem, title="Workspace", severity="warning", timeout=10, markup=False)
        self.workbench = Workbench(opening.session)
        self._bench_ready = False
        self.rules_version += 1

    def samples_ready(self) -> None:
        if self._audit_targets:
            targets, self._audit_targets = self._audit_targets, []
            self.push_screen(AuditScreen(targets))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        reason = self.session.unexported()
        if reason is None:
            self.save_workspace()
            self.exit()
            return

        def answer(choice: str | None) -> None:
            if choice == "quit":
                self.save_workspace()
                self.exit()
            elif choice == "export":
                self.action_export()

        self.push_screen(
            ConfirmScreen(
                "Quit with the spec not exported?",
                f"{reason[0].upper()}{reason[1:]}. The workspace keeps it, and it reopens next time, "
                "but nothing has been written for training yet.",
                [("export", "Export…", "primary"), ("quit", "Quit", "error"), ("cancel", "Cancel", "default")],
            ),
            answer,
        )

    def on_unmount(self) -> None:
        if self._save_timer is not None:
            self.save_workspace()
        self.scorer.close()


def make_app(samples_path: str | Path | None = None, **kwargs: Any) -> RewardsmithApp:
    """The app, for the CLI and the tests (which pass `home` so workspaces land in a temp folder)."""
    return RewardsmithApp(samples_path, **kwargs)


def run(samples_path: str | None = None, fields: dict[str, Any] | None = None, audit: list[str] | None = None) -> None:
    make_app(samples_path, fields=fields or None, audit=audit).run()
