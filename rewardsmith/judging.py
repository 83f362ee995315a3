"""Where a judge rule's requests go and which key they carry: settings of the user, never of the spec.

A spec may come from an LLM. If its ``judge`` rule chose the endpoint and the environment variable
holding the key, ``base_url: https://anywhere`` with ``api_key_env: AWS_SECRET_ACCESS_KEY`` would
send that secret away the first time the user runs ``rewardsmith test``. So the endpoint and the
variable come from the user: flags (``--judge-base-url``, ``--judge-key-env``), then the
environment (``REWARDSMITH_JUDGE_BASE_URL``, ``REWARDSMITH_JUDGE_KEY_ENV``), then the ``[judge]``
table of the config file, then the defaults (a local server, ``OPENAI_API_KEY``). What a spec names
is used only when the user confirms it (``--trust-judge-endpoint``); otherwise it is replaced and
:func:`apply_judge_settings` says what was ignored and why.

Only a judge rule settled here is *approved*: the bench gives its workers the key variable of
approved rules (:func:`worker_env_allow`) and no other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import config_path, read_table
from .errors import LLMConfigError
from .kinds.judge import DEFAULT_BASE_URL, DEFAULT_KEY_ENV, JudgeParams, check_base_url, check_env_name
from .spec import RewardSpec

__all__ = [
    "ENV_BASE_URL",
    "ENV_KEY_ENV",
    "JudgeSettings",
    "apply_judge_settings",
    "judge_settings",
    "worker_env_allow",
]

ENV_BASE_URL = "REWARDSMITH_JUDGE_BASE_URL"
ENV_KEY_ENV = "REWARDSMITH_JUDGE_KEY_ENV"
_CONFIG_KEYS = {"base_url": "base_url", "key_env": "key_env"}


@dataclass(frozen=True)
class JudgeSettings:
    """The user's judge endpoint and key variable, where each came from, and whether a spec's own may be used."""

    base_url: str = DEFAULT_BASE_URL
    key_env: str = DEFAULT_KEY_ENV
    trust_spec: bool = False
    base_url_from: str = "default"
    key_env_from: str = "default"


def _config_table(env: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """The [judge] table of the config file the LLM settings use ($REWARDSMITH_CONFIG or the XDG one)."""
    path = config_path(env)
    if not path.is_file():
        return {}, str(path)  # a missing named file is reported by the LLM settings, which own it
    table = read_table(path, "judge", "a table with base_url and key_env")
    for key, value in table.items():
        if key not in _CONFIG_KEYS:
            raise LLMConfigError(f"{path}: unknown setting judge.{key}; known: {', '.join(sorted(_CONFIG_KEYS))}")
        if not isinstance(value, str):
            raise LLMConfigError(f"{path}: judge.{key} must be a string, got {value!r}")
    return table, str(path)


def judge_settings(
    base_url: str | None = None,
    key_env: str | None = None,
    trust_spec: bool = False,
    env: Mapping[str, str] | None = None,
) -> JudgeSettings:
    """Settings from arguments (the flags), then the environment, then the config file, then the defaults.

    Each value is checked as a spec's would be (an http(s) URL without credentials; a variable NAME),
    and a bad one is refused naming where it came from.
    """
    env = os.environ if env is None else env
    table, config = _config_table(env)
    picked: dict[str, tuple[str, str]] = {}
    for name, given, flag, variable, default in (
        ("base_url", base_url, "--judge-base-url", ENV_BASE_URL, DEFAULT_BASE_URL),
        ("key_env", key_env, "--judge-key-env", ENV_KEY_ENV, DEFAULT_KEY_ENV),
    ):
        if given:
            picked[name] = (given, flag)
        elif env.get(variable):
            picked[name] = (env[variable], f"${variable}")
        elif table.get(name):
            picked[name] = (table[name], f"judge.{name} in {config}")
        else:
            picked[name] = (default, "default")
    url, url_from = picked["base_url"]
    var, var_from = picked["key_env"]
    try:
        check_base_url(url)
    except ValueError as exc:
        raise LLMConfigError(f"{url_from}: {exc}") from None
    try:
        check_env_name(var)
    except ValueError as exc:
        raise LLMConfigError(f"{var_from}: {exc}") from None
    return JudgeSettings(url, var, trust_spec, url_from, var_from)


def apply_judge_settings(spec: RewardSpec, settings: JudgeSettings) -> tuple[RewardSpec, list[str]]:
    """`spec` with every judge rule sent where the user says, and one note per value of the spec left unused.

    A spec without judge rules comes back as it is. The judge rules of the result are approved: their
    key variable may reach the bench's workers.
    """
    notes: list[str] = []
    rules = []
    changed = False
    for rule in spec.rules:
        params = rule.params
        if not isinstance(params, JudgeParams):
            rules.append(rule)
            continue
        values: dict[str, str] = {}
        for field, mine, origin, what in (
            ("base_url", settings.base_url, settings.base_url_from, "the endpoint"),
            ("api_key_env", settings.key_env, settings.key_env_from, "the key variable"),
        ):
            named = getattr(params, field)
            if named is None or named == mine:
                values[field] = mine
            elif settings.trust_spec:
                values[field] = named
                notes.append(f"rule {rule.name}: {what} is the spec's {field} {named!r}, as --trust-judge-endpoint "
                             "allows")
            else:
                values[field] = mine
                notes.append(f"rule {rule.name}: ignored {field} {named!r} from the spec (a spec does not choose "
                             f"where judge requests go or which key they carry); {what} is {mine!r} ({origin}). "
                             "To use the spec's, check it and pass --trust-judge-endpoint")
        settled = params.model_copy(update=values)
        settled.approve()
        rules.append(rule.model_copy(update={"params": settled}))
        changed = True
    if not changed:
        return spec, notes
    return spec.model_copy(update={"rules": rules}), notes


def worker_env_allow(spec: RewardSpec) -> tuple[str, ...]:
    """The environment variables a bench worker may see for `spec`: the key variable of each approved judge rule."""
    names = [rule.params.api_key_env for rule in spec.rules
             if isinstance(rule.params, JudgeParams) and rule.params.approved and rule.params.api_key_env]
    return tuple(dict.fromkeys(names))
