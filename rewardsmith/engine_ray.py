"""`rewardsmith test --engine ray`: the bench as Ray tasks over shards of the samples file.

Each task runs what a local worker thread runs (``bench.score_shard``): a bench worker process of its own,
with the same per-call time limit, memory limit (RLIMIT_AS), CPU-time limit (RLIMIT_CPU) and minimal
environment, reading its byte range of the file itself. The driver merges the shards in file order into the
same :class:`ScoreMatrix` a local run gives, so the report is the same too.

On a cluster (``--ray-address ray://head:10001``) the tasks run where the file is not: the samples file's
folder and the rewardsmith package are shipped with the job (``runtime_env`` working_dir and py_modules),
and each task opens the file by its name there. Ray is the optional extra ``rewardsmith[ray]``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable

from . import _worker
from .bench import (DEFAULT_MEMORY_MB, MIN_SHARD, PACKAGE_PARENT, Progress, ScoreMatrix, Shard, lean_result,
                    merge_shards, call_seconds, file_shards, score_shard)
from .errors import BenchError
from .judging import worker_env_allow
from .render import render_module
from .samples import FieldMap, SampleSet, shard_bounds
from .spec import RewardSpec

__all__ = ["score_file_ray", "score_samples_ray"]


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BenchError("--engine ray needs Ray: pip install 'rewardsmith[ray]' (or ray==2.60.0), or leave "
                         "--engine out to score with local worker processes") from None
    return ray


Packed = dict[str, tuple[bytes, bytes, dict[int, str], float]]  # per rule: float64 bytes, None mask, errors, seconds


def _task(code: str, shard: Shard, names: list[str], time_limit: float, extra: dict[str, float],
          memory_mb: int, env_allow: tuple[str, ...]) -> tuple[int, Packed, list[Any]]:
    """One shard in a Ray worker: scores go back packed (float64 bytes and a None mask), like a local worker's,
    with the shard's description when it asks for one (rewardsmith.lean).

    `env_allow`: the approved judges' key variables, passed on from the Ray worker's own environment.
    """
    count, out, described = score_shard(code, shard, names, time_limit=time_limit, extra=extra,
                                        memory_mb=memory_mb, env_allow=env_allow)
    return count, {n: (*_worker.pack(scores), errors, seconds) for n, (scores, errors, seconds) in out.items()}, \
        described


def score_samples_ray(spec: RewardSpec, samples: SampleSet, *, source: str | None = None, time_limit: float = 2.0,
                      address: str | None = None, shards: int | None = None, progress: Progress | None = None,
                      memory_mb: int = DEFAULT_MEMORY_MB) -> ScoreMatrix:
    """Score every rule on every sample as Ray tasks, one per shard of the samples file.

    Args:
        address: the Ray cluster (``ray://host:10001``, or ``auto``); default ``$RAY_ADDRESS``, else the Ray
            this process already started (``ray.init``), else a local one for this run.
        shards: how many tasks (default: two per CPU of the cluster, each at least a couple of thousand samples).
    """
    if not samples.whole_file or samples.path is None:
        raise BenchError("--engine ray reads shards of the samples file itself, so it needs the whole file as "
                         "loaded (not a part of it)")
    path = samples.path
    names = [r.name for r in spec.rules]
    total = len(names) * len(samples)

    def split(cpus: int) -> list[Shard]:
        parts = max(1, min(shards or 2 * cpus, len(samples) // MIN_SHARD or 1))
        bounds = shard_bounds(path, parts)
        if bounds is None:
            raise BenchError(f"--engine ray reads shards of a JSON-lines file; {path} is not one: convert it "
                             "(rewardsmith reads CSV, Parquet and text too) or leave --engine out")
        return [Shard.of(samples, a, b) for a, b in bounds]

    done = 0

    def report(_: Shard, result: Any) -> None:
        nonlocal done
        done += len(names) * result[0]
        if progress:
            progress(done, total)

    results = _run(spec, path, split, address, source, time_limit, memory_mb, report)
    result = ScoreMatrix(rules=names, weights=[r.effective_weight for r in spec.rules],
                         roles=[r.role for r in spec.rules], sample_ids=[s.id for s in samples], scores={})
    if sum(count for count, _, _ in results) != len(samples):
        raise BenchError(f"the Ray tasks read {sum(c for c, _, _ in results)} samples from {path} but it "
                         f"held {len(samples)} when it was loaded: was the file changed meanwhile? run again")
    merge_shards(result, _unpacked(results))
    return result


def score_file_ray(spec: RewardSpec, path: str | Path, fields: FieldMap, *, max_groups: int, seed: int = 0,
                   source: str | None = None, time_limit: float = 2.0, address: str | None = None,
                   shards: int | None = None, progress: Progress | None = None,
                   memory_mb: int = DEFAULT_MEMORY_MB) -> tuple[SampleSet, ScoreMatrix] | None:
    """``bench.score_file`` as Ray tasks: the tasks read, describe and score the shards; the same lean set and
    matrix as a local run, or None for a file the ordinary reader must read (it says what is wrong).
    `progress` gets (bytes read, file size) as shards end."""
    size = Path(path).stat().st_size
    read = 0

    def report(shard: Shard, _: Any) -> None:
        nonlocal read
        read += shard.end - shard.start
        if progress:
            progress(read, size)

    try:
        results = _run(spec, path, lambda cpus: file_shards(path, fields, shards or 2 * cpus), address, source,
                       time_limit, memory_mb, report)
    except BenchError:
        return None  # a task could not read a record: the ordinary reader says which, and where
    if results is None:
        return None
    return lean_result(spec, path, fields, _unpacked(results), max_groups, seed)


def _unpacked(results: list[Any]) -> list[Any]:
    return [(count, {n: (_worker.unpack(v, m), e, sec) for n, (v, m, e, sec) in packed.items()}, described)
            for count, packed, described in results]


def _run(spec: RewardSpec, path: str | Path, split: Callable[[int], list[Shard] | None], address: str | None,
         source: str | None, time_limit: float, memory_mb: int,
         report: Callable[[Shard, Any], None]) -> list[Any] | None:
    """The shards `split(cluster CPUs)` gives, each as a task, results in shard order (None: no shards)."""
    ray = _ray()
    address = address or os.environ.get("RAY_ADDRESS") or None
    remote = bool(address) and address.startswith("ray://")
    started = False
    if not ray.is_initialized():
        env: dict[str, Any] = {}
        if remote:
            # The tasks run on other machines: ship the file's folder and this copy of rewardsmith with the job.
            env = {"working_dir": str(Path(path).resolve().parent), "py_modules": [
                os.path.join(PACKAGE_PARENT, "rewardsmith")]}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, runtime_env=env or None)
        started = True
    try:
        code = source if source is not None else render_module(spec)
        names = [r.name for r in spec.rules]
        extra = {name: call_seconds(spec, name) for name in names}
        shards = split(int(ray.cluster_resources().get("CPU", 1)) or 1)
        if shards is None:
            return None
        there = Path(path).name if remote else str(Path(path).resolve())
        task = ray.remote(num_cpus=1, max_retries=2)(_task)
        allow = worker_env_allow(spec)
        pending = {task.remote(code, dataclasses.replace(shard, path=there), names, time_limit, extra, memory_mb,
                               allow): k for k, shard in enumerate(shards)}
        results: list[Any] = [None] * len(shards)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                k = pending.pop(ref)
                try:
                    results[k] = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise BenchError(f"a Ray task scoring bytes {shards[k].start}-{shards[k].end} of {path} "
                                     f"failed: {exc}") from None
                report(shards[k], results[k])
        return results
    finally:
        if started:
            ray.shutdown()
