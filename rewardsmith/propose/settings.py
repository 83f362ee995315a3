"""Settings of the LLM proposer: model, endpoint, key, limits — from flags, environment and a config file.

Precedence, highest first: explicit arguments (CLI flags, the TUI's fields), environment variables,
the config file (``$REWARDSMITH_CONFIG``, else ``~/.config/rewardsmith/config.toml``), defaults.

Keys are read, held in a :class:`Secret` whose ``repr``/``str`` never show the value, handed to
litellm for the request, and never written anywhere: not to specs, the cache, round records, logs
or exception messages (:func:`scrub` removes a key from any text that leaves this package).

Config file (TOML; every field optional)::

    [llm]
    model = "openai/gpt-4o-mini"
    api_base = "http://127.0.0.1:8000/v1"   # any OpenAI-compatible server
    api_key_env = "MY_PROVIDER_KEY"         # the NAME of the variable that holds the key
    timeout = 120                           # seconds per request
    max_retries = 3                         # on 429, 5xx, timeouts and dropped connections
    max_tokens = 4096                       # completion tokens per request
    max_request_tokens = 60000              # prompt + completion per request (estimated before sending)
    max_session_tokens = 400000             # everything one propose / refine run may spend
    repair_rounds = 2                       # how often an invalid answer is sent back with its problems
    cache_dir = "~/.cache/rewardsmith"

Provider keys (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY`` …) are read by litellm itself;
``REWARDSMITH_API_KEY`` or ``api_key_env`` name a key for an OpenAI-compatible server.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config import ENV_CONFIG, config_path, read_table
from ..errors import LLMConfigError
from ..redact import redact, register_secret

__all__ = [
    "ENV_API_BASE",
    "ENV_API_KEY",
    "ENV_CACHE_DIR",
    "ENV_CONFIG",
    "ENV_MODEL",
    "LLMSettings",
    "Secret",
    "config_path",
    "default_cache_dir",
    "load_config",
    "model_from_env",
    "resolve_settings",
    "scrub",
]

ENV_MODEL = "REWARDSMITH_MODEL"
ENV_API_BASE = "REWARDSMITH_API_BASE"
ENV_API_KEY = "REWARDSMITH_API_KEY"
ENV_CACHE_DIR = "REWARDSMITH_CACHE_DIR"

Structured = Literal["auto", "json_schema", "json_object", "none"]


@dataclass(frozen=True)
class Secret:
    """A key: usable by the client, invisible everywhere else."""

    value: str = field(repr=False)

    def __post_init__(self) -> None:
        register_secret(self.value)  # masked in every file written and line printed from now on

    def reveal(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __reduce__(self) -> Any:  # never pickled into a worker or a cache by accident
        raise TypeError("a Secret cannot be pickled")


def scrub(text: str, *secrets: Secret | None) -> str:
    """`text` with every secret value replaced by ***: for messages that leave the package."""
    for secret in secrets:
        if secret is not None and secret.value and len(secret.value) >= 4:
            text = text.replace(secret.value, "***")
    return redact(text)


@dataclass(frozen=True)
class LLMSettings:
    model: str
    api_base: str | None = None
    api_key: Secret | None = dataclasses.field(default=None, repr=False)
    timeout: float = 120.0
    max_retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time (Retry-After wins when given)
    max_backoff: float = 30.0
    max_tokens: int = 4096
    max_request_tokens: int = 60_000
    max_session_tokens: int = 400_000
    temperature: float = 0.2
    structured: Structured = "auto"
    repair_rounds: int = 2  # an invalid answer goes back with every problem this many times at most
    cache: bool = True
    cache_dir: Path = dataclasses.field(default_factory=lambda: default_cache_dir())
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)  # setting -> where from

    def __post_init__(self) -> None:
        if not self.model or not self.model.strip():
            raise LLMConfigError("no model: give --model (a litellm model string such as openai/gpt-4o-mini) "
                                 f"or set {ENV_MODEL}")
        for name in ("timeout", "backoff", "max_backoff"):
            if not getattr(self, name) > 0:
                raise LLMConfigError(f"{name} must be a positive number of seconds")
        if self.max_retries < 0:
            raise LLMConfigError("max_retries must be 0 or more")
        if not 0 <= self.repair_rounds <= 5:
            raise LLMConfigError("repair_rounds must be between 0 and 5")
        for name in ("max_tokens", "max_request_tokens", "max_session_tokens"):
            if getattr(self, name) < 1:
                raise LLMConfigError(f"{name} must be at least 1")
        if self.max_tokens > self.max_request_tokens:
            raise LLMConfigError(f"max_tokens ({self.max_tokens}) is above max_request_tokens "
                                 f"({self.max_request_tokens})")

    def public(self) -> dict[str, Any]:
        """What may be shown and recorded: everything but the key (only whether there is one)."""
        return {
            "model": self.model,
            "api_base": _public_url(self.api_base),
            "api_key": "set" if self.api_key is not None else "from the provider's environment variable, if any",
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_tokens": self.max_tokens,
            "max_request_tokens": self.max_request_tokens,
            "max_session_tokens": self.max_session_tokens,
            "temperature": self.temperature,
            "structured": self.structured,
            "repair_rounds": self.repair_rounds,
            "cache": str(self.cache_dir) if self.cache else "off",
        }

    def replace(self, **changes: Any) -> LLMSettings:
        return dataclasses.replace(self, **changes)


def _public_url(url: str | None) -> str | None:
    """A URL without user:password@ (some people put credentials there)."""
    if not url or "@" not in url:
        return url
    scheme, sep, rest = url.partition("://")
    host = rest.split("@", 1)[1] if "@" in rest.split("/", 1)[0] else rest
    return f"{scheme}{sep}***@{host}" if sep else url


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_CACHE_DIR):
        return Path(env[ENV_CACHE_DIR]).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "rewardsmith"


_CONFIG_FIELDS = {
    "model": str, "api_base": str, "api_key_env": str, "api_key": str, "timeout": float, "max_retries": int,
    "backoff": float, "max_backoff": float, "max_tokens": int, "max_request_tokens": int,
    "max_session_tokens": int, "temperature": float, "structured": str, "repair_rounds": int, "cache": bool,
    "cache_dir": str,
}


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The [llm] table of the config file ({} when there is no file); errors name the file and field."""
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ENV_CONFIG))
    path = path or config_path(env)
    if not path.is_file():
        if explicit:  # a file the user named on purpose: a typo should not pass silently
            raise LLMConfigError(f"{path}: the config file does not exist")
        return {}
    table = read_table(path, "llm")
    out: dict[str, Any] = {}
    for key, value in table.items():
        want = _CONFIG_FIELDS.get(key)
        if want is None:
            raise LLMConfigError(f"{path}: unknown setting llm.{key}; known: {', '.join(sorted(_CONFIG_FIELDS))}")
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise LLMConfigError(f"{path}: llm.{key} must be a {want.__name__}, got {value!r}"
                                 if key != "api_key" else f"{path}: llm.api_key must be a string")
        out[key] = value
    return out


