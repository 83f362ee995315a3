"""`rewardsmith test` as a whole command against one in-process call of the same rules, at 100k and 1M samples.

Issue 11 targets 2–3: the command at most 1.5× one in-process call of its rules, ≥ 1,000,000 rule evaluations
per second, and under 1 GiB peak RSS at 1,000,000 samples. For each size this builds GSM8K-style samples
reproducibly (the bundled math demo set cycled, fresh ids and groups per copy: benchmarks/_samples.py), proposes
a spec offline on the original set (three rules), then measures in one run:
  - the whole command (`python -m rewardsmith test spec samples --json r.json`), wall time;
  - its peak RSS including children: the process tree's summed RSS, polled every 20 ms with psutil;
  - one in-process call of each rule of the rendered module on all samples (no worker, no loading);
  - their ratio, and rule evaluations per second of the command (rules × samples / command time);
  - with a spec of six simple kinds (length, not_empty, contains, regex_format, exact_match, answer_shape), the
    scoring rate: rule evaluations per second of rule-call time, the workers' seconds (from the report) shared
    by the workers that ran at once; and the command's rate with those six rules.

Usage: python benchmarks/bench_test_command.py [--sizes 100000,1000000] [--workers N] [--engine local]
`rows()` returns the figures as dicts {figure, target, measured, met} for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _samples import build_file  # noqa: E402  (benchmarks/ on sys.path, also when imported by run.py)

from rewardsmith.bench import default_workers  # noqa: E402
from rewardsmith.demo import demo_path  # noqa: E402
from rewardsmith.propose import propose_offline  # noqa: E402
from rewardsmith.render import render_module  # noqa: E402
from rewardsmith.samples import load_samples  # noqa: E402
from rewardsmith.spec import RewardSpec, Rule, save_spec  # noqa: E402

__all__ = ["measure", "rows"]

SIZES = (100_000, 1_000_000)
MAX_RATIO = 1.5
MIN_EVALS = 1_000_000
MAX_RSS = 2**30


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # ended between the listing and the read
            pass
    return total


def _run_command(args: list[str]) -> tuple[float, int, int, str]:
    """(seconds, peak tree RSS in bytes, exit code, stderr tail) of one command."""
    began = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, _tree_rss(watched))
        except psutil.Error:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - began
    tail = (proc.stderr.read() if proc.stderr else "")[-2000:]
    return seconds, peak, proc.returncode, tail


def _in_process(source: str, data: Path) -> float:
    """Seconds for one call of every rule on all samples, in this process (the floor)."""
    module = types.ModuleType("rewards")
    exec(compile(source, "rewards.py", "exec"), module.__dict__)
    samples = load_samples(data)
    prompts = [s.prompt for s in samples]
    completions = [s.completion for s in samples]
    columns = {c: [s.refs.get(c) for s in samples] for c in samples.columns}
    del samples
    gc.collect()
    began = time.perf_counter()
    for fn in module.REWARD_FUNCS:
        fn(prompts=prompts, completions=completions, **columns)
    return time.perf_counter() - began


def simple_spec() -> RewardSpec:
    """Six rules of the simple kinds on the GSM8K-style samples: the proposer's two answer rules and four more."""
    mined = propose_offline(load_samples(demo_path("math")), name="gsm8k-bench")
    answer = [r for r in mined.rules if r.kind in ("exact_match", "answer_shape")]
    return RewardSpec(name="simple-kinds", rules=[
        *answer,
        Rule(name="short", kind="length", weight=0.1, params={"max_length": 2000}),
        Rule(name="says_something", kind="not_empty", weight=0.1, params={}),
        Rule(name="mentions_total", kind="contains", weight=0.1, params={"keywords": ["total"]}),
        Rule(name="ends_with_answer", kind="regex_format", weight=0.1, params={"pattern": r"</answer>\s*$"}),
    ])


def _command(spec: RewardSpec, data: Path, tmp_path: Path, extra: list[str] | None) -> tuple[float, int, dict]:
    spec_path = tmp_path / f"{spec.name}.yaml"
    save_spec(spec, spec_path)
    out = tmp_path / f"{spec.name}.json"
    seconds, peak, code, tail = _run_command(
        [sys.executable, "-m", "rewardsmith", "test", str(spec_path), str(data), "--json", str(out), *(extra or [])])
    if code not in (0, 1):
        raise RuntimeError(f"rewardsmith test exited {code}: {tail}")
    return seconds, peak, json.loads(out.read_text())


