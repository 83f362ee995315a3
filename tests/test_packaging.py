"""A regular (non-editable) install must carry the templates, presets and demo data."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "rewardsmith").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"


def test_wheel_carries_templates_presets_and_demo_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"rewardsmith/templates/{p.relative_to(ROOT / 'templates')}" for p in (ROOT / "templates").rglob("*.jinja")}
    assert templates and templates <= names
    presets = {f"rewardsmith/presets/{p.name}" for p in (ROOT / "rewardsmith" / "presets").glob("*.yaml")}
    assert presets <= names
    demo = {f"rewardsmith/data/demo/{p.name}" for p in (ROOT / "rewardsmith" / "data" / "demo").glob("*.jsonl")}
    assert demo <= names
