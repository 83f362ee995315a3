"""A judge rule's endpoint and key are the user's settings: a spec cannot send a secret anywhere.

Two real HTTP servers on 127.0.0.1: the user's judge and the host a hostile spec names. The commands
run as users run them (the bench's worker processes, the real openai client); what each server
received is read back from its records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rewardsmith.bench import score_samples
from rewardsmith.cli import cli
from rewardsmith.errors import LLMConfigError
from rewardsmith.judging import JudgeSettings, apply_judge_settings, judge_settings, worker_env_allow
from rewardsmith.render import render_module
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import parse_spec

from .scripted_server import Reply, ScriptedServer

AWS = "aws-SECRET-wJalrXUtnFEMI-K7MDENG"
USER_KEY = "sk-user-judge-0f3c"
SPEC_KEY = "sk-spec-judge-77aa"

pytestmark = pytest.mark.slow  # bench workers and whole commands: seconds each


@pytest.fixture
def hostile() -> Any:
    with ScriptedServer(responder=lambda request: Reply.chat("Yes")) as s:
        yield s


@pytest.fixture
def judge() -> Any:
    """The user's judge: Yes when the student's answer is the reference."""
    def decide(request: Any) -> Reply:
        text = request.messages[-1]["content"]
        student = text.split("Student Answer: ", 1)[1].strip()
        reference = text.split("Correct Answer: ", 1)[1].split("\n", 1)[0].strip()
        return Reply.chat("Yes" if student == reference else "No")

    with ScriptedServer(responder=decide) as s:
        yield s


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS)
    monkeypatch.setenv("USER_JUDGE_KEY", USER_KEY)
    monkeypatch.setenv("SPEC_JUDGE_KEY", SPEC_KEY)
    for name in ("REWARDSMITH_JUDGE_BASE_URL", "REWARDSMITH_JUDGE_KEY_ENV"):
        monkeypatch.delenv(name, raising=False)


def _spec_data(base_url: str, key_env: str) -> dict[str, Any]:
    return {"name": "judged", "rules": [{"name": "correct", "kind": "judge", "role": "verifier", "params": {
        "base_url": base_url, "api_key_env": key_env, "model": "judge-model", "timeout": 5.0, "max_retries": 0}}]}


def _files(tmp_path: Path, base_url: str, key_env: str) -> tuple[str, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(_spec_data(base_url, key_env)))
    samples = tmp_path / "samples.jsonl"
    rows = [("Paris", True), ("Lyon", False), ("Paris", True), ("Nice", False)]
    samples.write_text("".join(json.dumps({"prompt": "Capital of France?", "completion": c, "label": ok,
                                           "answer": "Paris"}) + "\n" for c, ok in rows))
    return str(spec), str(samples)


def _everything_sent(*servers: ScriptedServer) -> str:
    return "\n".join(json.dumps([r.path, r.headers, r.body]) for s in servers for r in s.requests)


def test_a_hostile_spec_sends_nothing_to_its_host_and_no_secret_anywhere(tmp_path, hostile, judge):
    spec, samples = _files(tmp_path, hostile.url, "AWS_SECRET_ACCESS_KEY")
    result = CliRunner().invoke(cli, ["test", spec, samples, "--judge-base-url", judge.url,
                                      "--judge-key-env", "USER_JUDGE_KEY"])
    assert result.exit_code in (0, 1), result.output
    assert hostile.count == 0
    sent = judge.chat_requests()
    assert sent, "the user's judge was never asked"
    assert {r.headers.get("authorization") for r in sent} == {f"Bearer {USER_KEY}"}
    assert AWS not in _everything_sent(hostile, judge)
    assert f"ignored base_url '{hostile.url}' from the spec" in result.output
    assert "ignored api_key_env 'AWS_SECRET_ACCESS_KEY' from the spec" in result.output
    assert "--trust-judge-endpoint" in result.output


def test_without_flags_the_environment_decides_and_no_key_is_sent(tmp_path, hostile, judge, monkeypatch):
    monkeypatch.setenv("REWARDSMITH_JUDGE_BASE_URL", judge.url)
    spec, samples = _files(tmp_path, hostile.url, "AWS_SECRET_ACCESS_KEY")
    result = CliRunner().invoke(cli, ["test", spec, samples])
    assert result.exit_code in (0, 1), result.output
    assert hostile.count == 0
    sent = judge.chat_requests()
    assert sent
    # The default key variable (OPENAI_API_KEY) is unset here: the client sends its placeholder, nothing else.
    assert {r.headers.get("authorization") for r in sent} == {"Bearer no-key"}
    assert AWS not in _everything_sent(hostile, judge)
    assert "$REWARDSMITH_JUDGE_BASE_URL" in result.output


def test_an_approved_spec_endpoint_is_used_with_its_key(tmp_path, judge):
    spec, samples = _files(tmp_path, judge.url, "SPEC_JUDGE_KEY")
    result = CliRunner().invoke(cli, ["test", spec, samples, "--trust-judge-endpoint"])
    assert result.exit_code in (0, 1), result.output
    sent = judge.chat_requests()
    assert sent and {r.headers.get("authorization") for r in sent} == {f"Bearer {SPEC_KEY}"}
    assert "as --trust-judge-endpoint allows" in result.output


def _samples() -> SampleSet:
    return SampleSet([Sample(id=f"s{i}", prompt="Capital of France?", completion=c, group="g", label=label,
                             refs={"answer": "Paris"})
                      for i, (c, label) in enumerate([("Paris", 1.0), ("Lyon", 0.0)])])


def test_approved_rules_score_and_unapproved_ones_never_reach_the_named_host(judge):
    spec = parse_spec(json.dumps(_spec_data(judge.url, "SPEC_JUDGE_KEY")))
    # Not settled (a library caller, the workbench): the spec's endpoint and key are not rendered at all.
    assert worker_env_allow(spec) == ()
    assert judge.url not in render_module(spec) and "SPEC_JUDGE_KEY" not in render_module(spec)
    score_samples(spec, _samples(), time_limit=10)
    assert judge.count == 0
    trusted, _ = apply_judge_settings(spec, JudgeSettings(trust_spec=True))
    assert worker_env_allow(trusted) == ("SPEC_JUDGE_KEY",)
    matrix = score_samples(trusted, _samples(), time_limit=10)
    assert matrix.scores["correct"] == [1.0, 0.0]
    assert {r.headers.get("authorization") for r in judge.chat_requests()} == {f"Bearer {SPEC_KEY}"}


def test_export_renders_the_users_endpoint_and_key_variable(tmp_path, hostile, judge):
    spec, samples = _files(tmp_path, hostile.url, "AWS_SECRET_ACCESS_KEY")
    out = tmp_path / "export"
    args = ["--judge-base-url", judge.url, "--judge-key-env", "USER_JUDGE_KEY"]
    result = CliRunner().invoke(cli, ["export", spec, samples, "--out", str(out), "--allow-failing", *args])
    assert result.exit_code == 0, result.output
    module = (out / "rewards.py").read_text()
    assert f"base_url={judge.url!r}" in module and "api_key_env='USER_JUDGE_KEY'" in module
    assert hostile.url not in module and "AWS_SECRET_ACCESS_KEY" not in module
    assert hostile.count == 0 and AWS not in _everything_sent(judge)
    assert "ignored base_url" in result.output
    # check with the same settings re-renders the same module; with others it reports the drift
    assert CliRunner().invoke(cli, ["check", str(out), *args]).exit_code == 0
    other = CliRunner().invoke(cli, ["check", str(out), "--judge-key-env", "USER_JUDGE_KEY"])
    assert other.exit_code == 1 and "ignored base_url" in other.output
    assert hostile.count == 0


def test_settings_come_from_flags_then_environment_then_config(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[judge]\nbase_url = "http://judge.internal:9000/v1"\nkey_env = "CONFIG_KEY"\n')
    env = {"REWARDSMITH_CONFIG": str(config)}
    assert judge_settings(env=env) == JudgeSettings("http://judge.internal:9000/v1", "CONFIG_KEY", False,
                                                    f"judge.base_url in {config}", f"judge.key_env in {config}")
    env["REWARDSMITH_JUDGE_KEY_ENV"] = "ENV_KEY"
    assert judge_settings(env=env).key_env == "ENV_KEY"
    got = judge_settings("http://127.0.0.1:1/v1", "FLAG_KEY", env=env)
    assert (got.base_url, got.key_env, got.base_url_from) == ("http://127.0.0.1:1/v1", "FLAG_KEY", "--judge-base-url")
    assert judge_settings(env={}) == JudgeSettings()


@pytest.mark.parametrize("args,fragment", [
    (("https://user:pw@host/v1", None), "--judge-base-url: base_url must not carry credentials"),
    (("file:///etc/passwd", None), "http(s) URL"),
    ((None, "sk-live-123"), "--judge-key-env: the key variable is the NAME of an environment variable"),
])
def test_bad_settings_are_refused_naming_the_flag(args, fragment):
    with pytest.raises(LLMConfigError) as caught:
        judge_settings(*args, env={})
    assert fragment in str(caught.value)


def test_a_spec_without_judges_is_untouched():
    spec = parse_spec(json.dumps({"name": "x", "rules": [{"name": "short", "kind": "length",
                                                          "params": {"max_length": 10}}]}))
    assert apply_judge_settings(spec, JudgeSettings("http://127.0.0.1:1/v1", "K"))[0] is spec
