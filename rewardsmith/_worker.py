"""The bench's worker process: loads a rendered module and calls its rules on sample batches.

Standard library only, and run as a script (``python -I _worker.py FD MEMORY_MB``) with a minimal environment
the bench chose, so a spec's code never sees the user's API keys, starts fast, and lives under a memory limit
(RLIMIT_AS) it sets on itself before it reads anything. It talks to the bench over the socket FD:
  ("load", source)                      -> ("ok", rule names) | ("error", message)
  ("data", prompts, completions, cols)  -> ("ok", count)
  ("file", package_dir, path, fields, end, cols, describe)
                                        -> ("ok", 0): the worker will read the samples file itself, up to byte
                                           `end` (rewardsmith.samples.read_chunk, imported from package_dir), so
                                           no sample is pickled through the socket; with `describe`, it also
                                           tells what it read (rewardsmith.lean.describe_chunk)
  ("next", offset, limit, rows)         -> ("ok", count, next offset, description or None): holds the next
                                           `limit` samples or so from byte `offset` (and only those: memory stays
                                           flat), replacing the last; `rows`: records of the shard before it
  ("call", rule, start, stop, cpu)      -> ("ok", scores, seconds) | ("error", message)
  ("call_one", rule, index, cpu)        -> the same for one sample
  ("stop",)                             -> exits
Scores travel as compact arrays: (array('d') bytes, bytes with 1 where the score is None). `cpu` is the
call's CPU-time allowance in seconds: RLIMIT_CPU is set that far above what the worker has used, so a call
that spins past it is killed by the kernel even if nothing watches the clock.
"""

from __future__ import annotations

import gc
import math
import sys
import time
import traceback
import types
from array import array
from typing import Any

__all__ = ["limit_cpu", "limit_memory", "pack", "serve", "unpack"]


def pack(scores: list[float | None]) -> tuple[bytes, bytes]:
    """Scores as (float64 bytes, None mask): a tenth of a pickled list, and as fast to read back."""
    values = array("d", [0.0 if v is None else v for v in scores])
    return values.tobytes(), bytes(v is None for v in scores)


def unpack(values: bytes, nones: bytes) -> list[float | None]:
    floats = array("d")
    floats.frombytes(values)
    out: list[float | None] = floats.tolist()
    if any(nones):
        for i, missing in enumerate(nones):
            if missing:
                out[i] = None
    return out


def limit_cpu(seconds: float) -> None:
    """Let this process use `seconds` more CPU time (RLIMIT_CPU soft limit); past it the kernel stops it.

    The limit counts the whole life of the process, so it is moved before every call. 0: no limit.
    """
    try:
        import resource
    except ImportError:  # not on this platform: the bench's wall-clock limit still holds
        return
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if seconds <= 0:
        soft = hard
    else:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if frame.filename == "<rewards>":
            where = f" (rewards.py line {frame.lineno}: {frame.line or ''})"
            break
    return f"{type(exc).__name__}: {exc}{where}"


