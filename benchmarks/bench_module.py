"""How long a generated reward module takes against the hand-written originals, on the same 100,000 completions.

For each preset with originals in tests/originals/ (unsloth-gsm8k on the math demo set, alphamaze on the maze
set, seed-exact-retry on the search set) and for the offline proposal on the math set, builds N samples with
benchmarks/_samples.py (the demo set cycled, so the same N always gives the same batch), and times one TRL step
as GRPOTrainer runs it: every function of the module called in turn on the one batch. The generated module
starts each step with an empty batch cache (a fresh batch, as in training); the originals and the generated
module take turns, several repeats, and the best of each is kept. Scores are compared value for value.

The proposal has no originals: it is timed against the unsloth-gsm8k originals on the same math completions
(the hand-written rewards for that data), and against itself with the shared reading turned off (the cache
emptied before every function, so each rule reads the batch on its own, as modules did before).

Usage: python benchmarks/bench_module.py [--samples 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
import types
from pathlib import Path

from _samples import build_file  # benchmarks/ is on sys.path when a script here runs
from rewardsmith.demo import demo_path
from rewardsmith.presets import load_preset
from rewardsmith.propose import propose_offline
from rewardsmith.render import render_module
from rewardsmith.samples import load_samples

__all__ = ["CASES", "TARGET", "main", "measure", "rows"]

ORIGINALS = Path(__file__).resolve().parents[1] / "tests" / "originals"
TARGET = 0.5  # issue 11, target 1: a generated module at most half the originals' time
# preset -> (originals in tests/originals/, demo set, the column the originals read, the demo column it holds)
CASES = {
    "unsloth-gsm8k": ("unsloth_gsm8k", "math", "answer", "answer"),
    "alphamaze": ("alphamaze", "maze", "answer", "answer"),
    "seed-exact-retry": ("seed_exact_retry", "search", "expected_result", "answer"),
}


def _original(stem: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_original_{stem}", ORIGINALS / f"{stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generated(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def _as_messages(completion):
    """The shape the originals read (completion[0]["content"]): a message list; the text stays the same."""
    if isinstance(completion, str):
        return [{"role": "assistant", "content": completion}]
    if isinstance(completion, dict):
        return list(completion["messages"])
    return completion


def _batch(demo: str, n: int, folder: Path, column: str, source_column: str) -> tuple[list, list, dict]:
    path = folder / f"{demo}-{n}.jsonl"
    if not path.exists():
        build_file(demo, n, path)
    samples = load_samples(path)
    prompts = [s.prompt for s in samples]
    completions = [_as_messages(s.completion) for s in samples]
    return prompts, completions, {column: [s.refs.get(source_column) for s in samples]}


def _step(module: types.ModuleType, prompts: list, completions: list, columns: dict, shared: bool = True):
    """One TRL step: every reward function on the batch; returns (seconds, scores)."""
    cache = getattr(module, "_BATCHES", None)
    if cache is not None:
        cache.clear()  # a fresh batch, as each training step brings
    began = time.perf_counter()
    out = []
    for fn in module.REWARD_FUNCS:
        if not shared and cache is not None:
            cache.clear()
        out.append(fn(prompts=prompts, completions=completions, **columns))
    return time.perf_counter() - began, out


def _race(contenders: dict, prompts: list, completions: list, columns: dict, repeat: int) -> dict[str, float]:
    """Best time of each contender (name -> (module, shared)), taking turns so load hits them alike."""
    best = {name: float("inf") for name in contenders}
    for _ in range(repeat):
        for name, (module, shared) in contenders.items():
            seconds, _ = _step(module, prompts, completions, columns, shared)
            best[name] = min(best[name], seconds)
    return best


def measure(n: int = 100_000, repeat: int = 5) -> list[dict]:
    """The figures: one dict per comparison (what, rules, seconds of each side, ratio, same scores)."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for preset, (stem, demo, column, source_column) in CASES.items():
            prompts, completions, columns = _batch(demo, n, folder, column, source_column)
            original = _original(stem)
            generated = _generated(render_module(load_preset(preset)), preset.replace("-", "_"))
            same = (_step(original, prompts, completions, columns)[1]
                    == _step(generated, prompts, completions, columns)[1])
            best = _race({"original": (original, True), "generated": (generated, True)},
                         prompts, completions, columns, repeat)
            found.append(dict(what=f"{preset} module / its originals", demo=demo, rules=len(generated.REWARD_FUNCS),
                              baseline=best["original"], generated=best["generated"],
                              ratio=best["generated"] / best["original"], same=same))
        prompts, completions, columns = _batch("math", n, folder, "answer", "answer")
        spec = propose_offline(load_samples(demo_path("math")), name="math-proposed")
        proposed = _generated(render_module(spec), "math_proposed")
        original = _original("unsloth_gsm8k")
        best = _race({"original": (original, True), "generated": (proposed, True), "unshared": (proposed, False)},
                     prompts, completions, columns, repeat)
        found.append(dict(what=f"math proposal ({len(spec.rules)} rules) / unsloth-gsm8k originals (5)", demo="math",
                          rules=len(spec.rules), baseline=best["original"], generated=best["generated"],
                          ratio=best["generated"] / best["original"], same=None,
                          informative=True))  # other rules than the originals': a figure, not the target
        found.append(dict(what="math proposal, shared reading / each rule reading alone", demo="math",
                          rules=len(spec.rules), baseline=best["unshared"], generated=best["generated"],
                          ratio=best["generated"] / best["unshared"], same=None, informative=True))
    return found


def rows(n: int = 100_000, repeat: int = 5) -> list[dict]:
    """The rows benchmarks/run.py collects: figure, target, measured, met."""
    out = []
    for m in measure(n, repeat):
        wrong = m["same"] is False
        informative = m.get("informative", False)
        out.append(dict(
            figure=f"generated module time: {m['what']}, {n:,} completions",
            target="–" if informative else f"≤ {TARGET}×",
            measured=f"{m['ratio']:.2f}× ({m['generated'] * 1e3:.0f} ms / {m['baseline'] * 1e3:.0f} ms)"
                     + (" SCORES DIFFER" if wrong else ""),
            met=None if informative else m["ratio"] <= TARGET and not wrong,
        ))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    measured = measure(args.samples, args.repeat)
    print(f"{args.samples:,} completions per batch, best of {args.repeat} steps each, taking turns")
    print(f"{'comparison':<66} {'rules':>5} {'generated':>10} {'baseline':>10} {'ratio':>6}  "
          f"{'target':>6}  met  same scores")
    for m in measured:
        same = "–" if m["same"] is None else ("yes" if m["same"] else "NO")
        met = "–" if m.get("informative") else "yes" if m["ratio"] <= TARGET and m["same"] is not False else "no"
        print(f"{m['what']:<66} {m['rules']:>5} {m['generated'] * 1e3:>7.0f} ms {m['baseline'] * 1e3:>7.0f} ms "
              f"{m['ratio']:>5.2f}×  {TARGET:>5}×  {met:<4} {same}")


if __name__ == "__main__":
    main()
