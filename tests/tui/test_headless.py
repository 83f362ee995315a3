"""The core never imports textual, the workbench's model never does either, and LLM clients load lazily."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "rewardsmith"


def _modules() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "tui" in parts or "__pycache__" in parts or parts[-1] == "__main__":
            continue
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def _imported_after(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_the_module_list_covers_the_core():
    modules = _modules()
    assert {"rewardsmith.cli", "rewardsmith.bench", "rewardsmith.spec", "rewardsmith.kinds.answers",
            "rewardsmith.workbench.state", "rewardsmith.workbench.spans"} <= set(modules)


@pytest.mark.parametrize("module", _modules())
def test_headless_module_never_imports_textual(module):
    loaded = _imported_after(module)
    assert "textual" not in loaded, f"{module} pulls in textual"


def test_opening_the_app_imports_no_llm_client():
    loaded = _imported_after("rewardsmith.tui.app")
    assert "textual" in loaded  # the check can see an import when there is one
    assert not {"litellm", "openai"} & loaded


def test_the_cli_alone_does_not_load_the_workbench():
    loaded = _imported_after("rewardsmith.cli")
    assert "rewardsmith.tui.app" not in loaded and "textual" not in loaded