def model_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The model named by REWARDSMITH_MODEL, if any (the CLI's propose goes online only then or with --model)."""
    value = (os.environ if env is None else env).get(ENV_MODEL, "").strip()
    return value or None


def resolve_settings(
    *,
    model: str | None = None,
    api_base: str | None = None,
    api_key_env: str | None = None,
    env: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> LLMSettings:
    """Settings from arguments, then the environment, then the config file, then defaults.

    Args:
        model / api_base / api_key_env: as given on the command line (None: not given).
        env: the environment to read (default os.environ); tests pass their own.
        config: the config file's [llm] table (default: read it from config_path()).
        overrides: any other LLMSettings field (timeout=…, max_retries=…); None values are ignored.
    """
    env = os.environ if env is None else env
    cfg = dict(load_config(env=env) if config is None else config)
    sources: dict[str, str] = {}

    def pick(name: str, given: Any, env_name: str | None = None) -> Any:
        if given is not None and given != "":
            sources[name] = "argument"
            return given
        if env_name and env.get(env_name):
            sources[name] = f"${env_name}"
            return env[env_name]
        if name in cfg:
            sources[name] = "config file"
            return cfg[name]
        return None

    chosen_model = pick("model", model, ENV_MODEL)
    chosen_base = pick("api_base", api_base, ENV_API_BASE)
    key: Secret | None = None
    key_env = api_key_env or cfg.get("api_key_env")
    if key_env:
        if not env.get(key_env):
            raise LLMConfigError(f"the API key variable {key_env} is not set (named by "
                                 f"{'--api-key-env' if api_key_env else 'the config file'})")
        key, sources["api_key"] = Secret(env[key_env]), f"${key_env}"
    elif env.get(ENV_API_KEY):
        key, sources["api_key"] = Secret(env[ENV_API_KEY]), f"${ENV_API_KEY}"
    elif cfg.get("api_key"):
        key, sources["api_key"] = Secret(cfg["api_key"]), "config file"
    fields: dict[str, Any] = {}
    for name in ("timeout", "max_retries", "backoff", "max_backoff", "max_tokens", "max_request_tokens",
                 "max_session_tokens", "temperature", "structured", "repair_rounds", "cache"):
        value = pick(name, overrides.pop(name, None))
        if value is not None:
            fields[name] = value
    cache_dir = pick("cache_dir", overrides.pop("cache_dir", None), ENV_CACHE_DIR)
    if cache_dir is not None:
        fields["cache_dir"] = Path(cache_dir).expanduser()
    else:
        fields["cache_dir"] = default_cache_dir(env)
    unknown = {k for k, v in overrides.items() if v is not None}
    if unknown:
        raise TypeError(f"unknown LLM settings: {', '.join(sorted(unknown))}")
    if fields.get("structured") not in (None, "auto", "json_schema", "json_object", "none"):
        raise LLMConfigError("structured must be auto, json_schema, json_object or none")
    return LLMSettings(model=chosen_model or "", api_base=chosen_base, api_key=key, sources=sources, **fields)
