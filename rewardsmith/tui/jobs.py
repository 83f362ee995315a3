"""The app's long jobs: loading the samples, starting the bench, scoring rules — all in workers.

A mixin of the app, so the workers belong to it (they outlive any screen) while app.py stays a
list of modes, keys and actions. Results come back as messages or through `call_from_thread`;
no widget is touched from a thread.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import get_current_worker

from ..errors import RewardsmithError
from ..samples import Sample, SampleSet, iter_samples
from .messages import LoadFailed, LoadProgress, SamplesLoaded, ScoresReady, ScoringFailed, ScoringProgress
from ..render import render_module
from ..workbench.scorecache import cache_path, load_scores, module_hash, save_scores
from ..workbench.scoring import file_identity
from ..workbench.workbench import field_map

if TYPE_CHECKING:
    from textual.app import App

    from ..workbench.scoring import Scorer
    from ..workbench.state import Session
    from ..workbench.workbench import Workbench

    _Base = App[None]
else:
    _Base = object

__all__ = ["Opening", "WorkbenchJobs", "count_lines", "took"]


@dataclass
class Opening:
    """Another file's session, adopted only once its samples have loaded (a failed Open changes nothing)."""

    session: Session
    workspace: Path
    problems: list[str]


def count_lines(path: str | Path) -> int | None:
    """Lines of a JSONL file (a fraction of a second for hundreds of MB): the load bar's total."""
    if Path(path).suffix.lower() not in (".jsonl", ".ndjson"):
        return None
    try:
        with open(path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) or None
    except OSError:
        return None


ARRIVED_EVERY = 1.0  # seconds between growths of the table while the file loads

# Off in snapshot tests: how long a load took depends on the machine, not on the screen.
SHOW_TIMES = True


def took(seconds: float, sep: str = " in") -> str:
    """" in 2.4 s" for what a user waits for; nothing for the instant (it would only be noise)."""
    return f"{sep} {seconds:.1f} s" if SHOW_TIMES and seconds >= 1.0 else ""


def _read_samples(path: str, fields: Any, into: list[Sample], progress: Any) -> SampleSet:
    """`load_samples(path, fields)` appending to `into` as it reads, so the rows can be shown early."""
    dropped: dict[str, str] = {}
    for sample in iter_samples(path, fields, dropped=dropped):
        into.append(sample)
        if len(into) % 256 == 0:
            progress(len(into))
    progress(len(into))
    samples = SampleSet(into, Path(path), fields, dropped)
    samples.whole_file = True
    return samples


