"""The import-layer contracts in pyproject.toml ([tool.importlinter]) hold, and they would see a violation.

`lint-imports` runs here so the README's test command, which CI runs, checks the layers: kinds < spec < render
< bench < checks < diagnostics < export < propose < workbench < cli | tui, and nothing headless imports textual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The installed console script's code, run with this interpreter (the script may not be on PATH in a venv).
LINT = [sys.executable, "-c",
        "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def _lint(checkout: Path) -> subprocess.CompletedProcess[str]:
    # The checkout first on the path: grimp must analyse these files, not an installed copy elsewhere.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([*LINT, "--no-cache"], capture_output=True, text=True, cwd=checkout, env=env, timeout=300)


def test_the_import_contracts_are_kept():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_headless_module_importing_textual_breaks_the_contracts(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "pyproject.toml", checkout)
    shutil.copytree(ROOT / "rewardsmith", checkout / "rewardsmith", ignore=shutil.ignore_patterns("__pycache__"))
    fsutil = checkout / "rewardsmith" / "fsutil.py"
    fsutil.write_text(fsutil.read_text(encoding="utf-8") + "\nimport textual  # noqa\n", encoding="utf-8")
    state = checkout / "rewardsmith" / "workbench" / "state.py"
    state.write_text(state.read_text(encoding="utf-8") + "\nfrom .. import cli  # noqa\n", encoding="utf-8")
    done = _lint(checkout)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "rewardsmith.fsutil -> textual" in done.stdout
    assert "rewardsmith.workbench.state -> rewardsmith.cli" in done.stdout
    assert "0 kept, 4 broken" in done.stdout  # each contract sees one of the two
