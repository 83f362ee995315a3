"""scripts/regen.py: --check writes nothing and lists what would change; without it, it repairs; the repo is clean."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_regen() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("_rewardsmith_regen", ROOT / "scripts" / "regen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regen = _load_regen()


def test_check_lists_differences_and_exits_1_then_a_rewrite_repairs(tmp_path, monkeypatch, capsys):
    sources = regen.golden_modules()
    for name, source in sources.items():
        (tmp_path / name).write_bytes(source.encode("utf-8"))
    monkeypatch.setitem(regen.TARGETS, "golden", regen.FileTarget(tmp_path, "*.py", regen._build_golden))
    assert regen.main(["--check", "golden"]) == 0
    first, second = sorted(sources)[:2]
    (tmp_path / first).write_text(sources[first].replace("def ", "def  ", 1), encoding="utf-8")
    (tmp_path / second).unlink()
    (tmp_path / "leftover.py").write_text("x = 1\n", encoding="utf-8")
    capsys.readouterr()
    assert regen.main(["--check", "golden"]) == 1
    out = capsys.readouterr().out
    assert f"[golden] {tmp_path / first}: differs" in out and "+def " in out
    assert f"[golden] {tmp_path / second}: missing" in out
    assert f"[golden] {tmp_path / 'leftover.py'}: stale" in out
    assert "3 file(s) out of date; run python scripts/regen.py golden" in out
    assert (tmp_path / "leftover.py").exists() and not (tmp_path / second).exists(), "--check must not write"
    assert regen.main(["golden"]) == 0
    assert not (tmp_path / "leftover.py").exists()
    assert (tmp_path / first).read_text(encoding="utf-8") == sources[first]
    assert regen.main(["--check", "golden"]) == 0


def test_an_unknown_target_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exc:
        regen.main(["--check", "goldne"])
    assert exc.value.code == 2
    assert "unknown target goldne; choose from demo-data, golden, generated, snapshots" in capsys.readouterr().err


@pytest.mark.slow
def test_the_committed_files_are_what_the_code_produces():
    """The files the script regenerates without running pytest (the snapshot tests check themselves)."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "regen.py"), "--check", "demo-data", "golden",
                           "generated"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.strip().endswith("up to date: demo-data, golden, generated")
