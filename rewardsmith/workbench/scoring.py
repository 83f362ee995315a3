"""Scores of the live rules on the loaded samples, kept current through one long-lived bench.

The bench worker keeps the samples between calls, so re-scoring one edited rule costs a module
load and one pass of that rule, not a restart and a resend of every sample. Workers run in
threads: every bench call goes through one lock, and a caller that was superseded (the user typed
again) can give up before its turn comes.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from ..bench import Bench, ScoreMatrix, Shard, call_seconds, default_workers, weighted_total
from ..errors import BenchError
from ..render import render_module
from ..samples import FieldMap, SampleSet, shard_bounds
from ..spec import RewardSpec, Rule

__all__ = ["RuleScores", "ScoreStore", "Scorer", "file_identity", "weighted_total"]


@dataclass
class RuleScores:
    scores: list[float | None]
    errors: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0
    digest: str = ""  # what was scored: the rule's behaviour-relevant content


def rule_digest(rule: Rule) -> str:
    """Changes when the rule's scores can change (not for rationale, weight or role)."""
    return f"{rule.kind}|{rule.params.model_dump_json()}"


class ScoreStore:
    """Scores per rule name for the samples currently loaded."""

    def __init__(self, sample_ids: Sequence[str] = ()) -> None:
        self.sample_ids = list(sample_ids)
        self.by_rule: dict[str, RuleScores] = {}

    def reset(self, sample_ids: Sequence[str]) -> None:
        self.sample_ids = list(sample_ids)
        self.by_rule.clear()

    def get(self, name: str) -> list[float | None] | None:
        item = self.by_rule.get(name)
        return item.scores if item is not None else None

    def stale(self, rules: Sequence[Rule]) -> list[Rule]:
        """Rules with no scores, or scores of an older version of the rule."""
        return [r for r in rules if r.name not in self.by_rule or self.by_rule[r.name].digest != rule_digest(r)]

    def rename(self, old: str, new: str) -> None:
        if old in self.by_rule:
            self.by_rule[new] = self.by_rule.pop(old)

    def total(self, rules: Sequence[Rule]) -> list[float | None]:
        return self.total_of(self.by_rule, rules)

    def total_of(self, by_rule: dict[str, RuleScores], rules: Sequence[Rule]) -> list[float | None]:
        """The weighted total of `rules` over the scores of `by_rule` (those it has)."""
        return weighted_total(
            [by_rule[r.name].scores for r in rules if r.name in by_rule],
            [r.effective_weight for r in rules if r.name in by_rule],
            len(self.sample_ids),
        )

    def matrix(self, spec: RewardSpec) -> ScoreMatrix:
        """The core's score matrix for `spec` (every rule must have been scored)."""
        return ScoreMatrix(
            rules=[r.name for r in spec.rules],
            weights=[r.effective_weight for r in spec.rules],
            roles=[r.role for r in spec.rules],
            sample_ids=list(self.sample_ids),
            scores={r.name: self.by_rule[r.name].scores for r in spec.rules},
            errors={r.name: self.by_rule[r.name].errors for r in spec.rules},
            seconds={r.name: self.by_rule[r.name].seconds for r in spec.rules},
        )


