"""The bench worker runs spec code with a minimal environment and a memory cap, and survives what it does."""

from __future__ import annotations

import pytest

from rewardsmith.bench import Bench, worker_environment
from rewardsmith.samples import Sample, SampleSet

# A hand-written module in the generated modules' contract: scores say what the worker could see.
SOURCE = '''
import os


def sees_secret(prompts=None, completions=None, **kwargs):
    return [1.0 if "RS_TEST_SECRET" in os.environ else 0.0 for _ in completions]


def sees_approved(prompts=None, completions=None, **kwargs):
    return [1.0 if os.environ.get("RS_TEST_JUDGE_KEY") == "k" else 0.0 for _ in completions]


def reads_initial_environ(prompts=None, completions=None, **kwargs):
    with open("/proc/self/environ", "rb") as fh:
        found = b"RS_TEST_SECRET" in fh.read()
    return [1.0 if found else 0.0 for _ in completions]


def allocates(prompts=None, completions=None, **kwargs):
    block = bytearray(1024 * 1024 * 1024)  # 1 GiB, over the cap below
    return [float(len(block) > 0) for _ in completions]


def after_the_crash(prompts=None, completions=None, **kwargs):
    return [0.5 for _ in completions]


REWARD_FUNCS = [sees_secret, sees_approved, reads_initial_environ, allocates, after_the_crash]
'''


@pytest.fixture
def two_samples() -> SampleSet:
    return SampleSet.from_samples([Sample(id=f"s{i}", prompt="q", completion="a", group="g") for i in range(2)])


def test_worker_sees_no_secret_unless_approved(monkeypatch, two_samples):
    monkeypatch.setenv("RS_TEST_SECRET", "hunter2")
    monkeypatch.setenv("RS_TEST_JUDGE_KEY", "k")
    with Bench(memory_mb=512, env_allow=["RS_TEST_JUDGE_KEY"]) as bench:
        bench.load(SOURCE)
        bench.set_samples(two_samples)
        assert bench.score_rule("sees_secret")[0] == [0.0, 0.0]
        assert bench.score_rule("reads_initial_environ")[0] == [0.0, 0.0]
        assert bench.score_rule("sees_approved")[0] == [1.0, 1.0]


def test_memory_cap_turns_a_bomb_into_a_reported_error(two_samples):
    with Bench(memory_mb=512) as bench:
        bench.load(SOURCE)
        bench.set_samples(two_samples)
        scores, errors, _ = bench.score_rule("allocates")
        assert scores == [None, None]
        assert all("MemoryError" in message for message in errors.values())
        assert bench.score_rule("after_the_crash")[0] == [0.5, 0.5]


def test_environment_keeps_only_the_basics(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    env = worker_environment()
    assert "OPENAI_API_KEY" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["LC_ALL"] == "C.UTF-8" and "PATH" in env
    assert worker_environment(["OPENAI_API_KEY"])["OPENAI_API_KEY"] == "sk-x"


def test_a_worker_killed_while_loading_is_a_bench_error_not_a_connection_error():
    import os
    import signal
    import threading

    from rewardsmith.errors import BenchError

    with Bench() as bench:
        bench.load(SOURCE)  # a worker that holds a module: the next load after the kill must restart it
        pid = bench._proc.pid
        killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
        killer.start()
        with pytest.raises(BenchError, match="the worker process died"):
            bench.load("import time\ntime.sleep(30)\nREWARD_FUNCS = []\n")
        killer.join()
        # The next request starts a fresh worker and replays the last good module.
        assert bench.load(SOURCE)[0] == "sees_secret"
