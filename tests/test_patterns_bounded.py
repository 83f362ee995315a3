"""Spec patterns never hang rewardsmith (issue 10, point 5): vetting with a timed trial, bounded evaluation
wherever rewardsmith itself runs a pattern, and child processes that die with their parent.

A hang must fail a test rather than stall the suite, so everything that could hang runs in a subprocess or a
thread with a generous timeout (60-180 s); no assertion is about speed (benchmarks/bench_patterns.py prints it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from rewardsmith.bench import ScoreMatrix
from rewardsmith.diagnostics import lint
from rewardsmith.diagnostics._common import Context, locate_answer
from rewardsmith.kinds import Extract
from rewardsmith.patterns import (
    UNSETTLED,
    Found,
    PatternTimeout,
    find,
    find_all,
    find_each,
    run_bounded,
    runs_in_process,
    vet_pattern,
    worst_case_steps,
)
from rewardsmith.patterns import IN_PROCESS_STEPS
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import RewardSpec, Rule
from rewardsmith.workbench.spans import rule_spans

# The issue's patterns: each hung `rewardsmith test` (killed at 45 s) or crashed it.
ISSUE_PATTERNS = [r"((a)+)+$", r"(a{1,})+$", r"^(a|a?)+$", r"^((a)+)+\2$", r"a*a*a*a*a*a*b", r"(a|aa)*b",
                  r"a{4294967295}"]
# Patterns vetting accepts (they are fine on short text) that are still slow on a long near miss:
# `re.search` of \w+\s+x on 'a' * 50000 + '!' takes about 25 s.
SLOW_BUT_VALID = [r"\w+\s+x", r"(\w+)\s+x"]
HOSTILE = "a" * 50000 + "!"


def _in_thread(fn: Callable[[], Any], timeout: float = 60.0) -> Any:
    """fn() off the main thread (where the TUI calls from); a hang fails instead of stalling the suite."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"did not end within {timeout} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


# --------------------------------------------------------------------------- vetting and its timed trial


@pytest.mark.parametrize("pattern", [r"a*a*b", r"\s*\s*x", r"(?:a?){30}a{30}", r".*.*=.*"])
def test_trial_refuses_what_blows_up_on_its_own_near_misses(pattern: str) -> None:
    with pytest.raises(ValueError, match="timed trial") as info:
        vet_pattern(pattern)
    message = str(info.value)
    assert "near miss" in message and ("merge adjacent repeats" in message or "bound the repeats" in message)


