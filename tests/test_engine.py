"""The parallel bench: workers that read their shard of the file, score like one worker, and survive dying."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from rewardsmith import _worker
from rewardsmith.bench import Bench, score_samples
from rewardsmith.demo import demo_path
from rewardsmith.propose import propose_offline
from rewardsmith.samples import iter_shard, load_samples, sample_to_record, shard_bounds
from rewardsmith.spec import RewardSpec, Rule

# A module in the generated contract: one rule kills its own process on one sample, one raises on another.
KILLER = '''
import os, signal

def _text(c):
    return c if isinstance(c, str) else c[-1]["content"]

def length(prompts=None, completions=None, **kwargs):
    return [float(len(_text(c))) for c in completions]

def dies_on_marker(prompts=None, completions=None, **kwargs):
    if any("KILL-ME" in _text(c) for c in completions):
        os.kill(os.getpid(), signal.SIGKILL)
    return [1.0 for _ in completions]

def raises_on_marker(prompts=None, completions=None, answer=None, **kwargs):
    return [1 / 0 if "RAISE-ME" in _text(c) else (None if a is None else 0.5) for c, a in zip(completions, answer)]

REWARD_FUNCS = [length, dies_on_marker, raises_on_marker]
REWARD_WEIGHTS = [1.0, 1.0, 1.0]
'''


def _names_spec(names: list[str]) -> RewardSpec:
    return RewardSpec(name="t", rules=[Rule(name=n, kind="regex_format", params={"pattern": "x"}) for n in names])


def _write(tmp_path, count: int, marks: dict[int, str] | None = None):
    """`count` math demo samples cycled to a JSONL file; `marks` appends a marker to sample k's completion."""
    base = load_samples(demo_path("math"))
    path = tmp_path / "samples.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for k in range(count):
            record = sample_to_record(base[k % len(base)])
            record["id"] = f"s{k}"
            record["group"] = f"{record['group']}-{k // len(base)}"
            if k % 7 == 3:
                record.pop("answer", None)  # a reference missing on some rows: None in the column, as TRL passes it
            if marks and k in marks:
                record["completion"] = [{"role": "assistant", "content": record["completion"][-1]["content"]
                                         + marks[k]}]
            fh.write(json.dumps(record) + "\n")
    return path


def test_shards_cover_the_file_in_order(tmp_path):
    path = _write(tmp_path, 500)
    whole = list(load_samples(path))
    bounds = shard_bounds(path, 4)
    assert len(bounds) == 4 and bounds[0][0] == 0 and bounds[-1][1] == path.stat().st_size
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    parts = [s for start, end in bounds for s in iter_shard(path, None, start, end)]
    assert [(s.prompt, s.completion, s.refs) for s in parts] == [(s.prompt, s.completion, s.refs) for s in whole]


def test_shards_are_for_json_lines_only(tmp_path):
    csv_path = tmp_path / "s.csv"
    csv_path.write_text("prompt,completion\nq,a\n", encoding="utf-8")
    assert shard_bounds(csv_path, 2) is None


@pytest.mark.slow
def test_parallel_workers_score_exactly_like_one(tmp_path):
    path = _write(tmp_path, 6_500, marks={4_321: " RAISE-ME"})
    samples = load_samples(path)
    spec = propose_offline(load_samples(demo_path("math")), name="m")
    shipped = score_samples(spec, samples[:], workers=1)  # a slice is not the whole file: sent to one worker
    for workers in (1, 3):
        parallel = score_samples(spec, samples, workers=workers)
        assert parallel.scores == shipped.scores
        assert parallel.errors == shipped.errors
    # Errors land on the right sample, in whichever shard it was.
    own = score_samples(_names_spec(["length", "raises_on_marker"]), samples, source=KILLER, workers=3)
    assert list(own.errors["raises_on_marker"]) == [4_321]
    assert "ZeroDivisionError" in own.errors["raises_on_marker"][4_321]
    assert own.scores["raises_on_marker"][3] is None and own.scores["raises_on_marker"][4] == 0.5
    assert own.scores["length"] == [float(len(s.completion[-1]["content"])) for s in samples]


@pytest.mark.slow
def test_a_rule_that_kills_its_worker_is_reported_and_the_worker_replaced(tmp_path):
    path = _write(tmp_path, 4_400, marks={3_000: " KILL-ME"})
    samples = load_samples(path)
    spec = _names_spec(["dies_on_marker", "length"])
    for run in (score_samples(spec, samples, source=KILLER, workers=2),
                score_samples(spec, samples[:], source=KILLER)):
        errors = run.errors["dies_on_marker"]
        assert list(errors) == [3_000]
        assert "worker process died (SIGKILL" in errors[3_000] and "replaced" in errors[3_000]
        assert run.scores["dies_on_marker"][3_000] is None
        assert run.scores["dies_on_marker"].count(1.0) == len(samples) - 1
        # The rule after it ran in the replacement worker, on every sample.
        assert run.scores["length"] == [float(len(s.completion[-1]["content"])) for s in samples]
        assert not run.errors["length"]


