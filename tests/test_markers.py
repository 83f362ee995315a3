"""The slow list in tests/conftest.py names tests that exist (a renamed test would silently turn quick)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SLOW_MODULES, SLOW_TESTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_slow_entry_names_a_collected_test():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(ids) > 500
    assert SLOW_MODULES <= {i.split("::")[0] for i in ids}
    assert SLOW_TESTS <= {i.split("[")[0] for i in ids}


def test_the_quick_selection_leaves_the_slow_tests_out():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-m", "not slow", "tests/test_generated.py", "tests/test_demo.py"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert "tests/test_generated.py::test_demo_reproduces_generated_byte_for_byte" not in ids
    assert "tests/test_generated.py::test_generated_holds_the_demo_exports" in ids
    assert any(i.startswith("tests/test_demo.py::") for i in ids)