@pytest.mark.parametrize("pattern, flags", [
    (r"\w+\s+x", ()),  # quadratic under search, as re searches: left to the per-call limit
    (r"(\d+(?:\.\d+)?)\s*%", ()),
    (r"<think>.*?</think>.*?<answer>(.*?)</answer>", ("DOTALL",)),
    (r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", ("DOTALL",)),
    (r"https?://\S+", ()),
    (r"^(?:\w+ ){3,}\w+$", ()),
])
def test_trial_accepts_ordinary_patterns(pattern: str, flags: tuple[str, ...]) -> None:
    assert vet_pattern(pattern, flags) == pattern


def test_refusal_names_the_field_the_line_and_what_to_do(tmp_path: Path) -> None:
    from rewardsmith.errors import SpecError
    from rewardsmith.spec import load_spec

    path = tmp_path / "spec.yaml"
    path.write_text(_spec_yaml("regex_format", "a*a*b"))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert str(path) in message and "line " in message and "params: pattern: " in message
    assert "merge adjacent repeats" in message


# --------------------------------------------------------------------------- bounded evaluation


def test_find_agrees_with_re_in_process_and_in_the_child() -> None:
    text = "x = 12, y = 345\n" * 400  # 6,400 characters: the quadratic bound sends the search to the child
    pattern = r"(?P<name>\w+)\s*=\s*(\d+)"
    assert not runs_in_process(pattern, len(text))
    assert runs_in_process(pattern, len("a = 1"))
    want = re.search(pattern, text)
    got = find(pattern, text)
    assert isinstance(got, Found)
    assert got.span() == want.span() and got.group("name") == "x" and got.groups() == want.groups()
    assert [m.span(2) for m in find_all(pattern, text)] == [m.span(2) for m in re.finditer(pattern, text)]
    assert find(pattern, "no digits here " * 500) is None
    assert isinstance(find(pattern, "a = 1"), re.Match)  # short text: run in process


@pytest.mark.parametrize("pattern, flags, mode", [
    (r"(?P<name>\w+)\s*=\s*(\d+)", 0, "search"),
    (r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL, "match"),
    (r"\s*<reasoning>(.*?)</reasoning>\s*<answer>(.*?)</answer>\s*", re.DOTALL, "fullmatch"),
    (r"a{2,5}", 0, "search"),
])
def test_remembered_lengths_answer_as_the_bound_would(pattern: str, flags: int, mode: str) -> None:
    # Lengths in an order that settles both sides early: every answer must still be the bound's own.
    lengths = [5000, 10, 20000, 300, 1500, 1, 700, 3000, 64, 12000, 2500, 900, 0, 40000]
    for n in lengths:
        assert runs_in_process(pattern, n, flags, mode) == (worst_case_steps(pattern, n, flags, mode)
                                                            <= IN_PROCESS_STEPS), n


def test_find_each_answers_as_find_does_with_one_round_trip() -> None:
    pattern = r"(?P<name>\w+)\s*=\s*(\d+)"
    texts = ["x = 12, y = 345\n" * 400, "a = 1", "no digits here " * 500, "q = 7\n" * 900, "a = 1"]
    assert not runs_in_process(pattern, len(texts[0])) and runs_in_process(pattern, len(texts[1]))
    got, want = find_each(pattern, texts), [find(pattern, t) for t in texts]
    assert [g is None for g in got] == [w is None for w in want] == [False, False, True, False, False]
    for g, w in zip(got, want):
        if w is not None:
            assert g.span() == w.span() and g.groups() == w.groups() and g.group("name") == w.group("name")
    assert isinstance(got[0], Found) and isinstance(got[1], re.Match)


def test_find_each_leaves_a_timeout_to_find_and_remembers_nothing() -> None:
    pattern = r"(a+)+$"
    texts = ["a" * 12 + "!", "a" * 40 + "!", "a" * 14 + "!", "a" * 20]
    got = _in_thread(lambda: find_each(pattern, texts, limit=0.3))
    assert got[0] is None  # settled before the slow one
    assert got[1:] == [UNSETTLED] * 3  # past the limit, and every text sent after it
    # Nothing was remembered: find() times the slow text out itself, as a loop of find() calls would, and
    # the texts after it still run (in a new child).
    with pytest.raises(PatternTimeout):
        _in_thread(lambda: find(pattern, texts[1], limit=0.3))
    assert find(pattern, texts[2]) is None and find(pattern, texts[3]).span() == (0, 20)


def test_a_pattern_that_runs_too_long_is_stopped_off_the_main_thread() -> None:
    with pytest.raises(PatternTimeout) as info:
        _in_thread(lambda: find(r"(a+)+$", "a" * 40 + "!", limit=0.3))
    assert "pattern timed out" in str(info.value) and "41-character" in str(info.value)
    # The child was killed, a new one answers the next request.
    assert find(r"(b+)+$", "b" * 30).span() == (0, 30)


def test_run_bounded_refuses_functions_outside_rewardsmith() -> None:
    with pytest.raises(ValueError, match="rewardsmith functions"):
        run_bounded(os.getcwd, patterns=[(r"(a+)+$", 0)], length=10)


def _unvetted_extract(pattern: str) -> Extract:
    # As a hand-edited or audited spec can carry it: the bounded path must hold without the vetting.
    return Extract.model_construct(method="regex", pattern=pattern, group=1 if "(" in pattern else 0,
                                   flags=[], occurrence="last", strip=True)


@pytest.mark.slow
@pytest.mark.parametrize("pattern", ISSUE_PATTERNS[:-1] + SLOW_BUT_VALID)
def test_locator_times_out_instead_of_hanging(pattern: str) -> None:
    with pytest.raises(PatternTimeout):
        _in_thread(lambda: locate_answer(HOSTILE, _unvetted_extract(pattern)))
    slot = _in_thread(lambda: locate_answer("the answer is 42 z", _unvetted_extract(r"(\d+)\s+z")))
    assert slot is not None and slot.content("the answer is 42 z") == "42"


def _rule(kind: str, pattern: str) -> Rule:
    params: dict[str, Any] = {"pattern": pattern}
    if kind == "regex_format":
        params["mode"] = "search"
    elif kind == "count_in_range":
        params.update(min_count=1, max_count=3)
    else:
        params = {"reference": "answer", "extract": {"method": "regex", "pattern": pattern}}
    return Rule(name="r", kind=kind, params=params, rationale="test")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["regex_format", "count_in_range", "exact_match"])
