"""rewardsmith's config file: where it is and one of its TOML tables, read the same way for every user.

The LLM settings (rewardsmith.propose.settings, the [llm] table) and the judge settings (rewardsmith.judging,
the [judge] table) read the same file; errors name the file and the table.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import LLMConfigError

__all__ = ["ENV_CONFIG", "config_path", "read_table"]

ENV_CONFIG = "REWARDSMITH_CONFIG"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """$REWARDSMITH_CONFIG, else config.toml in the XDG config folder."""
    env = os.environ if env is None else env
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "rewardsmith" / "config.toml"


def read_table(path: Path, name: str, shape: str = "a table") -> dict[str, Any]:
    """The [name] table of the TOML file at `path` ({} when the file has none); `shape` words the error."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LLMConfigError(f"{path}: not a readable TOML file: {exc}") from None
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise LLMConfigError(f"{path}: [{name}] must be {shape}")
    return table
