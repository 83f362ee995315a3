"""Fixtures for the diagnostics tests: the demo sets, synthetic seed-retry samples, scoring helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.bench import Bench, score_samples
from rewardsmith.diagnostics import Diagnostics, diagnose
from rewardsmith.samples import Sample, SampleSet, demo_path, load_samples
from rewardsmith.spec import RewardSpec, parse_spec

QUESTIONS = [
    ("What is the capital of France?", "Paris", "Lyon", ["capital of France", "France capital city"]),
    ("Which planet is known as the Red Planet?", "Mars", "Venus", ["Red Planet name", "planet red colour"]),
    ("Who wrote Hamlet?", "William Shakespeare", "Christopher Marlowe", ["Hamlet author", "Hamlet play writer"]),
]


def _msg(text: str, role: str = "assistant") -> dict[str, str]:
    return {"role": role, "content": text}


def seed_retry_rows() -> list[dict[str, Any]]:
    """Synthetic generations in the seed note's format: 'Searching for: …' lines, then the answer.

    The seed pseudo-code reads completion[0]["content"] and compares it, unstripped, with
    expected_result; these rows cover what a search agent writes: a bare answer, 2-5 searches then
    the answer, search spam, a wrong answer, a trailing newline, and a transcript with tool turns.
    """
    rows = []
    for q, (prompt, gold, wrong, queries) in enumerate(QUESTIONS, 1):
        searches = "\n".join(f"Searching for: {x}" for x in queries)
        spam = "\n".join(f"Searching for: {queries[0]} {n}" for n in range(9))
        completions = [
            ("bare", gold, "good"),
            ("searched", f"{searches}\n{gold}", "good"),
            ("spam", f"{spam}\n{gold}", "bad"),
            ("wrong", f"{searches}\n{wrong}", "bad"),
            ("newline", gold + "\n", "good"),
        ]
        for c, (mode, text, label) in enumerate(completions, 1):
            rows.append({"id": f"seed-q{q}-{mode}", "group": f"seed-q{q}", "prompt": [_msg(prompt, "user")],
                         "completion": [_msg(text)], "label": label, "expected_result": gold})
        rows.append({"id": f"seed-q{q}-tools", "group": f"seed-q{q}", "prompt": [_msg(prompt, "user")],
                     "completion": [_msg(f"Searching for: {queries[0]}"), _msg(f"{gold} is the answer.", "tool"),
                                    _msg(f"Searching for: {queries[1]}"), _msg("confirmed", "tool"), _msg(gold)],
                     "label": "good", "expected_result": gold})
    return rows


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def seed_samples(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    return load_samples(write_jsonl(seed_retry_rows(), tmp_path_factory.mktemp("seed") / "seed.jsonl"))


@pytest.fixture(scope="session")
def math_samples() -> SampleSet:
    return load_samples(demo_path("math"))


@pytest.fixture(scope="session")
def maze_samples() -> SampleSet:
    return load_samples(demo_path("maze"))


@pytest.fixture(scope="session")
def search_samples() -> SampleSet:
    return load_samples(demo_path("search"))


@pytest.fixture(scope="session")
def bench():
    with Bench() as b:
        yield b


def run(spec: RewardSpec, samples: SampleSet, bench: Bench, **kw: Any) -> Diagnostics:
    """Score, then diagnose, on one shared worker."""
    matrix = score_samples(spec, samples, bench=bench, source=kw.get("source"))
    return diagnose(spec, samples, matrix, bench=bench, **kw)


def spec_of(text: str) -> RewardSpec:
    return parse_spec(text)


def sample(sid: str, completion: Any, *, group: str = "g", prompt: Any = "Q?", label: str | None = None,
           **refs: Any) -> Sample:
    return Sample(id=sid, prompt=prompt, completion=completion, group=group,
                  label=None if label is None else float(label == "good"), refs=refs)