def test_workbench_spans_report_a_timeout_as_a_region(kind: str) -> None:
    rule = _rule(kind, r"(\w+)\s+x")
    spans = _in_thread(lambda: rule_spans(rule, HOSTILE, {"answer": "a"}))
    assert len(spans) == 1 and spans[0].region and "pattern timed out" in spans[0].note
    assert (spans[0].start, spans[0].end) == (0, len(HOSTILE))
    # The same rule on ordinary text still shows what it matched.
    shown = _in_thread(lambda: rule_spans(rule, "so abc x", {"answer": "abc"}))
    assert shown and all("timed out" not in s.note for s in shown)


@pytest.mark.slow
def test_lint_reports_a_timed_out_pattern_as_a_finding() -> None:
    spec = RewardSpec(name="t", description="t", task="t", rules=[
        Rule(name="fmt", kind="regex_format", params={"pattern": r"\w+\s+x$", "mode": "match"}, rationale="r")])
    samples = SampleSet([Sample(id="long", prompt="q", completion=HOSTILE, group="g"),
                         Sample(id="short", prompt="q", completion="ab x", group="g")])
    matrix = ScoreMatrix(rules=["fmt"], weights=[1.0], roles=["verifier"], sample_ids=["long", "short"],
                         scores={"fmt": [0.0, 1.0]})
    plan = _in_thread(lambda: lint.plan(Context(spec=spec, samples=samples, matrix=matrix, source="")), 120)
    found = [f for f in plan.findings if f.code == "pattern_timeout"]
    assert len(found) == 1 and found[0].rule == "fmt" and found[0].sample == "long"
    assert "pattern timed out" in found[0].message and "rewrite it" in found[0].message


# --------------------------------------------------------------------------- the CLI end to end


def _spec_yaml(kind: str, pattern: str) -> str:
    if kind == "regex_format":
        params = {"pattern": pattern, "mode": "search"}
    elif kind == "count_in_range":
        params = {"pattern": pattern, "min_count": 1, "max_count": 3}
    else:
        params = {"reference": "answer", "extract": {"method": "regex", "pattern": pattern}}
    rule = {"name": "r", "kind": kind, "params": params, "rationale": "test"}
    return yaml.safe_dump({"schema_version": 1, "name": "t", "description": "t", "task": "t", "rules": [rule]},
                          sort_keys=False)


def _hostile_samples(path: Path) -> Path:
    rows = [{"prompt": "q1", "completion": HOSTILE, "label": True, "answer": "a"},
            {"prompt": "q1", "completion": "ab x", "label": False, "answer": "ab"},
            {"prompt": "q2", "completion": "cd x", "label": True, "answer": "cd"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _rewardsmith(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-m", "rewardsmith", *args], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rewardsmith {' '.join(args)} did not end within {timeout} s")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["regex_format", "count_in_range", "exact_match"])
@pytest.mark.parametrize("pattern", ISSUE_PATTERNS)
def test_cli_refuses_the_issue_patterns_with_advice(tmp_path: Path, kind: str, pattern: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(_spec_yaml(kind, pattern))
    done = _rewardsmith("test", str(spec), str(_hostile_samples(tmp_path / "s.jsonl")), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{spec}" in done.stderr and re.search(r"line \d+, rules\[0\]", done.stderr) and "pattern: " in done.stderr
    assert re.search(r"rewrite|merge|use \+ or \*", done.stderr), done.stderr


@pytest.mark.slow
def test_cli_ends_and_reports_patterns_that_pass_vetting_but_time_out(tmp_path: Path) -> None:
    rules = [
        {"name": "fmt", "kind": "regex_format", "params": {"pattern": r"\w+\s+x$", "mode": "match"},
         "rationale": "r"},
        {"name": "cnt", "kind": "count_in_range", "params": {"pattern": r"\w+\s+y", "min_count": 1,
                                                             "max_count": 3}, "rationale": "r"},
        {"name": "ans", "kind": "exact_match", "params": {"reference": "answer", "extract": {
            "method": "regex", "pattern": r"(\w+)\s+x"}}, "rationale": "r"},
    ]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"schema_version": 1, "name": "t", "description": "t", "task": "t", "rules": rules}))
    report = tmp_path / "report.json"
    done = _rewardsmith("test", str(spec), str(_hostile_samples(tmp_path / "s.jsonl")), "--time-limit", "0.5",
                        "--json", str(report), timeout=180)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "pattern timed out" in done.stdout, done.stdout
    assert '"code": "pattern_timeout"' in report.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("separator", [r"^(a|a?)+$", r"\w+\s+x"])
