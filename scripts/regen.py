#!/usr/bin/env python
"""Regenerate every file the code produces and the repository commits, or check that none would change.

    python scripts/regen.py                  # rewrite all of them, in dependency order
    python scripts/regen.py golden generated # only these targets
    python scripts/regen.py --check          # write nothing; list what would change and exit 1 if anything would

Targets, in the order they run (the exports read the demo data, so it comes first):

- ``demo-data``: ``rewardsmith/data/demo/`` from ``scripts/make_demo_data.py``;
- ``golden``: ``tests/golden/<name>.py``, every bundled preset and every spec in ``tests/golden/specs/`` rendered;
- ``generated``: ``generated/``, the exports ``rewardsmith demo`` writes;
- ``snapshots``: the TUI's SVG snapshots (``pytest tests/tui/test_snapshots.py --snapshot-update``).

The tests compare each target with a fresh build and name this script when they differ. The outputs depend only
on the code, the specs and the templates (no dates, no absolute paths): running it twice gives identical bytes.
Review the diff (``git diff``) before committing what it wrote.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SPECS = GOLDEN / "specs"
GENERATED = ROOT / "generated"
SNAPSHOT_TESTS = "tests/tui/test_snapshots.py"

if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from rewardsmith.demo import DEMO_DIR  # noqa: E402
from rewardsmith.presets import load_preset, preset_names  # noqa: E402
from rewardsmith.render import render_module  # noqa: E402
from rewardsmith.spec import RewardSpec, load_spec  # noqa: E402

__all__ = ["HEADER", "TARGETS", "FileTarget", "golden_modules", "golden_specs", "main", "module_name", "text_diff"]

HEADER = {"Golden": "a test fixture; regenerate with python scripts/regen.py golden and review the diff"}
DIFF_LINES = 60  # of each differing text file in --check output; git diff shows the rest after a rewrite


# ------------------------------------------------------------------ golden modules


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


# ------------------------------------------------------------------ file targets


def _files_under(folder: Path, pattern: str) -> dict[str, bytes]:
    """Relative path -> bytes of every file matching `pattern` under `folder` (caches left out)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob(pattern))
            if p.is_file() and "__pycache__" not in p.parts}


def _build_demo_data() -> dict[str, bytes]:
    spec = importlib.util.spec_from_file_location("_rewardsmith_make_demo_data", ROOT / "scripts" / "make_demo_data.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with tempfile.TemporaryDirectory() as tmp:
        script.main(tmp)
        return _files_under(Path(tmp), "*")


def _build_golden() -> dict[str, bytes]:
    return {name: source.encode("utf-8") for name, source in golden_modules().items()}


def _build_generated() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "rewardsmith", "demo", "--out", tmp], cwd=ROOT, env=_env(),
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"rewardsmith demo failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")
        return _files_under(Path(tmp), "**/*")


class FileTarget:
    """Files under `folder` matching `pattern` that `build` produces, all of them: others there are stale."""

    def __init__(self, folder: Path, pattern: str, build: Callable[[], dict[str, bytes]]) -> None:
        self.folder, self.pattern, self.build = folder, pattern, build

    def changes(self) -> list[tuple[str, str]]:
        """(path from the repository root, what would change) for every file that would be written or removed."""
        expected, current = self.build(), _files_under(self.folder, self.pattern)
        found = []
        for name in sorted(expected.keys() | current.keys()):
            shown = _shown(self.folder / name)
            if name not in current:
                found.append((shown, "missing"))
            elif name not in expected:
                found.append((shown, "stale: nothing produces it"))
            elif current[name] != expected[name]:
                found.append((shown, "differs" + text_diff(shown, current[name], expected[name])))
        return found

    def write(self) -> list[str]:
        """Bring the folder in line with a fresh build; returns what was written or removed."""
        expected, current = self.build(), _files_under(self.folder, self.pattern)
        done = []
        for name, data in expected.items():
            if current.get(name) != data:
                path = self.folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                done.append(f"wrote {_shown(path)}")
        for name in sorted(current.keys() - expected.keys()):
            (self.folder / name).unlink()
            done.append(f"removed {_shown(self.folder / name)}")
        return done


def _shown(path: Path) -> str:
    """A path as the user sees it: from the repository root when it is inside it."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def text_diff(shown: str, old: bytes, new: bytes) -> str:
    """':' and a unified diff of the first DIFF_LINES lines from `old` to `new`, or ' (binary)'."""
    try:
        before, after = old.decode("utf-8"), new.decode("utf-8")
    except UnicodeDecodeError:
        return " (binary)"
    lines = list(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                      f"{shown} (on disk)", f"{shown} (fresh)", n=1))
    cut = f"... {len(lines) - DIFF_LINES} more diff lines\n" if len(lines) > DIFF_LINES else ""
    return ":\n" + "".join(lines[:DIFF_LINES]) + cut


# ------------------------------------------------------------------ snapshots


def _env() -> dict[str, str]:
    """This checkout first on the path, so subprocesses use its rewardsmith whatever is installed."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


class SnapshotTarget:
    """The TUI snapshots: syrupy decides what differs, so this runs the snapshot tests."""

    def _pytest(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", SNAPSHOT_TESTS,
                               *args], cwd=ROOT, env=_env(), capture_output=True, text=True)

    def changes(self) -> list[tuple[str, str]]:
        report = Path(tempfile.gettempdir()) / "rewardsmith-snapshot-report.html"
        done = self._pytest(f"--snapshot-report={report}")
        if done.returncode == 0:
            return []
        failed = [line.split(" ", 1)[1].split(" - ")[0] for line in done.stdout.splitlines()
                  if line.startswith("FAILED ")]
        unused = [line.strip() for line in done.stdout.splitlines() if "unused" in line and "snapshot" in line]
        if not failed and not unused:
            raise SystemExit(f"the snapshot tests did not run:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        where = f" (side by side: {report})" if report.is_file() else ""
        return [(name, "differs" + where) for name in failed] + [(SNAPSHOT_TESTS, line) for line in unused]

    def write(self) -> list[str]:
        done = self._pytest("--snapshot-update")
        if done.returncode != 0:
            raise SystemExit(f"updating the snapshots failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        summary = [line for line in done.stdout.splitlines() if "snapshot" in line and ("updated" in line
                   or "generated" in line or "deleted" in line)]
        return summary or ["snapshots up to date"]


TARGETS: dict[str, FileTarget | SnapshotTarget] = {
    "demo-data": FileTarget(DEMO_DIR, "*", _build_demo_data),
    "golden": FileTarget(GOLDEN, "*.py", _build_golden),
    "generated": FileTarget(GENERATED, "**/*", _build_generated),
    "snapshots": SnapshotTarget(),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"what to regenerate: {', '.join(TARGETS)} (default: all, in this order)")
    parser.add_argument("--check", action="store_true", help="write nothing; list what would change, exit 1 if any")
    args = parser.parse_args(argv)
    unknown = [name for name in args.targets if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    chosen = [name for name in TARGETS if name in args.targets] if args.targets else list(TARGETS)
    if args.check:
        found = [(name, path, what) for name in chosen for path, what in TARGETS[name].changes()]
        for name, path, what in found:
            print(f"[{name}] {path}: {what}")
        if found:
            stale = [name for name in TARGETS if any(name == target for target, _, _ in found)]
            print(f"{len(found)} file(s) out of date; run python scripts/regen.py {' '.join(stale)} "
                  "and review the diff")
            return 1
        print(f"up to date: {', '.join(chosen)}")
        return 0
    for name in chosen:
        for line in TARGETS[name].write() or ["up to date"]:
            print(f"[{name}] {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
