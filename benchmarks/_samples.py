"""Large sample files for the benchmarks: a bundled demo set cycled to any size."""

from __future__ import annotations

import json
from pathlib import Path

from rewardsmith.demo import demo_path
from rewardsmith.samples import load_samples, sample_to_record

__all__ = ["build_file"]


def build_file(name: str, count: int, path: Path) -> None:
    """Write `count` samples cycled from the `name` demo set, with fresh ids and groups per copy."""
    base = load_samples(demo_path(name))
    with path.open("w", encoding="utf-8") as fh:
        for k in range(count):
            s = base[k % len(base)]
            record = sample_to_record(s)
            copy = k // len(base)
            record["id"] = f"{s.id}-x{copy}"
            record["group"] = f"{s.group}-x{copy}"
            fh.write(json.dumps(record) + "\n")
