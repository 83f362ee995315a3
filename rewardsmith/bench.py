"""Run the rendered module — the very code that is exported — on every sample.

The module runs in a worker process: a rule that hangs (a catastrophic regex on one sample) is
stopped by a per-call time limit without taking the caller down, and a rule that raises is
recorded per sample. Batches keep the common case fast; a batch that fails or times out is
re-run one sample at a time so the report names the samples responsible.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from multiprocessing.connection import Connection
from typing import Any, Callable, Sequence

from . import _worker
from .errors import BenchError
from .judging import worker_env_allow
from .kinds import get_kind
from .render import render_module
from .errors import SampleError
from .lean import assemble
from .samples import FieldMap, SampleSet, read_chunk, shard_bounds
from .spec import RewardSpec

__all__ = ["WORKER_ENV", "Bench", "ScoreMatrix", "Shard", "call_seconds", "default_workers", "merge_shard",
           "score_file", "score_samples", "score_shard", "weighted_total", "worker_environment"]

# What a worker's environment keeps: enough to run Python and find files, nothing that holds a secret.
WORKER_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TEMP", "TMP", "TZ", "SYSTEMROOT", "PYTHONHASHSEED")
DEFAULT_MEMORY_MB = 4096
# The directory holding the rewardsmith package a worker imports to read its shard (not an installed copy).
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_environment(allow: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """The environment a bench worker runs with: :data:`WORKER_ENV`, ``LC_*``, and the names in `allow`.

    `allow` names variables the user approved for a rule (an LLM judge's key); nothing else reaches code
    rendered from a spec, which may have come from an LLM.
    """
    keep = set(WORKER_ENV) | set(allow)
    return {k: v for k, v in os.environ.items() if k in keep or k.startswith("LC_")}

Progress = Callable[[int, int], None]  # (done, total) sample-rule calls


def weighted_total(columns: Sequence[Sequence[float | None]], weights: Sequence[float],
                   n: int | None = None) -> list[float | None]:
    """TRL's total reward per sample: nansum(weight × score), None scores skipped, summed with fsum.

    The one implementation of the total: the report, the diagnostics, the proposer and the TUI
    all call it, so a total is the same number wherever it is shown.

    Args:
        columns: one score column per rule, each one value per sample (None = not applicable).
        weights: one effective weight per column (a metric's is 0, see ``Rule.effective_weight``).
        n: the number of samples; needed only when there are no columns.

    Returns:
        One total per sample; None where every rule returned None (TRL cannot score it).

    >>> weighted_total([[1.0, None, None], [0.5, 2.0, None]], [2.0, 1.0])
    [2.5, 2.0, None]
    """
    if len(columns) != len(weights):
        raise ValueError(f"{len(columns)} score columns but {len(weights)} weights: give one weight per column")
    size = n if n is not None else (len(columns[0]) if columns else 0)
    if any(len(col) != size for col in columns):
        raise ValueError(f"every score column needs {size} values (one per sample), got "
                         f"{', '.join(str(len(col)) for col in columns)}")
    if not columns:
        return [None] * size
    out: list[float | None] = []
    for row in zip(*columns):
        parts = [w * v for w, v in zip(weights, row) if v is not None]
        out.append(math.fsum(parts) if parts else None)
    return out


@dataclass
class ScoreMatrix:
    """Scores of every rule on every sample, with what went wrong and what it cost."""

    rules: list[str]
    weights: list[float]
    roles: list[str]
    sample_ids: list[str]
    scores: dict[str, list[float | None]]
    errors: dict[str, dict[int, str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def total(self) -> list[float | None]:
        """The weighted total per sample as TRL sums it (see :func:`weighted_total`)."""
        return weighted_total([self.scores[r] for r in self.rules], self.weights, len(self.sample_ids))

    def us_per_call(self, rule: str) -> float:
        """Microseconds per sample."""
        n = max(1, len(self.sample_ids))
        return self.seconds.get(rule, 0.0) * 1e6 / n

    def by_sample(self, rule: str) -> dict[str, float | None]:
        return dict(zip(self.sample_ids, self.scores[rule]))

    def to_data(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "weights": self.weights,
            "roles": self.roles,
            "sample_ids": self.sample_ids,
            "scores": self.scores,
            "errors": {r: {self.sample_ids[i]: m for i, m in e.items()} for r, e in self.errors.items() if e},
        }


class Bench:
    """A worker process holding one module and one sample set; reuse it for many re-scores.

    Use as a context manager, or call close().
    """

    def __init__(self, *, time_limit: float = 2.0, batch_size: int = 256, memory_mb: int = DEFAULT_MEMORY_MB,
                 env_allow: tuple[str, ...] | list[str] = ()) -> None:
        self.time_limit = time_limit
        self.batch_size = batch_size
        self.memory_mb = memory_mb
        self.env_allow = tuple(env_allow)
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Any = None
        self._source: str | None = None
        # The messages that gave the worker its samples, replayed on restart (a shard: the file, then the chunk).
        self._data: list[tuple[Any, ...]] = []
        self._count = 0
        self.rule_names: list[str] = []

    # -- process management
    def _ensure(self) -> None:
        """Start the worker if it is not running, replaying the module and samples it held."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._kill()
        parent, child = socket.socketpair()
        try:
            # A script run with -I: no user site, no PYTHON* variables, nothing of rewardsmith imported.
            self._proc = subprocess.Popen(
                [sys.executable, "-I", _worker.__file__, str(child.fileno()), str(self.memory_mb)],
                pass_fds=(child.fileno(),), env=worker_environment(self.env_allow), stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            child.close()
        self._conn = Connection(parent.detach())
        replay = []
        if self._source is not None:
            replay.append(("load", self._source))
        replay.extend(self._data)
        for message in replay:
            try:
                self._conn.send(message)
                restored = self._conn.poll(120) and self._conn.recv()[0] == "ok"
            except (EOFError, OSError):  # killed again while it was being restored
                restored = False
            if not restored:
                self._kill()
                raise BenchError("the bench worker could not be restarted (it died while the module and samples "
                                 "were sent again); run again, and check memory if it keeps dying")

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._conn.send(("stop",))
                self._proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _died(self) -> tuple[str, str]:
        """The reply standing for a worker that died mid-call, saying how; the next request starts a new one."""
        code = None
        if self._proc is not None:
            try:
                code = self._proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
        self._kill()
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            how = {"SIGXCPU": f"{name}: over its CPU-time limit", "SIGKILL": f"{name}: killed, or out of memory",
                   "SIGSEGV": f"{name}: a crash in native code"}.get(name, name)
            return ("error", f"the worker process died ({how}); it was replaced")
        return ("error", "the worker process died (out of memory, or a crash in native code); it was replaced")

    def _request(self, message: tuple[Any, ...], timeout: float) -> tuple[Any, ...] | None:
        """Send and wait; None when the worker did not answer in time (it is then killed)."""
        self._ensure()
        try:
            self._conn.send(message)
        except OSError:  # it died between the check and the send
            return self._died()
        if not self._conn.poll(timeout):
            self._kill()
            return None
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            return self._died()

    # -- public
    def load(self, source: str) -> list[str]:
        """Load module source in the worker; returns its rule names in REWARD_FUNCS order."""
        reply = self._request(("load", source), timeout=60)
        if reply is None:
            raise BenchError("loading the module took over 60 s")
        if reply[0] != "ok":
            raise BenchError(f"the rendered module failed to load: {reply[1]}")
        self._source = source
        self.rule_names = list(reply[1])
        return self.rule_names

    def set_samples(self, samples: SampleSet) -> None:
        columns = {c: [s.refs.get(c) for s in samples] for c in samples.columns}
        data = ("data", [s.prompt for s in samples], [s.completion for s in samples], columns)
        reply = self._request(data, timeout=120)
        if reply is None or reply[0] != "ok":
            raise BenchError("could not send the samples to the worker")
        self._data = [data]
        self._count = len(samples)

    def set_shard(self, shard: Shard) -> None:
        """Let the worker read its shard of the samples file itself (see ``samples.shard_bounds``), a chunk at
        a time (:meth:`next_chunk`)."""
        message = ("file", PACKAGE_PARENT, shard.path, shard.fields, shard.end, shard.columns, shard.describe)
        reply = self._request(message, timeout=60)
        if reply is None or reply[0] != "ok":
            raise BenchError(f"the bench worker could not be given {shard.path}")
        self._data = [message]
        self._count = 0

    def next_chunk(self, offset: int, limit: int = 4096, rows: int = 0) -> tuple[int, int, Any]:
        """Have the worker read about `limit` samples of its shard from byte `offset` (and drop the last chunk).

        `rows`: the records of the shard before `offset` (default ids count them). Returns (samples read, byte
        offset of the next chunk, their description for a shard that asks for one, else None); the worker's
        samples are then those.
        """
        message = ("next", offset, limit, rows)
        reply = self._request(message, timeout=600)
        if reply is None or reply[0] != "ok":
            why = "it took over 600 s" if reply is None else reply[1]
            raise BenchError(f"the bench worker could not read the samples file from byte {offset}: {why}")
        self._data = [self._data[0], message]
        self._count = int(reply[1])
        return self._count, int(reply[2]), reply[3]

    def score_rule(self, rule: str, progress: Callable[[int], None] | None = None, *,
                   extra_seconds: float = 0.0) -> tuple[list[float | None], dict[int, str], float]:
        """One rule on every sample: (scores, errors by sample index, seconds spent).

        `extra_seconds`: what one completion may take beyond the time limit (a kind that runs code
        bounds each run itself, see ``Kind.call_seconds``).
        """
        limit = self.time_limit + extra_seconds
        n = self._count
        scores: list[float | None] = [None] * n
        errors: dict[int, str] = {}
        seconds = 0.0
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            # A batch gets one call's limit plus a little per sample: a hang costs seconds, not
            # limit × batch; a batch that is merely slow is re-run one sample at a time, correctly.
            timeout = limit + (0.02 + extra_seconds) * (stop - start)
            reply = self._request(("call", rule, start, stop, timeout), timeout=timeout)
            if reply is not None and reply[0] == "ok":
                scores[start:stop] = _worker.unpack(reply[1], reply[2])
                seconds += reply[3]
            else:
                # Isolate: one sample at a time, each with the per-call limit.
                batch_errors = len(errors)
                for i in range(start, stop):
                    began = time.perf_counter()
                    one = self._request(("call_one", rule, i, limit), timeout=limit)
                    if one is None:
                        errors[i] = f"timed out after {limit:g} s"
                        seconds += limit
                    elif one[0] == "ok":
                        scores[i] = _worker.unpack(one[1], one[2])[0]
                        seconds += one[3]
                    else:
                        errors[i] = one[1]
                        seconds += time.perf_counter() - began
                if reply is not None and len(errors) == batch_errors:
                    # Fine one by one, broken on a batch (a fixed-length return, say): TRL calls
                    # with batches, so the rule is broken for every sample of it.
                    for i in range(start, stop):
                        scores[i] = None
                        errors[i] = f"on a batch of {stop - start}: {reply[1]}"
            if progress:
                progress(stop)
        return scores, errors, seconds


def call_seconds(spec: RewardSpec, name: str) -> float:
    """The extra seconds one completion of rule `name` may take: its kind's, and its gates' (it runs them too)."""
    extra, seen = 0.0, set()
    rule = spec.rule(name)
    while rule is not None and rule.name not in seen:
        seen.add(rule.name)
        extra += get_kind(rule.kind).call_seconds(rule.params)
        rule = spec.rule(rule.gate) if rule.gate is not None else None
    return extra


def score_samples(
    spec: RewardSpec,
    samples: SampleSet,
    *,
    source: str | None = None,
    time_limit: float = 2.0,
    progress: Progress | None = None,
    bench: Bench | None = None,
    workers: int = 1,
) -> ScoreMatrix:
    """Render `spec` (or take `source`), run every rule on every sample, collect the matrix.

    Args:
        bench: a worker to reuse (one is started and closed otherwise); it is left holding all the samples.
        workers: worker processes scoring shards of the samples at once (without `bench`). Each reads its own
            shard of the file when `samples` is a whole JSON-lines file; the scores are the same whatever the
            number.
    """
    code = source if source is not None else render_module(spec)
    names = [r.name for r in spec.rules]
    result = ScoreMatrix(
        rules=names,
        weights=[r.effective_weight for r in spec.rules],
        roles=[r.role for r in spec.rules],
        sample_ids=[s.id for s in samples],
        scores={},
    )
    total = len(names) * len(samples)
    extra = {name: call_seconds(spec, name) for name in names}
    if bench is None:
        shards = _shards(samples, workers)
        if shards is not None:
            _score_shards(result, code, samples, shards, time_limit, extra, progress, total, worker_env_allow(spec))
            return result
    own = bench is None
    # a worker sees a key variable only for a judge rule the user approved (rewardsmith.judging)
    bench = bench or Bench(time_limit=time_limit, env_allow=worker_env_allow(spec))
    try:
        bench.load(code)
        bench.set_samples(samples)
        for k, name in enumerate(names):
            base = k * len(samples)
            scores, errors, seconds = bench.score_rule(
                name, (lambda done, base=base: progress(base + done, total)) if progress else None,
                extra_seconds=extra[name],
            )
            result.scores[name] = scores
            result.errors[name] = errors
            result.seconds[name] = seconds
        return result
    finally:
        if own:
            bench.close()


# A shard is worth a process from this many samples on: below it starting one costs more than it saves.
MIN_SHARD = 2_000


def _shards(samples: SampleSet, workers: int) -> list[tuple[int, int]] | None:
    """Byte ranges for the workers to read, or None when the samples are sent to one worker instead."""
    if not samples.whole_file or samples.path is None or len(samples) == 0:
        return None
    parts = max(1, min(workers, len(samples) // MIN_SHARD))
    try:
        return shard_bounds(samples.path, parts)
    except (OSError, ValueError):  # the file changed or went away since it was read: send the samples
        return None


def merge_shard(result: ScoreMatrix, offset: int, shard: dict[str, tuple[list[float | None], dict[int, str], float]]) -> None:
    """Put one shard's (scores, errors by shard index, seconds) per rule into `result` at sample `offset`."""
    for name, (scores, errors, seconds) in shard.items():
        column = result.scores.setdefault(name, [None] * len(result.sample_ids))
        column[offset:offset + len(scores)] = scores
        result.errors.setdefault(name, {}).update({offset + i: m for i, m in errors.items()})
        result.seconds[name] = result.seconds.get(name, 0.0) + seconds


@dataclass(frozen=True)
class Shard:
    """Bytes [start, end) of a JSON-lines samples file, read with `fields` (a FieldMap as a dict)."""

    path: str
    fields: dict[str, Any]
    columns: list[str]  # every reference column of the file, so each shard passes the same keywords
    start: int
    end: int
    describe: bool = False  # the worker also says what it read (rewardsmith.lean): no one else reads the file

    @classmethod
    def of(cls, samples: SampleSet, start: int, end: int, path: str | None = None) -> Shard:
        return cls(path or str(samples.path), dataclasses.asdict(samples.fields), samples.columns, start, end)


# What a shard's worker gives: its sample count, per rule (scores, errors by index in the shard, seconds), and
# the descriptions of its chunks (rewardsmith.lean; empty unless the shard asked for them).
ShardResult = tuple[int, dict[str, tuple[list[float | None], dict[int, str], float]], list[Any]]

# Samples a worker holds at a time when it reads the file itself: its memory stays flat however large the file.
CHUNK = 16 * 256


def score_shard(code: str, shard: Shard, names: Sequence[str], *, time_limit: float,
                extra: dict[str, float], progress: Callable[[int, int], None] | None = None,
                memory_mb: int = DEFAULT_MEMORY_MB, env_allow: Sequence[str] = (),
                started: Callable[[Bench], None] | None = None) -> ShardResult:
    """Every rule on the samples of one shard, in a worker of its own that reads it chunk by chunk.

    `progress` gets (rule calls done, bytes of the shard read) after each chunk.

    Returns the shard's sample count, per rule (scores, errors by index in the shard, seconds), and for a
    shard that asks (``Shard.describe``) each chunk's description (rewardsmith.lean). What the Ray engine runs
    as one task, and each thread of a local parallel run.
    `env_allow`: the key variables of the judge rules the user approved (rewardsmith.judging), and no other.
    `started`: given the shard's bench before it starts work (so a caller in another thread can stop it).
    """
    scores: dict[str, list[float | None]] = {n: [] for n in names}
    errors: dict[str, dict[int, str]] = {n: {} for n in names}
    seconds = dict.fromkeys(names, 0.0)
    count = rows = 0
    described: list[Any] = []
    with Bench(time_limit=time_limit, memory_mb=memory_mb, env_allow=env_allow) as bench:
        if started:
            started(bench)
        bench.load(code)
        bench.set_shard(shard)
        offset = shard.start
        while offset < shard.end:
            size, offset, description = bench.next_chunk(offset, CHUNK, rows)
            if description is not None:
                described.append(description)
                rows += description["rows"]
            for name in names:
                got, failed, spent = bench.score_rule(name, extra_seconds=extra[name])
                scores[name].extend(got)
                errors[name].update({count + i: m for i, m in failed.items()})
                seconds[name] += spent
            count += size
            if progress:
                progress(count * len(names), offset - shard.start)
            if size == 0:
                break
    return count, {n: (scores[n], errors[n], seconds[n]) for n in names}, described


def _run_shards(code: str, shards: list[Shard], names: list[str], time_limit: float, extra: dict[str, float],
                report: Callable[[int, int], None] | None, env_allow: Sequence[str]) -> list[Any]:
    """score_shard on every shard at once, one worker each (threads wait on the sockets, the workers do the
    work); `report(rule calls, bytes read)` over all shards as they go. The first failure is raised in the
    caller's thread."""
    outcome: list[Any] = [None] * len(shards)
    benches: list[Bench] = []
    lock = threading.Lock()
    calls, read = [0] * len(shards), [0] * len(shards)

    def progress(k: int, n: int, b: int) -> None:
        with lock:
            calls[k], read[k] = n, b
            if report:
                report(sum(calls), sum(read))

    def run(k: int) -> None:
        try:
            outcome[k] = score_shard(code, shards[k], names, time_limit=time_limit, extra=extra,
                                     progress=lambda n, b, k=k: progress(k, n, b), env_allow=env_allow,
                                     started=benches.append)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome[k] = exc

    if len(shards) == 1:
        run(0)  # no thread: Ctrl-C and SIGTERM unwind through the bench's own `with`
    else:
        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(len(shards))]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM) while the threads wait on their workers: daemon threads never
            # reach their `with`, so stop the workers here, or one spinning in a rule would outlive us.
            for bench in list(benches):
                bench._kill()
            raise
    for item in outcome:
        if isinstance(item, BaseException):
            raise item
    return outcome


def merge_shards(result: ScoreMatrix, outcome: list[Any]) -> None:
    offset = 0
    for count, shard, _ in outcome:
        merge_shard(result, offset, shard)
        offset += count
    for name in result.rules:  # a rule may have no shard entry only if there were no shards
        result.scores.setdefault(name, [None] * len(result.sample_ids))
        result.errors.setdefault(name, {})
        result.seconds.setdefault(name, 0.0)


def _score_shards(result: ScoreMatrix, code: str, samples: SampleSet, shards: list[tuple[int, int]],
                  time_limit: float, extra: dict[str, float], progress: Progress | None, total: int,
                  env_allow: Sequence[str]) -> None:
    """Score the shards of a loaded file at once, one worker each."""
    report = (lambda calls, _: progress(calls, total)) if progress else None
    outcome = _run_shards(code, [Shard.of(samples, *b) for b in shards], result.rules, time_limit, extra, report,
                          env_allow)
    counts = [count for count, _, _ in outcome]
    if sum(counts) != len(samples):
        raise BenchError(f"the bench workers read {sum(counts)} samples from {samples.path} but it held "
                         f"{len(samples)} when it was loaded: was the file changed meanwhile? run again")
    merge_shards(result, outcome)


def file_shards(path: str | Path, fields: FieldMap, parts: int) -> list[Shard] | None:
    """Shards of a JSON-lines file that describe what they read (rewardsmith.lean), or None for another format
    or a file without records. Their keyword columns are the first record's."""
    if fields.format not in ("auto", "jsonl"):
        return None
    bounds = shard_bounds(path, max(1, min(parts, Path(path).stat().st_size // MIN_SHARD_BYTES or 1)))
    if bounds is None:
        return None
    try:
        first = read_chunk(path, fields, 0, bounds[-1][1], 1)[0]
    except SampleError:
        return None  # the ordinary reader says what is wrong, and where
    if not first:
        return None
    columns = sorted(first[0].refs)
    return [Shard(str(path), dataclasses.asdict(fields), columns, a, b, describe=True) for a, b in bounds]


# A shard is worth a process from about this many bytes on (a few thousand typical samples).
MIN_SHARD_BYTES = 2 * 2**20


def score_file(spec: RewardSpec, path: str | Path, fields: FieldMap, *, max_groups: int, seed: int = 0,
               source: str | None = None, time_limit: float = 2.0, workers: int = 1,
               progress: Progress | None = None) -> tuple[SampleSet, ScoreMatrix] | None:
    """Score every rule on every sample of a JSON-lines file that no one has read yet: the workers read it,
    each its shard, and say what they read, so this process never parses it (rewardsmith.lean).

    Returns the lean sample set (texts for `max_groups` groups drawn with `seed`, as ``load_samples(lean=...)``
    would draw them) and the scores; None when the file is not one this can read (another format, a bad
    record, a duplicate id, ragged columns): then load it with ``load_samples`` and call :func:`score_samples`,
    which says what is wrong and where. `progress` gets (bytes read, file size).
    """
    shards = file_shards(path, fields, workers)
    if shards is None:
        return None
    code = source if source is not None else render_module(spec)
    names = [r.name for r in spec.rules]
    extra = {name: call_seconds(spec, name) for name in names}
    size = Path(path).stat().st_size
    report = (lambda _, read: progress(read, size)) if progress else None
    try:
        outcome = _run_shards(code, shards, names, time_limit, extra, report, worker_env_allow(spec))
    except BenchError:
        return None  # a worker could not read a record: the ordinary reader says which, and where
    return lean_result(spec, path, fields, outcome, max_groups, seed)


def lean_result(spec: RewardSpec, path: str | Path, fields: FieldMap, outcome: list[Any], max_groups: int,
               seed: int) -> tuple[SampleSet, ScoreMatrix] | None:
    """The lean set and the matrix of shards scored with descriptions (local workers or Ray tasks)."""
    lean, _ = assemble(path, fields, [described for _, _, described in outcome], max_groups=max_groups, seed=seed)
    if lean is None:
        return None
    result = ScoreMatrix(rules=[r.name for r in spec.rules], weights=[r.effective_weight for r in spec.rules],
                         roles=[r.role for r in spec.rules], sample_ids=lean.ids, scores={})
    merge_shards(result, outcome)
    return lean, result