def _workers(extra: list[str] | None) -> int:
    if extra and "--workers" in extra:
        return int(extra[extra.index("--workers") + 1])
    return default_workers()


def measure(size: int, *, extra: list[str] | None = None, workdir: Path | None = None) -> dict[str, Any]:
    """Every figure at `size` samples; `extra` flags go to `rewardsmith test`."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "samples.jsonl"
        build_file("math", size, data)
        spec = propose_offline(load_samples(demo_path("math")), name="gsm8k-bench")
        seconds, peak, _ = _command(spec, data, tmp_path, extra)
        direct = _in_process(render_module(spec), data)
        simple = simple_spec()
        simple_s, _, report = _command(simple, data, tmp_path, extra)
        rule_seconds = sum(r["us_per_call"] for r in report["rules"]) * size / 1e6
        rules = len(spec.rules)
    return {"size": size, "rules": rules, "command_s": seconds, "in_process_s": direct,
            "ratio": seconds / direct, "evals_per_s": rules * size / seconds, "peak_rss": peak,
            "simple_rules": len(simple.rules), "simple_command_evals_per_s": len(simple.rules) * size / simple_s,
            "simple_scoring_evals_per_s": len(simple.rules) * size / (rule_seconds / _workers(extra))}


def rows(sizes: tuple[int, ...] = SIZES, extra: list[str] | None = None) -> list[dict[str, Any]]:
    """The figures as {figure, target, measured, met}; met is None where the issue sets no target."""
    out: list[dict[str, Any]] = []
    for size in sizes:
        m = measure(size, extra=extra)
        tag = f"test command, {size:,} samples × {m['rules']} rules"
        out += [
            {"figure": f"{tag}: command time", "target": "", "measured": f"{m['command_s']:.2f} s", "met": None},
            {"figure": f"{tag}: one in-process call", "target": "", "measured": f"{m['in_process_s']:.2f} s",
             "met": None},
            {"figure": f"{tag}: command / in-process", "target": f"≤ {MAX_RATIO}×",
             "measured": f"{m['ratio']:.2f}×", "met": m["ratio"] <= MAX_RATIO},
            {"figure": f"{tag}: rule evaluations per second, whole command", "target": "",
             "measured": f"{m['evals_per_s']:,.0f}", "met": None},
            {"figure": f"test command, {size:,} samples × {m['simple_rules']} simple-kind rules: rule evaluations "
                       "per second while scoring", "target": f"≥ {MIN_EVALS:,}",
             "measured": f"{m['simple_scoring_evals_per_s']:,.0f}",
             "met": m["simple_scoring_evals_per_s"] >= MIN_EVALS},
            {"figure": f"test command, {size:,} samples × {m['simple_rules']} simple-kind rules: rule evaluations "
                       "per second, whole command", "target": "",
             "measured": f"{m['simple_command_evals_per_s']:,.0f}", "met": None},
            {"figure": f"{tag}: peak RSS incl. children", "target": "< 1 GiB" if size >= 1_000_000 else "",
             "measured": f"{m['peak_rss'] / 2**20:,.0f} MiB",
             "met": m["peak_rss"] < MAX_RSS if size >= 1_000_000 else None},
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--workers", type=int, help="passed to rewardsmith test --workers")
    parser.add_argument("--engine", help="passed to rewardsmith test --engine")
    args = parser.parse_args()
    extra = [*(["--workers", str(args.workers)] if args.workers else []),
             *(["--engine", args.engine] if args.engine else [])]
    for size in (int(s) for s in args.sizes.split(",")):  # one size at a time: 1M takes minutes
        for row in rows((size,), extra):
            met = "" if row["met"] is None else ("met" if row["met"] else "NOT met")
            print(f"{row['figure']:<72} {row['measured']:>14}  {row['target']:<10} {met}", flush=True)


if __name__ == "__main__":
    main()