class Scorer:
    """The session's bench workers, shared by the scoring threads.

    For a JSON-lines file each worker reads its own shard of the file (`read_file`), so no sample is
    pickled through a pipe, and every rule is scored on the shards at once, one worker a core.
    Otherwise the samples are sent to the first worker.
    """

    def __init__(self, *, time_limit: float = 2.0, workers: int | None = None) -> None:
        # Start multiprocessing's resource tracker now, while stderr is the real one: inside a
        # running Textual app stderr is captured and has no file descriptor, and spawning the
        # tracker from there fails ("bad value(s) in fds_to_keep"). Every later bench reuses it.
        resource_tracker.ensure_running()
        count = workers if workers is not None else min(2, default_workers())
        # Batches of 1,024: at 100,000 samples a re-score is 98 round trips to the workers, not 391
        # (each costs the pipe and the wake-ups); a hung sample still costs only seconds.
        self._benches = [Bench(time_limit=time_limit, batch_size=1024) for _ in range(max(1, count))]
        self._lock = threading.Lock()
        self._source: str | None = None
        self._has_samples = False
        self._sizes: list[int] = []  # samples each bench holds, in file order
        self._file: tuple | None = None  # what the benches read themselves: (identity, fields, columns)

    @property
    def workers(self) -> int:
        return len(self._benches)

    def warm(self) -> None:
        """Start the worker processes now (they take a moment), while the samples file is still loading."""
        with self._lock:
            if not self._has_samples:
                _each(self._benches, lambda b: b.set_samples(SampleSet([])))

    def read_file(self, path: str | Path, fields: FieldMap, columns: Sequence[str]) -> bool:
        """Have the workers read `path` themselves, a shard each (while the app parses it too).

        False when they cannot (not a JSON-lines file, or it went away): `set_samples` then sends them.
        """
        identity = file_identity(path)
        try:
            bounds = shard_bounds(path, len(self._benches)) if identity is not None else None
        except (OSError, ValueError):
            bounds = None
        if not bounds:
            return False
        shards = [Shard(str(path), dataclasses.asdict(fields), list(columns), a, b) for a, b in bounds]
        with self._lock:
            self._file = None
            self._source = None

            def read(k: int) -> int:
                bench = self._benches[k]
                bench.set_shard(shards[k])
                # One chunk as big as the shard: the worker holds all of it, for every re-score.
                return bench.next_chunk(shards[k].start, limit=1 << 62)[0]

            try:
                sizes = _each(range(len(shards)), read)
            except BenchError:
                return False
            self._sizes = sizes + [0] * (len(self._benches) - len(shards))
            self._source = None  # the module goes to every worker that now holds samples
            self._file = (identity, dataclasses.asdict(fields), list(columns))
            self._has_samples = True
        return True

    def set_samples(self, samples: SampleSet) -> None:
        """Give the workers `samples`: nothing to send when they read that very file themselves."""
        with self._lock:
            if (self._file is not None and samples.whole_file and samples.path is not None
                    and self._file == (file_identity(samples.path), dataclasses.asdict(samples.fields), samples.columns)
                    and sum(self._sizes) == len(samples)):
                return
            self._file = None
            self._benches[0].set_samples(samples)
            for bench in self._benches[1:]:
                bench.set_samples(SampleSet([]))
            self._sizes = [len(samples)] + [0] * (len(self._benches) - 1)
            self._source = None
            self._has_samples = True

    def score(
        self,
        spec: RewardSpec,
        names: Sequence[str],
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        count: int,
    ) -> dict[str, RuleScores]:
        """Render `spec`, then score the rules called `names` on every sample.

        Stops early (returning what it has) when `cancelled()` turns true between rules.
        """
        source = render_module(spec)
        out: dict[str, RuleScores] = {}
        with self._lock:
            if cancelled():
                return out
            busy = [k for k, size in enumerate(self._sizes) if size] or [0]
            if source != self._source:
                self._source = None
                _each(busy, lambda k: self._benches[k].load(source))
                self._source = source
            offsets = [sum(self._sizes[:k]) for k in range(len(self._sizes))]
            total = max(1, len(names) * count)
            for r, name in enumerate(names):
                if cancelled():
                    break
                done = dict.fromkeys(busy, 0)
                lock = threading.Lock()

                def report(k: int, n: int, base: int = r * count) -> None:
                    with lock:
                        done[k] = n
                        if progress:
                            progress(base + sum(done.values()), total)

                extra = call_seconds(spec, name)
                parts = _each(busy, lambda k: self._benches[k].score_rule(
                    name, lambda n, k=k: report(k, n), extra_seconds=extra))
                scores: list[float | None] = []
                errors: dict[int, str] = {}
                seconds = 0.0
                for k, (got, failed, spent) in zip(busy, parts):
                    scores.extend(got)
                    errors.update({offsets[k] + i: m for i, m in failed.items()})
                    seconds += spent
                out[name] = RuleScores(scores, errors, seconds, rule_digest(spec.rule(name)))
        return out

    def close(self) -> None:
        with self._lock:
            for bench in self._benches:
                bench.close()


def file_identity(path: str | Path) -> tuple[str, int, int, int] | None:
    """(resolved path, size, mtime in ns, inode): changes whenever the file may hold other samples."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (str(Path(path).resolve()), info.st_size, info.st_mtime_ns, info.st_ino)


def _each(items: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """`[fn(x) for x in items]`, one thread each (they wait on worker sockets); the first error is raised."""
    items = list(items)
    if len(items) == 1:
        return [fn(items[0])]
    results: list[Any] = [None] * len(items)
    failed: list[BaseException] = []

    def run(k: int) -> None:
        try:
            results[k] = fn(items[k])
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    return results
