"""How long `rewardsmith test` takes on 10,000 samples, and where the time goes.

Builds N samples by cycling a bundled demo set (fresh ids and groups of the same size), proposes a
spec offline on the original set, then times, side by side in one run:
  - the whole command as a user runs it (`rewardsmith test spec samples --json`), in a subprocess;
  - its parts in-process: loading, rendering, scoring in the bench worker, building the report;
  - the same rules called in-process with no worker, as the floor the worker's overhead is measured against.

Usage: python benchmarks/bench_cli.py [--samples 10000] [--set search|math|maze]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

from _samples import build_file  # benchmarks/ is on sys.path when a script here runs
from rewardsmith.bench import score_samples
from rewardsmith.checks import build_report
from rewardsmith.demo import DEMO_SETS, demo_path
from rewardsmith.propose import propose_offline
from rewardsmith.render import render_module
from rewardsmith.samples import load_samples
from rewardsmith.spec import save_spec


TARGET = 1.5  # issue 11, target 2: the whole command at most 1.5x one in-process call of its rules


def measure(samples: int = 10_000, set_name: str = "search") -> dict[str, float]:
    """Time the command and its parts (printing them); returns the whole command's and the direct call's seconds."""
    args = argparse.Namespace(samples=samples, set=set_name)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "samples.jsonl"
        build_file(args.set, args.samples, data)
        spec = propose_offline(load_samples(demo_path(args.set)), name=f"{args.set}-bench")
        spec_path = tmp_path / "spec.yaml"
        save_spec(spec, spec_path)
        print(f"{args.samples} samples from the {args.set} demo set, {len(spec.rules)} rules "
              f"({', '.join(r.kind for r in spec.rules)})")

        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "rewardsmith", "test", str(spec_path), str(data),
                               "--json", str(tmp_path / "r.json")], capture_output=True, text=True)
        whole = time.perf_counter() - began
        print(f"  rewardsmith test (whole command, exit {done.returncode}): {whole:6.2f} s")

        t = time.perf_counter()
        samples = load_samples(data)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        source = render_module(spec)
        t_render = time.perf_counter() - t
        t = time.perf_counter()
        matrix = score_samples(spec, samples, source=source)
        t_score = time.perf_counter() - t
        t = time.perf_counter()
        build_report(spec, samples, matrix)
        t_report = time.perf_counter() - t
        print(f"  load {t_load:6.2f} s   render {t_render:6.3f} s   score (worker) {t_score:6.2f} s   "
              f"report {t_report:6.2f} s")

        module = types.ModuleType("rewards")
        exec(compile(source, "rewards.py", "exec"), module.__dict__)
        columns = {c: [s.refs.get(c) for s in samples] for c in samples.columns}
        t = time.perf_counter()
        for fn in module.REWARD_FUNCS:
            fn(prompts=[s.prompt for s in samples], completions=[s.completion for s in samples], **columns)
        t_direct = time.perf_counter() - t
        print(f"  the same rules in-process, no worker: {t_direct:6.2f} s  "
              f"(worker / direct = {t_score / t_direct:4.1f}x)")
        for rule in spec.rules:
            print(f"    {rule.name:<24} {matrix.us_per_call(rule.name):8.1f} µs per sample")
    return {"whole": whole, "direct": t_direct, "exit": float(done.returncode)}


def rows(samples: int = 10_000, set_name: str = "search") -> list[dict]:
    """The row benchmarks/run.py collects."""
    m = measure(samples, set_name)
    ratio = m["whole"] / m["direct"]
    return [dict(figure=f"rewardsmith test, whole command / one in-process call of its rules, {samples:,} {set_name}",
                 target=f"≤ {TARGET}×", measured=f"{ratio:.1f}× ({m['whole']:.2f} s / {m['direct']:.2f} s)"
                 + ("" if m["exit"] == 0 else f" (exit {m['exit']:.0f})"), met=ratio <= TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--set", default="search", choices=DEMO_SETS)
    args = parser.parse_args()
    measure(args.samples, args.set)


if __name__ == "__main__":
    main()