def test_separator_ends_with_file_line_advice(tmp_path: Path, separator: str) -> None:
    text = tmp_path / "log.txt"
    text.write_text("first completion\n===\n" + HOSTILE + "\n===\nthird\n")
    spec = tmp_path / "spec.json"
    spec.write_text(_spec_yaml("regex_format", "first"))
    done = _rewardsmith("test", str(spec), str(text), "--format", "text", "--separator", separator, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "--separator" in done.stderr
    if separator == r"\w+\s+x":  # vetting lets it through; the long line stops it
        assert f"{text}:3:" in done.stderr and "pattern timed out" in done.stderr and "anchor" in done.stderr
    else:
        assert "rewrite it" in done.stderr


# --------------------------------------------------------------------------- children die with the parent


def _descendants_alive(procs: list[Any]) -> list[Any]:
    import psutil

    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_gone(procs: list[Any], seconds: float = 5.0) -> list[Any]:
    deadline = time.monotonic() + seconds
    alive = _descendants_alive(procs)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = _descendants_alive(procs)
    return alive


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("after, rows", [(4.0, 2), (12.0, 2), (4.0, 24)],
                         ids=["scoring", "diagnostics", "scoring-two-shards"])  # 24 rows: 4.8 MB, two workers
def test_no_child_outlives_a_signalled_test_run(tmp_path: Path, sig: int, after: float, rows: int) -> None:
    import psutil  # in the dev extra: CI runs this, never skips it
    samples = tmp_path / "big.jsonl"
    # One call of this rule takes minutes (quadratic search over 200,000 characters): a hanging rule. The
    # leading "x" gets past the module's literal prefilter (no "x", no search), so the regex really runs.
    samples.write_text("".join(json.dumps({"prompt": "q", "completion": "x" + "a" * 200_000 + "!", "label": k == 0})
                               + "\n" for k in range(rows)))
    spec = tmp_path / "spec.json"
    spec.write_text(_spec_yaml("regex_format", r"\w+\s+x"))
    proc = subprocess.Popen([sys.executable, "-m", "rewardsmith", "test", str(spec), str(samples)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    seen: dict[int, Any] = {}
    try:
        me = psutil.Process(proc.pid)
        deadline = time.monotonic() + after
        while time.monotonic() < deadline and proc.poll() is None:
            for child in me.children(recursive=True):
                seen.setdefault(child.pid, child)
            time.sleep(0.1)
        assert proc.poll() is None, "the run ended before the signal: the rule did not hang"
        assert seen, "the run started no child process"
        proc.send_signal(sig)
        proc.wait(30)
        alive = _wait_gone(list(seen.values()))
        assert not alive, [" ".join(p.cmdline())[:120] for p in alive]
        assert proc.returncode == 128 + sig
    finally:
        if proc.poll() is None:
            proc.kill()
        for child in seen.values():
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


@pytest.mark.slow
def test_the_pattern_child_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    # SIGKILL leaves no chance to clean up: PR_SET_PDEATHSIG has to take the spinning child down.
    code = "from rewardsmith.patterns import find\nfind(r'(a+)+$', 'a' * 60 + '!', limit=600)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        me = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        children: list[Any] = []
        while time.monotonic() < deadline and not children:
            children = [c for c in me.children(recursive=True) if c.cpu_percent(0.2) > 0]
        assert children, "the pattern never started running in a child"
        proc.kill()
        proc.wait(10)
        assert not _wait_gone(children)
    finally:
        if proc.poll() is None:
            proc.kill()
