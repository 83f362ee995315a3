"""The propose dialog: proposer, persona, which samples, extra instructions; runs in a worker.

The proposal arrives as a ProposalsReady message to the app, which queues the rules for review.
Cancel stops waiting at once; a proposer already running in its thread finishes on its own and
its result is dropped.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioButton, RadioSet, Select, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from ..messages import ProposalsReady
from ...workbench.proposing import LLM_INSTALL_HINT, llm_available, normal_persona, personas, public_api_base, run_proposer

if TYPE_CHECKING:
    from ..app import RewardsmithApp

__all__ = ["ProposeScreen"]


class ProposeScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ProposeScreen { align: center middle; }
    ProposeScreen > Vertical {
        width: 96; height: 90%; background: $panel; border: thick $primary; padding: 0 1;
    }
    ProposeScreen #propose-form { height: 1fr; }
    ProposeScreen #propose-llm-fields { height: auto; }
    ProposeScreen Label.field-name { color: $text-accent; margin-top: 1; }
    ProposeScreen .hint { color: $text-muted; width: 1fr; }
    ProposeScreen #propose-per-class-row .hint { width: auto; }
    ProposeScreen RadioSet { width: 1fr; }
    ProposeScreen #propose-instructions { height: 5; }
    ProposeScreen #propose-per-class-row { height: auto; }
    ProposeScreen #propose-per-class { width: 10; }
    ProposeScreen #propose-progress-row { height: auto; margin-top: 1; }
    ProposeScreen #propose-status { width: 1fr; }
    ProposeScreen #propose-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ProposeScreen #propose-buttons Button { margin-left: 1; }
    ProposeScreen ProgressBar { display: none; }
    ProposeScreen.-running ProgressBar { display: block; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="propose.cancel", tooltip="Cancel the running proposal, or close"),
        Binding("ctrl+r", "run", "Propose", id="propose.run", tooltip="Run the proposer", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._worker: Worker[None] | None = None
        self._cancel = threading.Event()
        self._api_base = ""

    @property
    def rs(self) -> RewardsmithApp:
        return cast("RewardsmithApp", self.app)

    def compose(self) -> ComposeResult:
        session = self.rs.session
        options = session.propose
        samples = self.rs.workbench.samples
        n = len(samples) if samples is not None else 0
        good = sum(1 for s in samples if s.is_good is True) if samples is not None else 0
        bad = sum(1 for s in samples if s.is_good is False) if samples is not None else 0
        marked = len(session.marked)
        has_llm = llm_available()
        with Vertical():
            with VerticalScroll(id="propose-form"):
                yield Label("Proposer", classes="field-name")
                with RadioSet(id="propose-proposer"):
                    yield RadioButton("offline: mine rules from the samples (no network)", id="proposer-offline",
                                      value=options.proposer != "llm" or not has_llm)
                    yield RadioButton("LLM: a model writes the spec" + ("" if has_llm else " (not installed)"),
                                      id="proposer-llm", value=options.proposer == "llm" and has_llm,
                                      disabled=not has_llm)
                if not has_llm:
                    # markup=False: the brackets of rewardsmith[llm] are text, not a style
                    yield Label(f"The LLM proposer needs litellm: {LLM_INSTALL_HINT}, then reopen this dialog.",
                                id="propose-llm-missing", classes="hint", markup=False)
                with Vertical(id="propose-llm-fields", disabled=not has_llm):
                    yield Label("Model", classes="field-name")
                    yield Input(options.model or os.environ.get("REWARDSMITH_MODEL", ""),
                                placeholder="provider/model, e.g. openai/gpt-4o-mini", id="propose-model", compact=True)
                    yield Label("API base", classes="field-name")
                    yield Input(options.api_base or os.environ.get("REWARDSMITH_API_BASE", ""),
                                placeholder="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 "
                                            "(empty: the provider's own)", id="propose-api-base", compact=True)
                    yield Label("The key is read from the provider's variable (OPENAI_API_KEY, …) or "
                                "$REWARDSMITH_API_KEY, never saved.", classes="hint")
                yield Label("Persona", classes="field-name")
                persona_options = personas()
                values = [v for _, v in persona_options]
                chosen = normal_persona(options.persona)
                yield Select(persona_options, value=chosen if chosen in values else values[0],
                             allow_blank=False, id="propose-persona", compact=True)
                yield Input(options.persona_file, placeholder="or your own persona file (.jinja / .md)",
                            id="propose-persona-file", compact=True)
                yield Label("Samples to send", classes="field-name")
                with RadioSet(id="propose-selection"):
                    yield RadioButton(f"selected: the {marked} marked samples" if marked else
                                      "selected: none marked (space marks rows), so all samples",
                                      id="selection-selected", value=options.selection == "selected")
                    yield RadioButton(f"balanced: up to N good and N bad ({good} good, {bad} bad here)",
                                      id="selection-balanced", value=options.selection == "balanced")
                    yield RadioButton(f"all: {n:,} samples", id="selection-all", value=options.selection == "all")
                with Horizontal(id="propose-per-class-row"):
                    yield Label("N per class ", classes="hint")
                    yield Input(str(options.per_class), id="propose-per-class", type="integer", compact=True)
                yield Label("Task", classes="field-name")
                yield Input(session.task, placeholder="what the model is asked to do, in plain words", id="propose-task",
                            compact=True)
                yield Label("Extra instructions", classes="field-name")
                yield TextArea(options.instructions, id="propose-instructions")
                yield Label("In plain words, e.g. “If the answer sounds too robotic, deduct 3 points.” "
                            "The offline proposer ignores persona and instructions.", classes="hint")
            with Horizontal(id="propose-progress-row"):
                yield Label("", id="propose-status")
                yield ProgressBar(total=None, show_eta=False, id="propose-progress")
            with Horizontal(id="propose-buttons"):
                yield Button("Propose", variant="primary", id="propose-run")
                yield Button("Cancel", id="propose-cancel")

    def on_mount(self) -> None:
        self.query_one("#propose-run", Button).focus()

    def _radio(self, set_id: str, prefix: str) -> str:
        pressed = self.query_one(f"#{set_id}", RadioSet).pressed_button
        return (pressed.id or "").removeprefix(prefix) if pressed is not None else ""

    def _save_options(self) -> None:
        options = self.rs.session.propose
        options.proposer = self._radio("propose-proposer", "proposer-") or "offline"
        options.model = self.query_one("#propose-model", Input).value.strip()
        api_base = self.query_one("#propose-api-base", Input).value.strip()
        self._api_base = api_base  # as typed, for this run; the workspace gets it without credentials
        options.api_base = public_api_base(api_base)
        options.persona = str(self.query_one("#propose-persona", Select).value)
        options.persona_file = self.query_one("#propose-persona-file", Input).value.strip()
        options.selection = self._radio("propose-selection", "selection-") or "balanced"
        try:
            options.per_class = max(1, int(self.query_one("#propose-per-class", Input).value))
        except ValueError:
            pass
        options.instructions = self.query_one("#propose-instructions", TextArea).text
        self.rs.session.task = self.query_one("#propose-task", Input).value.strip()
        self.rs.schedule_save()

    @on(Button.Pressed, "#propose-run")
    def action_run(self) -> None:
        if self._worker is not None and self._worker.is_running:
            return
        self._save_options()
        options = self.rs.session.propose
        subset = self.rs.workbench.propose_subset(options.selection, options.per_class)
        self.add_class("-running")
        self.query_one("#propose-run", Button).disabled = True
        self.query_one("#propose-status", Label).update(
            Text(f"proposing from {len(subset):,} samples with the {options.proposer} proposer …"))
        self._cancel = threading.Event()
        self._worker = self._propose(subset, self._cancel)

    @work(thread=True, exclusive=True, group="propose", exit_on_error=False)
    def _propose(self, subset: object, cancel: threading.Event) -> None:
        worker = get_current_worker()
        options = self.rs.session.propose
        began = time.perf_counter()

        def progress(*args: object, **kwargs: object) -> None:
            # Proposers report whatever they have (a step name, a count): show it as it comes.
            text = " ".join(str(a) for a in args) or " ".join(f"{k} {v}" for k, v in kwargs.items())
            if not worker.is_cancelled:
                self.app.call_from_thread(self._progress_text, text)

        spec, origin = run_proposer(
            subset,  # type: ignore[arg-type]
            proposer=options.proposer,
            name=self.rs.session.name,
            task=self.rs.session.task,
            model=options.model,
            api_base=self._api_base,
            persona=options.persona,
            persona_file=options.persona_file,
            instructions=options.instructions,
            progress=progress,
            cancel=cancel,
        )
        if not worker.is_cancelled:
            self.app.post_message(ProposalsReady(spec, origin, time.perf_counter() - began))

    def _progress_text(self, text: str) -> None:
        if self._worker is not None:
            self.query_one("#propose-status", Label).update(Text(text))  # text: a proposer's words, not markup

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker:
            return
        if event.state == WorkerState.SUCCESS:
            self.dismiss()
        elif event.state == WorkerState.ERROR:
            self.remove_class("-running")
            self.query_one("#propose-run", Button).disabled = False
            error = event.worker.error
            self.query_one("#propose-status", Label).update(Text(f"failed: {error}"))
            self.notify(str(error), title="Proposing failed", severity="error", timeout=15, markup=False)

    @on(Button.Pressed, "#propose-cancel")
    def action_cancel(self) -> None:
        if self._worker is not None and self._worker.is_running:
            self._cancel.set()  # a proposer that can stop (the LLM one) stops its request now
            self._worker.cancel()
            self._worker = None
            self.remove_class("-running")
            self.query_one("#propose-run", Button).disabled = False
            self.query_one("#propose-status", Label).update("cancelled")
            return
        self.dismiss()
