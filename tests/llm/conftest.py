"""Fixtures for the LLM tests: a scripted OpenAI-compatible server on 127.0.0.1 and a clean environment.

Every test talks to a real HTTP server through the real litellm / openai clients. The environment
is emptied of anything that could send a request elsewhere or read the developer's own settings:
no provider keys, no REWARDSMITH_* variables, a config folder that holds nothing, and a cache in
the test's temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.propose.settings import LLMSettings, resolve_settings
from rewardsmith.samples import SampleSet, demo_path, load_samples

from .scripted_server import Reply, ScriptedServer

def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


# Tests that reach a model through litellm skip cleanly without the `llm` extra (pip install -e ".[llm]");
# found without importing it, which takes seconds.
needs_litellm = pytest.mark.skipif(not _installed("litellm"), reason="needs litellm: pip install -e '.[llm]'")

SECRET = "sk-test-SECRET-d41d8cd98f00b204"
MODEL = "openai/gpt-4o-mini"  # a model litellm prices, so cost is known
LOCAL_MODEL = "openai/local-qwen-7b"  # one it does not: cost 0, flagged unknown

_CLEARED = (
    "REWARDSMITH_MODEL", "REWARDSMITH_API_BASE", "REWARDSMITH_API_KEY", "REWARDSMITH_CONFIG",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_API_KEY", "LITELLM_LOG",
)


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("REWARDSMITH_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("REWARDSMITH_API_KEY", SECRET)
    return cache


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s
        assert not s.errors, f"the scripted server's responder failed: {s.errors}"


@pytest.fixture(scope="session")
def math_samples() -> SampleSet:
    return load_samples(demo_path("math"))


@pytest.fixture(scope="session")
def search_samples() -> SampleSet:
    return load_samples(demo_path("search"))


def make_settings(server: ScriptedServer, **kw: Any) -> LLMSettings:
    """Settings for the scripted server: short timeouts and backoff so fault tests take seconds."""
    base: dict[str, Any] = {"timeout": 5.0, "max_retries": 2, "backoff": 0.01, "max_backoff": 0.05}
    base.update(kw)
    model = base.pop("model", MODEL)
    return resolve_settings(model=model, api_base=server.url, config={}, **base)


def rule(name: str, kind: str, params: dict[str, Any], *, role: str = "reward", weight: float = 1.0,
         rationale: str = "because") -> dict[str, Any]:
    return {"name": name, "kind": kind, "role": role, "weight": weight, "params": params, "rationale": rationale}


MATH_GOOD = {
    "description": "The number in <answer> equals the reference; a small bonus for the format.",
    "rules": [
        rule("correct_answer", "numeric", {"extract": {"method": "xml_tag", "tag": "answer"}, "reference": "answer"},
             rationale="only the final number decides"),
        rule("format_tags", "regex_format",
             {"pattern": r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", "flags": ["DOTALL"]},
             weight=0.2, rationale="reasoning then answer, across newlines"),
    ],
}


def files_under(folder: Path) -> str:
    """Every file's text under `folder` (what a key must never appear in)."""
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


def as_json(data: Any) -> str:
    return json.dumps(data)


__all__ = ["LOCAL_MODEL", "MATH_GOOD", "MODEL", "Reply", "SECRET", "as_json", "files_under", "make_settings", "rule"]