@pytest.mark.slow
def test_the_cpu_time_limit_stops_a_process_that_spins():
    code = (f"import sys; sys.path.insert(0, {str(_worker.__file__.rsplit('/', 1)[0])!r}); import _worker; "
            "_worker.limit_cpu(1)\nwhile True: pass")
    done = subprocess.run([sys.executable, "-I", "-c", code], timeout=60)
    assert done.returncode == -signal.SIGXCPU


@pytest.mark.slow
def test_a_call_over_its_cpu_allowance_is_killed_by_the_kernel(tmp_path):
    # A wall-clock limit far away: what stops the spinning call is RLIMIT_CPU, set for the call in the worker.
    spins = '''
import threading

def spins(prompts=None, completions=None, **kwargs):
    def burn():
        while True:
            pass
    threads = [threading.Thread(target=burn, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    threads[0].join()

REWARD_FUNCS = [spins]
'''
    samples = load_samples(_write(tmp_path, 1))
    with Bench(time_limit=1.0) as bench:
        bench.load(spins)
        bench.set_samples(samples)
        reply = bench._request(("call_one", "spins", 0, 1.0), timeout=60)
    assert reply is not None and reply[0] == "error" and "SIGXCPU" in reply[1]


def test_scores_travel_as_compact_arrays():
    scores = [0.5, None, -1.0, float("inf"), None]
    values, nones = _worker.pack(scores)
    assert len(values) == 8 * len(scores) and nones == bytes([0, 1, 0, 0, 1])
    assert _worker.unpack(values, nones) == scores


def test_bounded_diagnostics_take_whole_groups_with_a_fixed_seed():
    from rewardsmith.diagnostics import bounded

    samples = load_samples(demo_path("math"))
    spec = propose_offline(samples, name="m")
    matrix = score_samples(spec, samples)
    groups = samples.groups()
    few, sampling = bounded(samples, matrix, 3)
    assert (sampling.groups, sampling.of) == (3, len(groups)) and len(groups) > 3
    assert sampling.line.startswith(f"diagnostics on 3 of {len(groups)} groups (drawn with seed 0)")
    assert len(few.groups()) == 3 and all(len(idx) == len(groups[g]) for g, idx in few.groups().items())
    again, _ = bounded(samples, matrix, 3)
    assert [s.id for s in again] == [s.id for s in few]
    for name in matrix.rules:  # the matrix rows follow the samples kept
        by_id = matrix.by_sample(name)
        assert sampling.matrix.scores[name] == [by_id[s.id] for s in few]
    whole, untouched = bounded(samples, matrix, len(groups))
    assert whole is samples and untouched.line == ""


@pytest.mark.slow
def test_the_report_says_how_many_groups_the_diagnostics_saw():
    from rewardsmith.diagnostics import diagnose

    samples = load_samples(demo_path("math"))
    spec = propose_offline(samples, name="m")
    matrix = score_samples(spec, samples)
    result = diagnose(spec, samples, matrix, max_groups=2)
    part = result.part("sampling")
    assert part.lines == [f"diagnostics on 2 of {len(samples.groups())} groups (drawn with seed 0); the GRPO and "
                          "weights sections and the report's statistics use every sample"]
    assert result.to_data()["sampling"]["samples"] < len(samples)
    # The GRPO section still counts every group.
    assert result.part("grpo").data == diagnose(spec, samples, matrix).part("grpo").data


def test_a_lean_set_keeps_texts_only_for_the_groups_the_diagnostics_see(tmp_path):
    from rewardsmith.diagnostics import bounded

    path = _write(tmp_path, 3_000)
    whole = load_samples(path)
    lean = load_samples(path, lean=25, seed=4)
    assert [(s.id, s.group, s.label, s.refs) for s in lean] == [(s.id, s.group, s.label, s.refs) for s in whole]
    assert lean.fingerprint() == whole.fingerprint()
    assert all(s.prompt is None and s.completion == "" for s in lean)
    matrix = score_samples(_names_spec(["length"]), whole, source=KILLER, workers=2)
    few_lean, of_lean = bounded(lean, matrix, 25, seed=4)
    few_whole, of_whole = bounded(whole, matrix, 25, seed=4)
    assert [(s.id, s.prompt, s.completion) for s in few_lean] == [(s.id, s.prompt, s.completion) for s in few_whole]
    assert of_lean.matrix.scores == of_whole.matrix.scores
    assert (of_lean.groups, of_lean.of) == (25, len(whole.groups()))
    # The workers read the texts, so a lean set scores as the whole one does.
    assert score_samples(_names_spec(["length"]), lean, source=KILLER, workers=2).scores == matrix.scores
