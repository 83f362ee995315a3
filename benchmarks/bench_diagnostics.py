"""How long the diagnostics that read every sample take (GRPO signal, weights), at 100,000 samples.

Cycles a bundled demo set to N samples (fresh ids and groups per copy, as bench_cli.py does) and
cycles its scores with it: a copy scores what its original scores, so the matrix is exact without
scoring N samples in the worker. Then times, in-process: TRL's advantages once, the GRPO section,
the weights section, and the whole diagnose() (which also scores the bounded variant, probe, lint
and contract completions in the worker).

Usage: python benchmarks/bench_diagnostics.py [--samples 100000] [--set math|search|maze] [--preset unsloth-gsm8k]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rewardsmith.bench import ScoreMatrix, score_samples
from rewardsmith.diagnostics import diagnose, grpo, trl_advantages, weights
from rewardsmith.diagnostics._common import Context, Scored
from rewardsmith.diagnostics.diagnostic import Plan
from rewardsmith.presets import load_preset
from rewardsmith.samples import demo_path, load_samples
from _samples import build_file  # benchmarks/ is on sys.path when a script here runs


def _timed(label: str, fn) -> object:
    began = time.perf_counter()
    out = fn()
    print(f"  {label:<34} {time.perf_counter() - began:7.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--set", default="math", choices=["search", "math", "maze"])
    parser.add_argument("--preset", default="unsloth-gsm8k")
    args = parser.parse_args()

    spec = load_preset(args.preset)
    base = load_samples(demo_path(args.set))
    base_matrix = score_samples(spec, base)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.jsonl"
        build_file(args.set, args.samples, path)
        samples = load_samples(path)
    n = len(samples)
    matrix = ScoreMatrix(
        rules=base_matrix.rules, weights=base_matrix.weights, roles=base_matrix.roles,
        sample_ids=[s.id for s in samples],
        scores={r: [col[i % len(base)] for i in range(n)] for r, col in base_matrix.scores.items()},
    )
    groups = list(samples.groups().values())
    rows = [[matrix.scores[r][i] for r in matrix.rules] for i in range(n)]
    print(f"{n} samples from the {args.set} demo set, {len(groups)} groups, {len(spec.rules)} rules ({args.preset})")
    ctx = Context(spec, samples, matrix, "")
    _timed("trl_advantages (one setting)", lambda: trl_advantages(rows, matrix.weights, groups))
    _timed("GRPO section (grpo.conclude)", lambda: grpo.conclude(ctx, Plan(), Scored()))
    _timed("weights section (weights.conclude)", lambda: weights.conclude(ctx, Plan(), Scored()))
    _timed("diagnose() as a whole", lambda: diagnose(spec, samples, matrix))


if __name__ == "__main__":
    main()
