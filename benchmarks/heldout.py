"""The held-out table: on each labelled real set, the offline proposal against a five-line baseline.

Proposes on one half of each set (split by group), tests the proposal as `rewardsmith test` does on
the other half, and scores the set's natural answer slot the obvious way on the same half. The
harness lives in tests/heldout/ (tests/heldout/test_heldout.py asserts the same figures).

Usage: python benchmarks/heldout.py [SET ...] [--json FILE] [--markdown]   (run from the repository root)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root holds tests/heldout

from tests.heldout.baselines import BASELINES  # noqa: E402
from tests.heldout.datasets import SETS  # noqa: E402
from tests.heldout.measure import Measurement, measure  # noqa: E402


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _share(m: Measurement) -> str:
    return "–" if m.correctness_share is None else f"{100 * m.correctness_share:.0f}%"


def _verdict(m: Measurement) -> str:
    if not m.passed:
        return "FAILED"
    return "waived" if m.waiver else "passed"


def _baseline_what(name: str) -> str:
    """The baseline's docstring summary as the table words it: "1.0 when the last … parses" -> "the last … parses"."""
    doc = (BASELINES[SETS[name].baseline].__doc__ or "").strip().splitlines()[0].rstrip(".").replace("``", "`")
    doc = doc.removeprefix("1.0 when ")
    return doc[:1].lower() + doc[1:]


def _cpu() -> str:
    """The processor's model name (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def _machine() -> str:
    return f"{_cpu()} ({platform.machine()}, {os.cpu_count()} cores), Python {platform.python_version()}"


def _markdown(measured: list[Measurement]) -> str:
    lines = [
        "| set | domain | N held out | proposed (held-out AUC) | baseline AUC | baseline | correctness share | "
        "`test` |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for m in measured:
        lines.append(f"| {m.name} | {SETS[m.name].domain} | {m.n} | {_fmt(m.proposed_auc)} | {_fmt(m.baseline_auc)} | "
                     f"{_baseline_what(m.name)} | {_share(m)} | {_verdict(m)} |")
    lines.append(f"\nMeasured {datetime.date.today().isoformat()} on {_machine()}.")
    return "\n".join(lines)


def rows(sets: list[str] | None = None) -> list[dict]:
    """The rows benchmarks/run.py collects: per set, the proposal's held-out AUC against the baseline's."""
    out = []
    for name in sets or list(SETS):
        m = measure(name)
        print(f"{name}: proposed {_fmt(m.proposed_auc)}, baseline {_fmt(m.baseline_auc)}, {_verdict(m)}", flush=True)
        out.append(dict(figure=f"held-out {name} ({m.n} samples): offline proposal, AUC vs the baseline's",
                        target="rewardsmith test passes", met=m.passed,
                        measured=f"AUC {_fmt(m.proposed_auc)} vs {_fmt(m.baseline_auc)}, {_verdict(m)}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", choices=[[], *SETS], default=[], metavar="SET",
                        help=f"sets to measure (default all: {', '.join(SETS)})")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("--markdown", action="store_true", help="also print the table as the README shows it")
    args = parser.parse_args()
    measured = []
    print(f"{'set':<20} {'domain':<16} {'N':>5}  {'proposed AUC':>12}  {'baseline AUC':>12}  "
          f"{'correctness share':>17}  test")
    for name in args.sets or list(SETS):
        m = measure(name)
        print(f"{name:<20} {SETS[name].domain:<16} {m.n:>5}  {_fmt(m.proposed_auc):>12}  "
              f"{_fmt(m.baseline_auc):>12}  {_share(m):>17}  {_verdict(m)}", flush=True)
        measured.append(m)
    for m in measured:
        print(f"\n{m.name}: {', '.join(m.row()['rules']) or 'no proposal'}")
        if m.waiver:
            print(f"  waived: {m.waiver}")
        for failure in m.failures:
            print(f"  ✘ {failure}")
    if args.markdown:
        print("\n" + _markdown(measured))
    if args.json:
        args.json.write_text(json.dumps([m.row() for m in measured], indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
