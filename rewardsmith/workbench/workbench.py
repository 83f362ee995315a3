"""The workbench's model: the session, its samples, their scores and what follows from them.

Screens read and change the workbench through the app; the app runs the slow parts (loading,
scoring, proposing) in workers. Nothing here imports textual, so it is tested without a terminal
and the benchmark drives it directly.
"""

from __future__ import annotations

import random

import numpy as np
from collections.abc import Sequence
from pathlib import Path

from ..checks import Report, auc
from ..demo import DEFAULT_DEMO, demo_for_path, demo_path
from ..samples import FieldMap, Sample, SampleSet
from ..spec import RewardSpec, Rule
from .scoring import RuleScores, ScoreStore, rule_digest
from .state import Session, spec_name_for, workspace_path
from .tableview import Analysis, analyse, search_index

__all__ = ["NOT_HASHED", "Workbench", "field_map", "flat_groups", "open_session"]

NOT_HASHED = "(not hashed in the workbench)"  # the samples fingerprint of a Report-screen report


def flat_groups(values: Sequence[float | None], layout: tuple[np.ndarray, np.ndarray]) -> tuple[int, int]:
    """(groups whose values are all equal, groups) over the groups of `layout`: `checks.zero_spread_groups`
    counted with numpy. As there, a group with fewer than two values that are not None counts as flat."""
    order, starts = layout
    column = np.array(values, dtype=float)[order]  # None becomes NaN
    present = np.add.reduceat(~np.isnan(column), starts)
    spread = np.fmax.reduceat(column, starts) - np.fmin.reduceat(column, starts)  # fmax/fmin skip NaN
    flat = (present < 2) | (spread <= 1e-12)
    return int(flat.sum()), len(starts)


def field_map(fields: dict) -> FieldMap:
    """A FieldMap from the session's stored arguments (lists come back from JSON as lists)."""
    args = dict(fields)
    for key in ("label_true", "label_false", "per_completion"):
        if key in args and args[key] is not None:
            args[key] = tuple(args[key])
    return FieldMap(**args)


def open_session(samples_path: str | Path | None, home: Path, fields: dict | None = None) -> tuple[Session, Path, list[str]]:
    """The session for a samples file (the demo when None): its workspace if there is one, else a new one.

    Returns the session, its workspace path and what could not be restored.
    """
    path = Path(samples_path) if samples_path is not None else demo_path(DEFAULT_DEMO)
    workspace = workspace_path(path, home)
    problems: list[str] = []
    if workspace.is_file():
        try:
            session, problems = Session.load(workspace)
            if fields:
                session.fields = dict(fields)
            return session, workspace, problems
        except (OSError, ValueError, KeyError) as exc:
            # An unreadable workspace must not lock the user out of their samples: start afresh
            # and keep the old file beside the new one.
            backup = workspace.with_suffix(".unreadable.json")
            workspace.replace(backup)
            problems.append(f"the workspace could not be read ({exc}); kept as {backup.name}")
    session = Session(samples_path=str(path), name=spec_name_for(path), fields=dict(fields or {}))
    demo = demo_for_path(path)
    if demo is not None:
        session.name = demo.spec_name
        session.task = demo.task
    return session, workspace, problems


