"""The held-out table: on each labelled real set, the offline proposal against a five-line baseline.

Proposes on one half of each set (split by group), tests the proposal with the real bench on the
other half, and scores the set's natural answer slot the obvious way on the same half. The harness
lives in tests/heldout/ (tests/heldout/test_heldout.py asserts the same figures).

Usage: python benchmarks/heldout.py [SET ...] [--json FILE]   (run from the repository root)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root holds tests/heldout

from tests.heldout.datasets import SETS  # noqa: E402
from tests.heldout.measure import measure  # noqa: E402


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", choices=[[], *SETS], default=[], metavar="SET",
                        help=f"sets to measure (default all: {', '.join(SETS)})")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    rows = []
    print(f"{'set':<20} {'domain':<16} {'N':>5}  {'proposed AUC':>12}  {'baseline AUC':>12}  "
          f"{'correctness share':>17}  test")
    for name in args.sets or list(SETS):
        m = measure(name)
        share = "–" if m.correctness_share is None else f"{100 * m.correctness_share:.0f}%"
        print(f"{name:<20} {SETS[name].domain:<16} {m.n:>5}  {_fmt(m.proposed_auc):>12}  "
              f"{_fmt(m.baseline_auc):>12}  {share:>17}  {'passed' if m.passed else 'FAILED'}", flush=True)
        rows.append(m.row())
    for row in rows:
        print(f"\n{row['set']}: {', '.join(row['rules']) or 'no proposal'}")
        for failure in row["failures"]:
            print(f"  ✘ {failure}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
