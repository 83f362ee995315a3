"""Settings: flags over environment over config file; keys readable by the client and nowhere else."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from rewardsmith.errors import LLMConfigError, PersonaError
from rewardsmith.propose.prompts import list_personas, resolve_persona
from rewardsmith.propose.settings import (
    Secret,
    config_path,
    load_config,
    resolve_settings,
    scrub,
)

from .conftest import SECRET


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_flags_beat_environment_beat_config(tmp_path, monkeypatch):
    path = _config(tmp_path, '[llm]\nmodel = "cfg/model"\napi_base = "http://cfg"\ntimeout = 7\nmax_retries = 1\n')
    monkeypatch.setenv("REWARDSMITH_CONFIG", str(path))
    s = resolve_settings()
    assert (s.model, s.api_base, s.timeout, s.max_retries) == ("cfg/model", "http://cfg", 7.0, 1)
    assert s.sources["model"] == "config file"
    monkeypatch.setenv("REWARDSMITH_MODEL", "env/model")
    monkeypatch.setenv("REWARDSMITH_API_BASE", "http://env")
    s = resolve_settings()
    assert (s.model, s.api_base) == ("env/model", "http://env") and s.sources["model"] == "$REWARDSMITH_MODEL"
    s = resolve_settings(model="flag/model", api_base="http://flag", timeout=3)
    assert (s.model, s.api_base, s.timeout) == ("flag/model", "http://flag", 3.0)


def test_keys_come_from_the_named_variable_and_never_show(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-from-my-var")
    s = resolve_settings(model="m", api_key_env="MY_KEY", config={})
    assert s.api_key is not None and s.api_key.reveal() == "sk-from-my-var"
    for shown in (repr(s), str(s), str(s.public()), repr(s.api_key), str(s.api_key)):
        assert "sk-from-my-var" not in shown
    assert s.public()["api_key"] == "set"
    with pytest.raises(TypeError):
        pickle.dumps(s.api_key)
    with pytest.raises(LLMConfigError, match="MISSING_VAR is not set"):
        resolve_settings(model="m", api_key_env="MISSING_VAR", config={})
    # REWARDSMITH_API_KEY (set by the fixture) when nothing names another variable.
    assert resolve_settings(model="m", config={}).api_key.reveal() == SECRET


def test_a_key_in_the_config_file_is_read_but_not_shown(tmp_path, monkeypatch):
    monkeypatch.delenv("REWARDSMITH_API_KEY")
    path = _config(tmp_path, '[llm]\nmodel = "m"\napi_key = "sk-in-config-file"\n')
    s = resolve_settings(config=load_config(path))
    assert s.api_key.reveal() == "sk-in-config-file" and "sk-in-config-file" not in repr(s)


def test_config_errors_name_the_file_and_field(tmp_path, monkeypatch):
    with pytest.raises(LLMConfigError, match=r"config.toml: unknown setting llm.modle"):
        load_config(_config(tmp_path, '[llm]\nmodle = "x"\n'))
    with pytest.raises(LLMConfigError, match=r"llm.timeout must be a float"):
        load_config(_config(tmp_path, '[llm]\ntimeout = "soon"\n'))
    with pytest.raises(LLMConfigError, match="not a readable TOML"):
        load_config(_config(tmp_path, "[llm\n"))
    monkeypatch.setenv("REWARDSMITH_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(LLMConfigError, match="does not exist"):
        load_config()
    monkeypatch.delenv("REWARDSMITH_CONFIG")
    assert config_path() == tmp_path / "config" / "rewardsmith" / "config.toml"  # XDG_CONFIG_HOME from the fixture
    assert load_config() == {}


def test_no_model_is_a_clear_error():
    with pytest.raises(LLMConfigError, match="no model: give --model"):
        resolve_settings(config={})


def test_the_api_base_hides_credentials_in_records():
    s = resolve_settings(model="m", api_base="https://user:pw@proxy.example/v1", config={})
    assert s.public()["api_base"] == "https://***@proxy.example/v1"


def test_scrub_removes_a_key_from_text():
    assert scrub(f"bad key {SECRET}!", Secret(SECRET)) == "bad key ***!"


def test_personas(tmp_path):
    names = list_personas()
    assert names[0] == "search-engine-expert"
    assert {"math-grader", "code-reviewer", "maze-navigation"} <= set(names)
    assert resolve_persona("search_engine_expert")[0] == "search-engine-expert"
    assert "search engine expert" in resolve_persona(None)[1]
    with pytest.raises(PersonaError, match="unknown persona 'poet'.*bundled: search-engine-expert"):
        resolve_persona("poet")
    with pytest.raises(PersonaError, match="persona file not found"):
        resolve_persona(str(tmp_path / "missing.md"))
    # A user's template folder comes first: a persona of the same name overrides the bundled one.
    (tmp_path / "prompts" / "personas").mkdir(parents=True)
    (tmp_path / "prompts" / "personas" / "math-grader.jinja").write_text("My own grader for {{ task }}.")
    assert resolve_persona("math-grader", task="sums", template_dir=tmp_path)[1] == "My own grader for sums."


def test_repair_rounds_come_from_the_config_and_are_bounded():
    assert resolve_settings(model="m", config={}).repair_rounds == 2
    assert resolve_settings(model="m", config={"repair_rounds": 4}).repair_rounds == 4
    assert resolve_settings(model="m", config={"repair_rounds": 4}, repair_rounds=0).repair_rounds == 0
    with pytest.raises(LLMConfigError, match="repair_rounds must be between 0 and 5"):
        resolve_settings(model="m", config={}, repair_rounds=9)
