"""The bundled demo sample sets: reproducible from their script, well-shaped, and labelled by their stated rules.

The label checks here are written independently of ``scripts/make_demo_data.py`` (which checks its own labels
while generating), so a change to either side that breaks the documented rules shows up.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "rewardsmith" / "data" / "demo"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
SETS = ("search", "math", "maze")
REFERENCE_COLUMNS = {"search": ["answer", "aliases"], "math": ["answer"], "maze": ["answer"]}


def _load_script():
    spec = importlib.util.spec_from_file_location("make_demo_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(name: str) -> list[dict]:
    with open(DEMO / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _groups(rows: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    return groups


def test_regenerating_gives_byte_identical_files(tmp_path):
    written = _load_script().main(tmp_path)
    assert sorted(written) == sorted(p.name for p in DEMO.iterdir() if p.is_file())
    for name, path in written.items():
        assert path.read_bytes() == (DEMO / name).read_bytes(), (
            f"{name} differs: run python scripts/regen.py demo-data")


@pytest.mark.parametrize("name", SETS)
def test_set_shape(name):
    rows = _rows(name)
    assert [list(r) for r in rows] == [["id", "group", "prompt", "completion", "label", *REFERENCE_COLUMNS[name]]] * len(rows)
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert re.fullmatch(rf"{name}-g\d\d", r["group"]), r["group"]
        assert re.fullmatch(rf"{re.escape(r['group'])}-c[1-8]", r["id"]), r["id"]
        assert r["label"] in ("good", "bad")
    groups = _groups(rows)
    assert len(groups) >= 12
    assert all(4 <= len(g) <= 8 for g in groups.values())
    assert len({len(g) for g in groups.values()}) >= 3, "group sizes should vary"
    for members in groups.values():
        assert all(m["prompt"] == members[0]["prompt"] for m in members), "one prompt per group"
        assert all(m["answer"] == members[0]["answer"] for m in members)
    labels = {r["label"] for r in rows}
    assert labels == {"good", "bad"}
    mixed = [g for g, members in groups.items() if len({m["label"] for m in members}) == 2]
    single = [g for g in groups if g not in mixed]
    assert len(mixed) / len(groups) >= 0.7
    assert 1 <= len(single) <= 3, "a few groups have zero spread, as real GRPO groups do"


# --------------------------------------------------------------------------------- independent label rules

def _search_ok(row: dict) -> bool:
    msgs = row["completion"]["messages"]
    roles = [m["role"] for m in msgs]
    if roles != ["assistant", "tool"] * (len(msgs) // 2) + ["assistant"]:
        return False
    searches = msgs[:-1:2]
    if len(searches) > 5:
        return False
    for m in searches:
        text = m["content"].strip()
        if not (text.startswith("<think>") and text.endswith("</search>")):
            return False
        if text.count("<think>") != 1 or text.count("</think>") != 1 or text.count("<search>") != 1:
            return False
    last = msgs[-1]["content"].strip()
    if last.count("<think>") != 1 or last.count("</think>") != 1 or last.count("<answer>") != 1:
        return False
    if not (last.startswith("<think>") and last.endswith("</answer>")):
        return False
    between = last.split("</think>")[1].split("<answer>")[0]
    if between.strip():
        return False
    got = last.split("<answer>")[1].split("</answer>")[0].strip().lower()
    return got in {a.lower() for a in [row["answer"], *row["aliases"]]}


def _math_ok(row: dict) -> bool:
    (message,) = row["completion"]
    assert message["role"] == "assistant"
    text = message["content"].strip()
    for tag in ("<reasoning>", "</reasoning>", "<answer>", "</answer>"):
        if text.count(tag) != 1:
            return False
    if not (text.startswith("<reasoning>") and text.endswith("</answer>")):
        return False
    if text.split("</reasoning>")[1].split("<answer>")[0].strip():
        return False
    got = text.split("<answer>")[1].split("</answer>")[0].strip()
    if not re.fullmatch(r"\d+|\d{1,3}(,\d{3})+", got):
        return False
    return int(got.replace(",", "")) == int(row["answer"])


def _maze_ok(row: dict) -> bool:
    text = row["completion"]
    if not text.lstrip().startswith("<think>") or text.count("<think>") != 1 or text.count("</think>") != 1:
        return False
    return re.sub(r"\s", "", text.split("</think>")[1]) == row["answer"]


@pytest.mark.parametrize(("name", "rule"), [("search", _search_ok), ("math", _math_ok), ("maze", _maze_ok)])
def test_labels_follow_the_documented_rule(name, rule):
    wrong = [r["id"] for r in _rows(name) if rule(r) != (r["label"] == "good")]
    assert not wrong


def test_search_references_and_protocol():
    for r in _rows("search"):
        assert r["answer"] in r["aliases"]
        system, user = r["prompt"]
        assert system["role"] == "system" and "<search>" in system["content"] and "<answer>" in system["content"]
        assert user["role"] == "user" and user["content"].endswith("?")
        for m in r["completion"]["messages"]:
            if m["role"] == "tool":
                assert re.fullmatch(r'<information>Doc 1\(Title: ".+"\) .+</information>', m["content"], re.S)


def test_math_gold_is_an_integer_and_the_system_prompt_is_the_unsloth_one():
    for r in _rows("math"):
        assert re.fullmatch(r"\d+", r["answer"])
        assert r["prompt"][0]["content"] == (
            "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>")


def _parse_maze(prompt: str):
    cells = re.findall(r"<\|(\d+)-(\d+)\|><\|(\w+?)\|><\|(origin|target|blank)\|>", prompt)
    walls, origin, target = {}, None, None
    for r, c, wall, mark in cells:
        cell = (int(r), int(c))
        walls[cell] = set() if wall == "no_wall" else set(wall.removesuffix("_wall").split("_"))
        origin = cell if mark == "origin" else origin
        target = cell if mark == "target" else target
    return walls, origin, target


def test_maze_gold_is_the_unique_shortest_path():
    steps = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
    for r in _rows("maze"):
        walls, origin, target = _parse_maze(r["prompt"])
        n = int(len(walls) ** 0.5)
        assert n * n == len(walls) and origin and target
        dist, ways = {origin: 0}, {origin: 1}
        queue = deque([origin])
        while queue:
            cell = queue.popleft()
            for d, (dr, dc) in steps.items():
                nb = (cell[0] + dr, cell[1] + dc)
                if d in walls[cell] or nb not in walls:
                    continue
                if nb not in dist:
                    dist[nb], ways[nb] = dist[cell] + 1, ways[cell]
                    queue.append(nb)
                elif dist[nb] == dist[cell] + 1:
                    ways[nb] += ways[cell]
        moves = re.findall(r"<\|(\w+)\|>", r["answer"])
        assert "".join(f"<|{m}|>" for m in moves) == r["answer"]
        cell = origin
        for m in moves:  # the gold walks through no wall and ends on the target
            assert m not in walls[cell]
            cell = (cell[0] + steps[m][0], cell[1] + steps[m][1])
        assert cell == target
        assert len(moves) == dist[target] and ways[target] == 1


def test_failure_modes_are_covered():
    text = "\n".join(json.dumps(r["completion"], ensure_ascii=False) for r in _rows("search"))
    assert "<answer></answer>" in text or "<answer> </answer>" in text
    assert any(len(r["completion"]["messages"]) == 1 for r in _rows("search")), "some answer without searching"
    assert any(len(r["completion"]["messages"]) >= 15 for r in _rows("search")), "search spam"
    maths = [r["completion"][0]["content"] for r in _rows("math")]
    assert any("\\boxed{" in t for t in maths) and any("#### " in t for t in maths)
    assert any(re.search(r"<answer>\n\d{1,3}(,\d{3})+\n</answer>", t) for t in maths)
    mazes = [r["completion"] for r in _rows("maze")]
    assert any("</think>" not in t for t in mazes) and any(t.count("</think>") == 2 for t in mazes)
    assert any("<|north|>" in t or "<|forward|>" in t or "<|move_down|>" in t for t in mazes)
