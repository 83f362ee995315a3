"""What bounded pattern evaluation costs: the vetting trial, a search in the child, stopping a runaway pattern.

Run: ``python benchmarks/bench_patterns.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import re
import statistics
import time

from rewardsmith import patterns
from rewardsmith.patterns import PatternTimeout, find, vet_pattern

ORDINARY = [
    (r"<answer>(.*?)</answer>", ("DOTALL",)),
    (r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", ("DOTALL",)),
    (r"\w+\s+x", ()),
    (r"(\d+(?:\.\d+)?)\s*%", ()),
    (r"https?://\S+", ()),
    (r"Searching for:", ()),
]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    began = time.perf_counter()
    find(r"(a+)+$", "a" * 5)  # start the child: its start-up is paid once per process
    print(f"child start-up (first bounded call): {_ms(time.perf_counter() - began)}")

    for pattern, flags in ORDINARY:
        patterns._trials.clear()
        began = time.perf_counter()
        vet_pattern(pattern, flags)
        print(f"vet_pattern {pattern!r:58} {_ms(time.perf_counter() - began):>10}"
              f"  (in process without a trial: {patterns.runs_in_process(pattern, patterns.TRIAL_LENGTH + 8)})")

    text = "x = 12, y = 345\n" * 400
    pattern = r"(\w+)\s*=\s*(\d+)"
    for label, run in (("re.search in process", lambda: re.search(pattern, text)),
                       ("patterns.find in the child", lambda: find(pattern, text))):
        times = []
        for _ in range(50):
            began = time.perf_counter()
            run()
            times.append(time.perf_counter() - began)
        print(f"{label:28} on {len(text):,} characters: median {_ms(statistics.median(times))}")

    began = time.perf_counter()
    try:
        find(r"(a+)+$", "a" * 60 + "!", limit=1.0)
    except PatternTimeout:
        pass
    print(f"a runaway pattern stopped at a 1 s limit after {_ms(time.perf_counter() - began)} "
          "(limit, kill, and the next call starts a new child)")


if __name__ == "__main__":
    main()
