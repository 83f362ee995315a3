"""`rewardsmith propose --model` and `rewardsmith refine` as a user runs them: a subprocess, the scripted server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rewardsmith.samples import demo_path
from rewardsmith.spec import load_spec

from .conftest import MATH_GOOD, MODEL, SECRET, Reply, files_under, needs_litellm
from .test_refine import FORMAT_ONLY, ROUND_1, ROUND_2, ROUND_3


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The fixture's environment (cleared keys, REWARDSMITH_API_KEY, the cache in tmp) is inherited.
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "rewardsmith", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@needs_litellm
def test_propose_with_a_model(server, tmp_path, clean_env):
    server.push(Reply.json(MATH_GOOD, prompt_tokens=6000, completion_tokens=250))
    done = _run(["propose", str(demo_path("math")), "--model", MODEL, "--api-base", server.url, "--persona",
                 "math-grader", "--instructions", "If the answer sounds too robotic, deduct 3 points.",
                 "-o", "spec.yaml"], tmp_path)
    assert done.returncode == 0, done.stderr
    spec = load_spec(tmp_path / "spec.yaml")
    assert spec.provenance.model == MODEL and spec.provenance.persona == "math-grader"
    assert "correct_answer (numeric, reward, weight 1)" in done.stdout
    assert "usage: 1 call(s), 6,250 tokens" in done.stdout and "$0.00" in done.stdout
    assert SECRET not in done.stdout + done.stderr + (tmp_path / "spec.yaml").read_text()
    assert SECRET not in files_under(clean_env)


@needs_litellm
def test_repair_rounds_flag(server, tmp_path):
    bad = {"description": "x", "rules": [{"name": "format-tags", "kind": "regex_format", "role": "reward",
                                          "weight": 1.0, "params": {"pattern": "<answer>"}, "rationale": "r"}]}
    server.push(Reply.json(bad), Reply.json(bad))
    done = _run(["propose", str(demo_path("math")), "--model", MODEL, "--api-base", server.url, "--repair-rounds",
                 "1", "-o", "spec.yaml"], tmp_path)
    assert done.returncode == 2 and "even after one repair round" in done.stderr
    assert "call it 'format_tags'" in done.stderr and len(server.chat_requests()) == 2


def test_propose_stays_offline_without_a_model(server, tmp_path):
    done = _run(["propose", str(demo_path("math")), "--persona", "math-grader", "-o", "spec.yaml"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "need a model" in done.stderr and server.count == 0
    assert load_spec(tmp_path / "spec.yaml").provenance.proposer == "offline"


@needs_litellm
def test_propose_uses_the_model_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("REWARDSMITH_MODEL", MODEL)
    monkeypatch.setenv("REWARDSMITH_API_BASE", server.url)
    server.push(Reply.json(MATH_GOOD))
    done = _run(["propose", str(demo_path("math")), "-o", "spec.yaml"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert server.count == 1 and load_spec(tmp_path / "spec.yaml").provenance.proposer == "llm"


@needs_litellm
def test_a_proposal_error_is_one_line_and_exit_2(server, tmp_path):
    server.push(Reply.error(404, "The model `gpt-9` does not exist"))
    done = _run(["propose", str(demo_path("math")), "--model", "openai/gpt-9", "--api-base", server.url,
                 "-o", "spec.yaml"], tmp_path)
    assert done.returncode == 2
    assert "error:" in done.stderr and "not found (404)" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "spec.yaml").exists()


@needs_litellm
def test_refine_command(server, tmp_path):
    (tmp_path / "spec.yaml").write_text(json.dumps(FORMAT_ONLY), encoding="utf-8")
    server.push(Reply.json(ROUND_1), Reply.json(ROUND_2), Reply.json(ROUND_3))
    done = _run(["refine", "spec.yaml", str(demo_path("search")), "--model", MODEL, "--api-base", server.url,
                 "--rounds", "4"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "refine: the checks pass, and no probe earns what a correct answer earns" in done.stdout
    assert "best: round 3 (spec.rounds/round-3/spec.yaml)" in done.stdout
    assert sorted(p.name for p in (tmp_path / "spec.rounds").iterdir()) == ["round-0", "round-1", "round-2",
                                                                             "round-3", "summary.json"]
    # A second run goes to a fresh folder and is answered from the cache: no new request.
    done = _run(["refine", "spec.yaml", str(demo_path("search")), "--model", MODEL, "--api-base", server.url],
                tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "spec.rounds-2" / "round-3").is_dir() and len(server.chat_requests()) == 3
    assert "3 from the cache" in done.stdout


def test_refine_without_a_model_is_a_usage_error(tmp_path):
    (tmp_path / "spec.yaml").write_text(json.dumps(FORMAT_ONLY), encoding="utf-8")
    done = _run(["refine", "spec.yaml", str(demo_path("search"))], tmp_path)
    assert done.returncode == 2 and "refine needs a model" in done.stderr


@needs_litellm
def test_propose_prints_brackets_from_data_as_they_are(server, tmp_path):
    # A rationale from the model and a file name with brackets: rich markup must not eat them.
    answer = json.loads(json.dumps(MATH_GOOD))
    answer["rules"][0]["rationale"] = "only the final number decides [bold]not markup[/bold]"
    server.push(Reply.json(answer))
    done = _run(["propose", str(demo_path("math")), "--model", MODEL, "--api-base", server.url,
                 "-o", "runs[v2].yaml"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "decides [bold]not markup[/bold]" in done.stdout
    assert "wrote runs[v2].yaml" in done.stdout