class WorkbenchJobs(_Base):
    """Loading and scoring for RewardsmithApp (which defines the reactives these set)."""

    workbench: Workbench
    scorer: Scorer
    load_seconds: float | None
    _bench_ready: bool
    _status_before_open: str
    home: Path
    autosave: bool
    _arrived_at = 0.0  # when the table last grew while loading

    @property
    def session(self) -> Session:
        return self.workbench.session

    # ------------------------------------------------------------------ loading

    def start_load(self, opening: Opening | None = None) -> None:
        """Load the session's samples, or those of `opening`, which replaces the session only if they load."""
        session = self.session if opening is None else opening.session
        if opening is None:
            self._bench_ready = False
        self._status_before_open = self.status
        self.status = f"loading {Path(session.samples_path).name} …"
        self.progress = None  # the first progress report brings the bar (an idle bar animation costs the loader time)
        self._load(session.samples_path, dict(session.fields), opening)
        self._warm(session.samples_path if opening is None else None, dict(session.fields))

    @work(thread=True, group="warm", exit_on_error=False)
    def _warm(self, path: str | None, fields: dict[str, Any]) -> None:
        # The bench workers start while the file loads, instead of after it, and read the file
        # themselves meanwhile (on the other core): nothing is pickled to them afterwards. Not for
        # a file being opened: until it has loaded, the workers keep the current samples.
        if path is None:
            self.scorer.warm()
            return
        self._read_cache(path, fields)
        self.scorer.warm()
        try:
            mapping = field_map(fields)
            first = next(iter(iter_samples(path, mapping)), None)
        except (RewardsmithError, OSError, TypeError, ValueError):
            return  # the loader reports what is wrong with the file
        # The workers' reading takes the other core, and the first rows are what the user waits for:
        # it starts once they are in the table (or the file has loaded).
        deadline = time.perf_counter() + 60
        while not (self.workbench.arrived_count or self.workbench.samples is not None) and time.perf_counter() < deadline:
            time.sleep(0.05)
        if first is not None and path == self.session.samples_path:
            # The reference columns are resolved on the first record; `set_samples` checks them against the whole file.
            self.scorer.read_file(path, mapping, sorted(first.refs))

    def _read_cache(self, path: str, fields: dict[str, Any]) -> None:
        """Scores saved the last time this very file was open with this very module: shown at once."""
        spec = self.session.live_spec()
        if spec is None:
            return
        try:
            module = module_hash(render_module(spec))
        except RewardsmithError:
            return
        found = load_scores(cache_path(path, self.home), file_identity(path), fields, module)
        if found:
            self.call_from_thread(self._cache_found, path, found)

    def _cache_found(self, path: str, found: dict[str, Any]) -> None:
        wb = self.workbench
        if path != self.session.samples_path or not wb.preload(found):
            return  # another file was opened meanwhile, or a rule changed
        if wb.samples is None:
            self.status = f"scores of {len(found)} rules from the last session; loading …"
            self.arrived_version += 1
        elif wb.adopt_cached():  # the file loaded first (a small one): its rules may still be scoring
            self.scores_version += 1

    @work(thread=True, exclusive=True, group="save-scores", exit_on_error=False)
    def _save_cache(self, path: str, identity: tuple, fields: dict[str, Any], spec: Any,
                    scores: dict[str, Any]) -> None:
        try:
            save_scores(cache_path(path, self.home), identity, fields, module_hash(render_module(spec)), scores)
        except (RewardsmithError, OSError):
            pass  # a cache that cannot be written only costs the next reopen a re-score

    def save_scores_cache(self) -> None:
        """Keep the scores of every live rule on disk once they are all current (see workbench.scorecache)."""
        wb = self.workbench
        spec = self.session.live_spec()
        if (spec is None or wb.samples is None or not wb.samples.whole_file or wb.file_identity is None
                or wb.stale_rules() or not self.autosave):
            return
        scores = {r.name: wb.scores.by_rule[r.name] for r in spec.rules}
        self._save_cache(self.session.samples_path, wb.file_identity, dict(self.session.fields), spec, scores)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, path: str, fields: dict[str, Any], opening: Opening | None = None) -> None:
        worker = get_current_worker()
        began = time.perf_counter()
        last = 0.0
        rows = count_lines(path)
        identity = file_identity(path)  # before reading: a file changed meanwhile gets no cached scores

        # The samples read so far, shown in the table while the rest loads: the worker only appends
        # to this list and each message says how far to read it, so the event loop never sees a
        # half-built row.
        arrived: list[Sample] = []

        def progress(count: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last > 0.1:  # a message per tenth of a second, not per sample
                last = now
                self.post_message(LoadProgress(count, rows, arrived if opening is None else None))

        gc.unfreeze()  # the previous file's samples may be collected again
        # 100,000 samples are millions of long-lived objects and no garbage: collections while
        # loading only walk them again and again. Afterwards they are frozen out of the GC, or every
        # full collection the UI's allocations trigger would walk them all (seconds of stalls).
        gc.disable()
        try:
            samples = _read_samples(path, field_map(fields), arrived, progress)
        except (RewardsmithError, OSError, TypeError) as exc:
            self.post_message(LoadFailed(str(exc), opening))
            return
        finally:
            gc.enable()
        gc.freeze()
        groups = samples.groups()
        if worker.is_cancelled:
            return
        # Wait until the table has the samples before sending them to the bench: pickling 100,000
        # samples holds the GIL for seconds, and the rows should be on screen first.
        self.call_from_thread(self._samples_loaded,
                              SamplesLoaded(samples, time.perf_counter() - began, groups, opening,
                                                          identity))
        self.scorer.set_samples(samples)
        if not worker.is_cancelled:
            self.call_from_thread(self._on_bench_ready)
            self.workbench.index_for_search(samples)

    @work(thread=True, exclusive=True, group="prepare-report", exit_on_error=False)
    def _prepare_report(self, workbench: Workbench, spec: Any, matrix: Any, key: tuple) -> None:
        from ..checks import build_report

        worker = get_current_worker()
        if workbench.samples is None:
            return
        report = build_report(spec, workbench.report_samples(), matrix)
        if not worker.is_cancelled:
            self.call_from_thread(self._report_prepared, workbench, key, report)

    def _report_prepared(self, workbench: Workbench, key: tuple, report: Any) -> None:
        spec, _ = workbench.report_spec()
        if spec is not None and workbench.report_key(spec) == key:  # nothing changed while it was built
            workbench.ready_report = (key, report)
            self.report_version += 1

    def on_load_progress(self, message: LoadProgress) -> None:
        self.status = f"loading … {message.count:,} samples"
        if message.arrived is not None and self.workbench.samples is None:
            now = time.perf_counter()
            # The first rows at once, then more once a second: each growth re-lays out the screen,
            # and ten a second made every key wait seconds for a frame while the file loads.
            if not self.workbench.arrived_count or now - self._arrived_at >= ARRIVED_EVERY:
                self._arrived_at = now
                self.workbench.arriving(message.arrived, message.count)
                self.arrived_version += 1
        # With the file's line count the bar shows real progress; without, it pulses.
        self.progress = (min(message.count, message.rows), message.rows) if message.rows else (message.count, 0)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.progress = None
        if message.opening is not None:
            # The file being opened is dropped; the session, its samples and its workspace stay as they were.
            self.status = self._status_before_open
            self.notify(f"{message.error}\nThe current samples stay open.", title="Could not open the samples",
                        severity="error", timeout=30, markup=False)
            return
        self.status = "loading failed"
        self.notify(message.error, title="Could not load the samples", severity="error", timeout=30, markup=False)

    def _samples_loaded(self, message: SamplesLoaded) -> None:
        if message.opening is not None:
            self.adopt(message.opening)
        self.workbench.attach(message.samples, message.groups, message.identity)
        self.load_seconds = message.seconds
        self.status = f"{len(message.samples):,} samples loaded{took(message.seconds)}"
        self.progress = None
        self.samples_version += 1
        if self.session.view.screen in self.MODES and self.session.view.screen != self.current_mode:
            self.switch_mode(self.session.view.screen)
        self.samples_ready()

    def samples_ready(self) -> None:
        """The samples of a load are in (the app opens a pending audit here)."""

    def _on_bench_ready(self) -> None:
        self._bench_ready = True
        self.request_scoring()

    # ------------------------------------------------------------------ scoring

    def request_scoring(self) -> None:
        """Score every live rule whose scores are missing or out of date, in a worker."""
        spec = self.session.live_spec()
        if not self._bench_ready or spec is None or self.workbench.samples is None:
            return
        stale = [r.name for r in self.workbench.stale_rules()]
        if stale:
            self.status = f"scoring {', '.join(stale)} …"
            self._score(spec, stale, self.workbench.samples)
        elif self.workbench.from_cache:
            # Shown from the cache: scored again in the background, in case a rule is not deterministic
            # or the file changed within its timestamp's resolution.
            recheck = [r.name for r in spec.rules if r.name in self.workbench.from_cache]
            self.workbench.from_cache.clear()
            if recheck:
                self._score(spec, recheck, self.workbench.samples)

    @work(thread=True, exclusive=True, group="score", exit_on_error=False)
    def _score(self, spec: Any, names: list[str], samples: Any) -> None:
        worker = get_current_worker()
        began = time.perf_counter()
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last > 0.1:
                last = now
                self.post_message(ScoringProgress(done, total))

        try:
            results = self.scorer.score(spec, names, progress=progress, cancelled=lambda: worker.is_cancelled,
                                        count=len(samples))
        except RewardsmithError as exc:
            self.post_message(ScoringFailed(str(exc)))
            return
        # Even a superseded run's results are kept: each is checked against the rule as it is now.
        self.post_message(ScoresReady(results, time.perf_counter() - began, superseded=worker.is_cancelled,
                                      samples=samples))

    def on_scoring_progress(self, message: ScoringProgress) -> None:
        self.progress = (message.done, message.total)

    def on_scoring_failed(self, message: ScoringFailed) -> None:
        self.progress = None
        self.status = "scoring failed"
        self.notify(message.error, title="Scoring failed", severity="error", timeout=30, markup=False)

    def on_scores_ready(self, message: ScoresReady) -> None:
        if message.samples is not self.workbench.samples:
            return  # scored before another file was opened
        stored = self.workbench.store(message.results)
        self.progress = None
        if stored:
            self.status = f"scored {', '.join(stored)}{took(message.seconds)}"
        self.scores_version += 1
        if not message.superseded:
            # The newest run asks for anything still stale; a superseded run must not, or two
            # runs would keep cancelling each other.
            self.request_scoring()
            self.prepare_report()
            if stored:
                self.save_scores_cache()

    def prepare_report(self) -> None:
        """Once every rule is scored, build the report in a worker, so the Report screen shows it at once."""
        spec, _ = self.workbench.report_spec()
        if spec is not None and self.workbench.samples is not None and not self.workbench.scores.stale(spec.rules):
            # The key is taken here, with the matrix: what the worker builds is of these scores.
            self._prepare_report(self.workbench, spec, self.workbench.scores.matrix(spec), self.workbench.report_key(spec))

    def apply_scores(self, results: dict[str, Any]) -> None:
        """Adopt scores computed elsewhere (the rule editor's live preview)."""
        self.workbench.store(results)
        self.scores_version += 1

