#!/usr/bin/env python
"""Run every benchmark in benchmarks/ and print one table: figure, target, measured, met.

Each benchmark script (bench_*.py, heldout.py) exposes ``rows()``, a list of dicts with the keys
``figure``, ``target``, ``measured`` and ``met`` (True, False, or None for a figure without a target);
this script imports each, calls it with its defaults, and collects the rows. A benchmark that fails
shows as a row of its own, and the others still run. Exit status 1 when a target is not met or a
benchmark failed.

Usage: python benchmarks/run.py [NAME ...]     (names without .py, e.g. bench_module; default: all)
       python benchmarks/run.py --markdown      (also print the table as Markdown, for the README)
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEYS = ("figure", "target", "measured", "met")


def benchmarks() -> list[str]:
    """The benchmark modules here, by name: every bench_*.py, then heldout.py."""
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return names + (["heldout"] if (HERE / "heldout.py").is_file() else [])


def collect(name: str) -> list[dict]:
    """The rows of one benchmark, checked for the agreed keys; a failure becomes a row that says so."""
    try:
        module = importlib.import_module(name)
        found = module.rows()
        for row in found:
            missing = [k for k in KEYS if k not in row]
            if missing:
                raise ValueError(f"benchmarks/{name}.py rows() gave a row without {', '.join(missing)}: {row!r}")
        return [{k: row[k] for k in KEYS} for row in found]
    except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
        traceback.print_exc()
        return [dict(figure=f"benchmarks/{name}.py", target="runs", measured=f"failed: {exc}", met=False)]


def _met(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "NO")


def table(rows: list[dict]) -> str:
    widths = [max(len(h), *(len(str(r[k])) for r in rows)) for h, k in zip(("figure", "target", "measured"), KEYS)]
    lines = [f"{'figure':<{widths[0]}}  {'target':<{widths[1]}}  {'measured':<{widths[2]}}  met"]
    lines.append("-" * (sum(widths) + 11))
    for r in rows:
        lines.append(f"{r['figure']:<{widths[0]}}  {r['target']:<{widths[1]}}  {r['measured']:<{widths[2]}}  "
                     f"{_met(r['met'])}")
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    lines = ["| figure | target | measured | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['figure']} | {r['target']} | {r['measured']} | {_met(r['met'])} |" for r in rows]
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines.append(f"\nMeasured {datetime.date.today().isoformat()} on {machine}.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all: {', '.join(benchmarks())})")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(benchmarks()))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; choose from {', '.join(benchmarks())}")
    if str(HERE) not in sys.path:  # the scripts import their helpers (_samples) from here
        sys.path.insert(0, str(HERE))
    rows = []
    for name in args.names or benchmarks():
        print(f"== {name}", flush=True)
        began = time.perf_counter()
        rows += collect(name)
        print(f"   ({time.perf_counter() - began:.0f} s)", flush=True)
    print()
    print(table(rows))
    if args.markdown:
        print("\n" + markdown(rows))
    return 1 if any(r["met"] is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