def _check(scores: Any, count: int) -> list[float | None]:
    if not isinstance(scores, list) or len(scores) != count:
        size = len(scores) if isinstance(scores, list) else type(scores).__name__
        raise ValueError(f"returned {size} scores for {count} completions")
    out: list[float | None] = []
    for value in scores:
        if value is None:
            out.append(None)
        elif isinstance(value, (int, float)):
            out.append(float(value))
        else:
            raise TypeError(f"returned a {type(value).__name__}, not a float or None")
    return out


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (0: no cap); a rule that allocates past it gets MemoryError."""
    if megabytes <= 0:
        return
    try:
        import resource
    except ImportError:  # not on this platform: the per-call time limit still holds
        return
    cap = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def serve(conn: Any) -> None:  # pragma: no cover - runs in the child process
    module: types.ModuleType | None = None
    prompts: list[Any] = []
    completions: list[Any] = []
    columns: dict[str, list[Any]] = {}
    funcs: dict[str, Any] = {}
    shard: tuple[Any, ...] = ()

    def call(name: str, start: int, stop: int, cpu: float) -> tuple[Any, ...]:
        fn = funcs[name]
        kwargs = {k: v[start:stop] for k, v in columns.items()}
        limit_cpu(cpu)
        began = time.perf_counter()
        try:
            scores = fn(prompts=prompts[start:stop], completions=completions[start:stop], **kwargs)
            if hasattr(scores, "__await__"):  # an async rule (the LLM judge): run it to the end here
                import asyncio

                scores = asyncio.run(_awaited(scores))
            checked = _check(scores, stop - start)
        except Exception as exc:  # a rule's failure is data for the report, not a crash
            return ("error", _describe(exc))
        finally:
            limit_cpu(0)  # the allowance is the call's: reading the next samples is not charged to it
        return ("ok", *pack(checked), time.perf_counter() - began)

    while True:
        # Unpickling 100,000 samples allocates millions of objects; the cyclic GC would rescan
        # them again and again while they arrive (three times slower), and they hold no cycles.
        gc.disable()
        try:
            message = conn.recv()
        except EOFError:
            return
        finally:
            gc.enable()
        op = message[0]
        if op == "stop":
            return
        if op == "load":
            module = types.ModuleType("rewards")
            try:
                exec(compile(message[1], "<rewards>", "exec"), module.__dict__)
                sys.modules["rewards"] = module
                funcs = {f.__name__: f for f in module.__dict__["REWARD_FUNCS"]}
                conn.send(("ok", list(funcs)))
            except Exception as exc:
                conn.send(("error", _describe(exc)))
        elif op == "data":
            prompts, completions, columns = message[1], message[2], message[3]
            conn.send(("ok", len(completions)))
        elif op == "file":
            shard = message[1:]
            prompts, completions, columns = [], [], {}
            conn.send(("ok", 0))
        elif op == "next":
            prompts = completions = []
            columns = {}
            try:
                prompts, completions, columns, offset, described = _read_chunk(*shard, *message[1:4])
            except Exception as exc:  # a bad record: the bench reads the file the ordinary way to say where
                conn.send(("error", _describe(exc)))
            else:
                conn.send(("ok", len(completions), offset, described))
        elif op == "call":
            conn.send(call(message[1], message[2], message[3], message[4]))
        elif op == "call_one":
            conn.send(call(message[1], message[2], message[2] + 1, message[3]))


def _read_chunk(package_dir: str, path: str, fields: dict[str, Any], end: int, names: list[str], describe: bool,
                offset: int, limit: int, rows: int) -> tuple[list[Any], list[Any], dict[str, list[Any]], int, Any]:
    """Prompts, completions and reference columns of one chunk, read by the samples module of the bench's tree,
    and with `describe` what the main process keeps of them (rewardsmith.lean)."""
    # -I left the tree out of sys.path (and an installed rewardsmith may be another copy): use the bench's.
    if package_dir not in sys.path:
        sys.path.insert(0, package_dir)
    from rewardsmith.samples import FieldMap, read_chunk

    described = None
    gc.disable()  # thousands of new objects, no cycles among them: the cyclic GC would only rescan them
    try:
        if describe:
            from rewardsmith.lean import describe_chunk

            chunk, offset, described = describe_chunk(path, FieldMap(**fields), offset, end, limit, rows)
        else:
            chunk, offset = read_chunk(path, FieldMap(**fields), offset, end, limit)
    finally:
        gc.enable()
    columns = {c: [s.refs.get(c) for s in chunk] for c in names}
    return [s.prompt for s in chunk], [s.completion for s in chunk], columns, offset, described


def main(argv: list[str]) -> None:  # pragma: no cover - runs in the child process
    from multiprocessing.connection import Connection

    fd, megabytes = int(argv[1]), int(argv[2])
    limit_memory(megabytes)
    conn = Connection(fd)
    try:
        serve(conn)
    finally:
        conn.close()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