class Workbench:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.samples: SampleSet | None = None
        self.scores = ScoreStore()
        self.total: list[float | None] = []
        self.analysis: Analysis | None = None
        self.groups: dict[str, list[int]] = {}
        self._file_labels: dict[str, float | None] = {}
        self._index: dict[str, int] = {}
        # While the file loads: the samples read so far (a list the loader appends to) and how many
        # of them may be read. Gone once `attach` has the whole set.
        self.arrived: list[Sample] = []
        self.arrived_count = 0
        self._search_keys: list[str] | None = None
        self._labels_version = 0  # bumped on each label change: a report built before it is stale
        self._layout: tuple[dict, tuple[np.ndarray, np.ndarray] | None] | None = None
        self._labels: tuple[tuple, list[bool | None]] | None = None
        self._scores_version = 0  # bumped on each store: a report of older scores is stale
        self.ready_report: tuple[tuple, Report] | None = None  # (report_key, report) built ahead of the Report screen
        # Scores kept on disk from the last time this file was open (workbench.scorecache): shown with the
        # rows while the file loads, adopted by `attach`, then re-checked by a fresh scoring.
        self.cached: dict[str, RuleScores] = {}
        self.cached_total: list[float | None] = []
        self.from_cache: set[str] = set()  # rules whose stored scores came from the cache, not yet re-checked
        self.adopted_from_cache: list[str] = []  # the rules whose cached scores the last `attach` adopted
        self.file_identity: tuple | None = None  # of the samples file as it was loaded (what a cache is keyed by)

    # ------------------------------------------------------------------ samples

    def arriving(self, samples: list[Sample], count: int) -> None:
        """The first `count` of `samples` have been read (the rest of the file is still loading)."""
        self.arrived = samples
        self.arrived_count = min(count, len(samples))

    def preload(self, scores: dict[str, RuleScores]) -> bool:
        """Scores of every live rule from the disk cache, for the file still loading; False if they do not
        cover every live rule as it is now (then none are used)."""
        live = self.session.live()
        if not live or any(r.name not in scores or scores[r.name].digest != rule_digest(r) for r in live):
            return False
        sizes = {len(scores[r.name].scores) for r in live}
        if len(sizes) != 1:
            return False
        self.cached = {r.name: scores[r.name] for r in live}
        totals = [r for r in self.session.total_rules() if r.name in self.cached]
        self.cached_total = (ScoreStore([""] * sizes.pop()).total_of(self.cached, totals) if totals else [])
        return True

    def attach(self, samples: SampleSet, groups: dict[str, list[int]] | None = None,
               identity: tuple | None = None) -> None:
        """Adopt freshly loaded samples: apply the session's label overrides, forget old scores (keeping
        those of the cache when they are of as many samples)."""
        self.samples = samples
        self.file_identity = identity
        self.arrived, self.arrived_count = [], 0
        self._search_keys = None
        self._labels_version += 1  # new samples, new labels: what was derived from the old ones is stale
        self._index = {s.id: i for i, s in enumerate(samples.samples)}
        self._file_labels = {s.id: s.label for s in samples.samples}
        for sid, value in self.session.labels.items():
            i = self._index.get(sid)
            if i is not None:
                samples.samples[i].label = value
        self.groups = groups if groups is not None else samples.groups()
        self.scores.reset([s.id for s in samples.samples])
        self.from_cache, self.adopted_from_cache = set(), []
        self.adopt_cached(refresh=False)
        self.refresh_derived()

    def adopt_cached(self, refresh: bool = True) -> list[str]:
        """Store the preloaded cache's scores of the rules still unscored, if they are of as many samples as
        are loaded; returns their names. (The cache may be read before the file has loaded, or after.)"""
        cached, self.cached, self.cached_total = self.cached, {}, []
        if self.samples is None or not cached or any(len(item.scores) != len(self.samples) for item in cached.values()):
            return []
        names = [name for name, item in cached.items()
                 if name not in self.scores.by_rule or self.scores.by_rule[name].digest != item.digest]
        for name in names:
            self.scores.by_rule[name] = cached[name]
        self.from_cache |= set(names)
        self.adopted_from_cache += names
        if names:
            self._scores_version += 1
            if refresh:
                self.refresh_derived()
        return names

    def report_samples(self) -> SampleSet:
        """The samples as the Report screen's report reads them: the same list and groups, but not
        hashed. The screen never shows the samples' content hash, and at 100,000 samples taking it
        costs seconds after every label; `rewardsmith test` and the export still take it."""
        assert self.samples is not None
        view = SampleSet(self.samples.samples, self.samples.path, self.samples.fields, self.samples.dropped)
        view.whole_file = self.samples.whole_file
        view._groups = self.samples._groups  # the groups the loader computed (keyed by the same list)
        view._fingerprint = NOT_HASHED
        return view

    def index_of(self, sample_id: str) -> int | None:
        return self._index.get(sample_id)

    def sample(self, index: int) -> Sample:
        if self.samples is None:  # still loading: one of the rows shown so far
            assert index < self.arrived_count
            return self.arrived[index]
        return self.samples.samples[index]

    def search_keys(self) -> list[str]:
        """Each sample's id and group, lowercased once (search as you type scans these, not the samples)."""
        assert self.samples is not None
        if self._search_keys is None:
            self._search_keys = search_index(self.samples)
        return self._search_keys

    def index_for_search(self, samples: SampleSet) -> None:
        """Build the search index of `samples` ahead, in a worker (the first key would wait for it)."""
        keys = search_index(samples)
        if samples is self.samples:  # not replaced by another file meanwhile
            self._search_keys = keys

    def label_overridden(self, sample_id: str) -> bool:
        return sample_id in self.session.labels

    def set_label(self, index: int, value: float | None) -> None:
        """Label a sample; setting it back to the file's label drops the override."""
        sample = self.sample(index)
        sample.label = value
        self._labels_version += 1
        if self._file_labels.get(sample.id) == value:
            self.session.labels.pop(sample.id, None)
        else:
            self.session.set_label(sample.id, value)
        self.refresh_derived(total=False)  # a label moves the threshold, never the total

    # ------------------------------------------------------------------ scores

    def columns(self) -> dict[str, list[float | None]]:
        return {name: item.scores for name, item in self.scores.by_rule.items()}

    def stale_rules(self) -> list[Rule]:
        return self.scores.stale(self.session.live())

    def store(self, results: dict[str, RuleScores]) -> list[str]:
        """Keep the results that still describe a live rule as it is now; returns their names.

        A result computed for an older version of a rule (the user edited it meanwhile) is dropped.
        """
        live = {r.name: r for r in self.session.live()}
        stored = []
        for name, item in results.items():
            rule = live.get(name)
            if rule is not None and rule_digest(rule) == item.digest:
                self.scores.by_rule[name] = item
                self.from_cache.discard(name)
                stored.append(name)
        self._scores_version += 1
        self.refresh_derived()
        return stored

    def refresh_derived(self, total: bool = True) -> None:
        """Recompute the total and what the filters need (after scores, labels or rules changed)."""
        if self.samples is None:
            return
        previous = self.analysis
        if total or len(self.total) != len(self.samples):
            rules = [r for r in self.session.total_rules() if r.name in self.scores.by_rule]
            self.total = self.scores.total(rules) if rules else [None] * len(self.samples)
            previous = None
        self.analysis = analyse(self.samples, self.total, self.groups, previous)

    def score_of(self, rule: str, index: int) -> float | None:
        values = self.scores.get(rule)
        return None if values is None else values[index]

    def error_of(self, rule: str, index: int) -> str | None:
        item = self.scores.by_rule.get(rule)
        return None if item is None else item.errors.get(index)

    # ------------------------------------------------------------------ proposing

    def propose_subset(self, selection: str, per_class: int, seed: int = 0) -> SampleSet:
        """The samples a proposer reads.

        selected: the marked samples (all samples when none are marked);
        balanced: up to `per_class` good and `per_class` bad, drawn with a fixed seed, whole groups
        kept together where possible (GRPO rules are judged per group); all: every sample.
        """
        assert self.samples is not None
        samples = self.samples.samples
        if selection == "selected":
            marked = {sid for sid in self.session.marked if sid in self._index}
            if marked:
                return SampleSet([s for s in samples if s.id in marked], self.samples.path, self.samples.fields)
            return self.samples
        if selection == "balanced":
            good = [i for i, s in enumerate(samples) if s.is_good is True]
            bad = [i for i, s in enumerate(samples) if s.is_good is False]
            if not good or not bad:
                picked = list(range(min(len(samples), 2 * per_class)))
            else:
                rng = random.Random(seed)
                picked = sorted(rng.sample(good, min(per_class, len(good))) + rng.sample(bad, min(per_class, len(bad))))
            return SampleSet([samples[i] for i in picked], self.samples.path, self.samples.fields)
        return self.samples

    # ------------------------------------------------------------------ report

    def report_key(self, spec: RewardSpec) -> tuple:
        """What a report depends on: the samples and their labels, the scores, and the spec."""
        return (id(self.samples), self._labels_version, self._scores_version, spec.model_dump_json())

    def _good_labels(self) -> list[bool | None]:
        """Each sample's is_good, kept until a label changes (the editor summarises on every edit)."""
        key = (id(self.samples), self._labels_version)
        if self._labels is None or self._labels[0] != key:
            assert self.samples is not None
            self._labels = (key, [s.is_good for s in self.samples.samples])
        return self._labels[1]

    def flat_share(self, values: Sequence[float | None]) -> float | None:
        """The share of groups (of two or more) whose values have no spread; None without such groups."""
        layout = self._group_layout()
        if layout is None:
            return None
        flat, multi = flat_groups(values, layout)
        return flat / multi

    def group_spreads(self, values: Sequence[float | None]) -> list[float]:
        """max − min of the values within each group of two or more (0 with fewer than two values)."""
        layout = self._group_layout()
        if layout is None:
            return []
        order, starts = layout
        column = np.array(values, dtype=float)[order]
        present = np.add.reduceat(~np.isnan(column), starts)
        spread = np.fmax.reduceat(column, starts) - np.fmin.reduceat(column, starts)
        return np.where(present > 1, spread, 0.0).tolist()

    def _group_layout(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The samples of every group of two or more, group after group, and where each group starts."""
        if self._layout is None or self._layout[0] is not self.groups:
            multi = [idx for idx in self.groups.values() if len(idx) > 1]
            if not multi:
                layout = None
            else:
                order = np.fromiter((i for idx in multi for i in idx), dtype=np.intp)
                starts = np.cumsum([0] + [len(idx) for idx in multi[:-1]], dtype=np.intp)
                layout = (order, starts)
            self._layout = (self.groups, layout)
        return self._layout[1]

    def report_spec(self) -> tuple[RewardSpec | None, bool]:
        """The spec a report is about: the accepted rules, or the proposals (then True)."""
        spec = self.session.spec()
        if spec is not None:
            return spec, False
        proposed = [e.rule for e in self.session.rules if e.status == "proposed"]
        return self.session.spec_of(proposed), True

    def summary(self, values: Sequence[float | None], errors: int = 0) -> dict[str, float | int | None]:
        """What a reviewer reads about one rule: mean, range, AUC against the labels, flat groups."""
        assert self.samples is not None
        present = [v for v in values if v is not None]
        labels = self._good_labels()
        flat = self.flat_share(values)
        return {
            "mean": sum(present) / len(present) if present else None,
            "min": min(present) if present else None,
            "max": max(present) if present else None,
            "auc": auc(values, labels),
            "zero_spread": flat,
            "nones": len(values) - len(present) - errors,
            "errors": errors,
        }
