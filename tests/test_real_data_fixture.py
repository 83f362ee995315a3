"""The real_data fixture (tests/conftest.py): a missing file skips a test locally and fails it under CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

PROBE = '''
def test_reads_real_data(real_data):
    assert real_data("no_such_file.jsonl").is_file()
'''


def _run_probe(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    # The same layout as a checkout (repo/tests/conftest.py), with no shared/ beside repo.
    tests = tmp_path / "repo" / "tests"
    tests.mkdir(parents=True)
    shutil.copy(TESTS / "conftest.py", tests / "conftest.py")
    (tests / "test_probe.py").write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tests)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


def test_missing_real_data_skips_on_a_developer_machine(tmp_path):
    done = _run_probe(tmp_path, None)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout and "no_such_file.jsonl not found" in done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_real_data_fails_under_ci(tmp_path, ci):
    done = _run_probe(tmp_path, ci)
    assert done.returncode == 1, done.stdout
    assert "1 failed" in done.stdout and "CI must run the tests that read it" in done.stdout


def test_the_real_data_is_found_beside_the_repository(real_data):
    path = real_data("SOURCES.md")
    assert path == TESTS.parents[1] / "shared" / "data" / "real" / "SOURCES.md"
