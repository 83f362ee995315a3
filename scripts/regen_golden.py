#!/usr/bin/env python
"""Render the golden modules: every bundled preset and every spec in tests/golden/specs/.

    python scripts/regen_golden.py          # (re)write tests/golden/<name>.py
    python scripts/regen_golden.py --check  # exit 1 and list the differences, write nothing

tests/test_render.py compares the files with a fresh render, so any change to the templates, the
kinds or the presets shows up as a diff of generated code to review. The output depends only on
the specs and the templates (no dates, no paths): running it twice gives identical bytes.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SPECS = GOLDEN / "specs"

if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from rewardsmith.presets import load_preset, preset_names  # noqa: E402
from rewardsmith.render import render_module  # noqa: E402
from rewardsmith.spec import RewardSpec, load_spec  # noqa: E402

HEADER = {"Golden": "a test fixture; regenerate with python scripts/regen_golden.py and review the diff"}


def module_name(spec_name: str) -> str:
    """The import name of a golden module: the spec name with - and . as _."""
    name = spec_name.replace("-", "_").replace(".", "_")
    if not name.isidentifier():
        name = "golden_" + name
    return name


def golden_specs() -> dict[str, RewardSpec]:
    """Module name -> spec: the presets first, then tests/golden/specs/*.yaml, sorted."""
    specs: dict[str, RewardSpec] = {}
    sources: dict[str, str] = {}
    candidates = [(f"preset {n}", load_preset(n)) for n in preset_names()]
    candidates += [(str(p.relative_to(ROOT)), load_spec(p)) for p in sorted(SPECS.glob("*.yaml"))]
    for source, spec in candidates:
        name = module_name(spec.name)
        if name in specs:
            raise SystemExit(f"{source} and {sources[name]} both render to tests/golden/{name}.py; rename one spec")
        specs[name], sources[name] = spec, source
    return specs


def golden_modules() -> dict[str, str]:
    """File name (under tests/golden/) -> the module source it must hold."""
    return {f"{name}.py": render_module(spec, module_name=name, header=HEADER) for name, spec in golden_specs().items()}


def differences(expected: dict[str, str]) -> list[tuple[str, str]]:
    """(file name, what is wrong) for every golden file that differs from `expected`."""
    found = []
    on_disk = {p.name for p in GOLDEN.glob("*.py")}
    for name, source in expected.items():
        path = GOLDEN / name
        if not path.is_file():
            found.append((name, "missing"))
            continue
        current = path.read_bytes().decode("utf-8")
        if current != source:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True), source.splitlines(keepends=True),
                f"tests/golden/{name} (on disk)", f"tests/golden/{name} (fresh render)", n=1,
            )
            found.append((name, "differs:\n" + "".join(diff)))
    for name in sorted(on_disk - set(expected)):
        found.append((name, "stale: no preset or spec renders it"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="list differences and exit 1 instead of writing")
    args = parser.parse_args(argv)
    expected = golden_modules()
    found = differences(expected)
    if args.check:
        for name, what in found:
            print(f"tests/golden/{name}: {what}")
        if found:
            print(f"{len(found)} golden file(s) out of date; run python scripts/regen_golden.py and review the diff")
            return 1
        print(f"{len(expected)} golden files up to date")
        return 0
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, what in found:
        path = GOLDEN / name
        if what.startswith("stale"):
            path.unlink()
            print(f"removed tests/golden/{name}")
        else:
            path.write_bytes(expected[name].encode("utf-8"))
            print(f"wrote tests/golden/{name}")
    if not found:
        print(f"{len(expected)} golden files up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
