"""Running a proposer for the workbench: offline rule mining, or the LLM proposer when installed.

The LLM proposer (`rewardsmith.propose.llm`) is imported only when chosen, so opening the app
never pays for litellm; its keyword arguments are matched to its signature, so the dialog keeps
working while that module evolves.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..render import templates_dir
from ..samples import SampleSet
from ..spec import RewardSpec

__all__ = ["DEFAULT_PERSONA", "LLM_INSTALL_HINT", "llm_available", "normal_persona", "personas", "public_api_base",
           "run_proposer"]

DEFAULT_PERSONA = "search-engine-expert"


LLM_INSTALL_HINT = "pip install 'rewardsmith[llm]'"


def llm_available() -> bool:
    """Whether the LLM proposer can run: its module and litellm, its client, are installed (neither imported)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("rewardsmith.propose.llm", "litellm"))
    except (ImportError, ValueError):
        return False


def public_api_base(url: str) -> str:
    """The API base without credentials (`https://user:key@host/v1` → `https://host/v1`): what may be saved."""
    return re.sub(r"//[^/@]*@", "//", url.strip())


def _normal(name: str) -> str:
    return name.replace("_", "-").lower()  # the LLM proposer accepts either spelling


def personas() -> list[tuple[str, str]]:
    """(label, value) of the bundled personas (templates/prompts/personas/), the default first."""
    folder = templates_dir() / "prompts" / "personas"
    names = {_normal(p.name.removesuffix(".jinja")) for p in folder.glob("*.jinja")} if folder.is_dir() else set()
    names.add(DEFAULT_PERSONA)
    ordered = sorted(names, key=lambda n: (n != DEFAULT_PERSONA, n))
    return [(n.replace("-", " "), n) for n in ordered]


def normal_persona(name: str) -> str:
    return _normal(name)


def run_proposer(
    samples: SampleSet,
    *,
    proposer: str,
    name: str,
    task: str,
    model: str = "",
    api_base: str = "",
    persona: str = DEFAULT_PERSONA,
    persona_file: str = "",
    instructions: str = "",
    progress: Callable[..., Any] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[RewardSpec, str]:
    """Propose a spec; returns it and a short description of who proposed it.

    `cancel` is handed to a proposer that can stop early (the LLM proposer aborts its request).
    """
    if proposer == "llm":
        if not model:
            raise ValueError("the LLM proposer needs a model string (for example openai/gpt-4o-mini)")
        if not llm_available():
            raise ValueError(f"the LLM proposer needs litellm; install it with: {LLM_INSTALL_HINT}")
        try:
            from ..propose.llm import propose_llm  # litellm is imported in there, only now
        except ImportError as exc:
            raise ValueError(f"the LLM proposer is not available ({exc}); install it with: {LLM_INSTALL_HINT}") from None
        chosen = persona_file.strip() or persona
        if persona_file.strip() and not Path(persona_file).expanduser().is_file():
            raise ValueError(f"persona file not found: {persona_file}")
        wanted: dict[str, Any] = {
            "name": name,
            "task": task,
            "model": model,
            "api_base": api_base.strip() or None,  # None: $REWARDSMITH_API_BASE or the config file
            "persona": chosen,
            "instructions": instructions,
            "progress": progress,
            "cancel": cancel,
        }
        return propose_llm(samples, **_accepted(propose_llm, wanted)), f"llm {model}"
    from ..propose import propose_offline

    offline = {"name": name, "task": task, "progress": progress, "cancel": cancel}
    return propose_offline(samples, **_accepted(propose_offline, offline)), "offline"


def _accepted(fn: Callable[..., Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments `fn` takes (all of them when it has **kwargs), without the Nones."""
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return {k: v for k, v in wanted.items() if (takes_any or k in params) and v is not None}
