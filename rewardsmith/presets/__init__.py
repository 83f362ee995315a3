"""Bundled presets: specs that reproduce published reward sets with library kinds."""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from ..spec import RewardSpec, load_spec

__all__ = ["PRESETS_DIR", "load_preset", "preset_names"]

PRESETS_DIR = Path(__file__).resolve().parent


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_preset(name: str) -> RewardSpec:
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise SpecError(f"no preset called {name!r}; presets: {', '.join(preset_names())}")
    return load_spec(path)
