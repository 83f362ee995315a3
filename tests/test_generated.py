"""generated/ holds the exports of the demo specs: they must be exactly what the code produces now.

A change to a template, a kind, the proposer or the demo data that alters an export fails here;
regenerate with `python scripts/regen.py generated` and review the diff before committing.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rewardsmith.cli import cli
from rewardsmith.export import check_export

GENERATED = Path(__file__).resolve().parents[1] / "generated"
EXPORTS = sorted(p for p in GENERATED.iterdir() if p.is_dir()) if GENERATED.is_dir() else []


def test_generated_holds_the_demo_exports():
    names = {p.name for p in EXPORTS}
    assert {"search-demo", "math-demo", "maze-demo", "unsloth-gsm8k", "alphamaze"} <= names


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_each_export_rerenders_and_rescores_without_drift(export):
    result = check_export(export)
    assert not result.module_diff, (
        f"{export.name}: module drift; run `python scripts/regen.py generated` and review\n{result.module_diff}")
    assert not result.drift, f"{export.name}: score drift {result.drift[:5]}"


def test_demo_reproduces_generated_byte_for_byte(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    fresh = sorted(p.name for p in tmp_path.iterdir())
    assert fresh == [p.name for p in EXPORTS]
    for export in EXPORTS:
        cmp = filecmp.dircmp(export, tmp_path / export.name, ignore=["__pycache__"])
        assert not (cmp.diff_files or cmp.left_only or cmp.right_only), (
            f"{export.name} differs from a fresh `rewardsmith demo` "
            f"(changed {cmp.diff_files}, only committed {cmp.left_only}, only fresh {cmp.right_only}); "
            "regenerate with `python scripts/regen.py generated` and review the diff"
        )


def test_exported_pytest_files_pass_with_plain_pytest(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *map(str, EXPORTS)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
