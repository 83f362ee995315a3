"""HumanEval completions built from the canonical solutions, labelled by running each against its `check`.

HumanEval ships problems, not generations. Each problem gives one right completion (prompt +
``canonical_solution``) and up to ``MUTANTS`` wrong candidates: the canonical solution with one
deterministic mutation (a comparison flipped, an operator swapped, a constant moved by one …).
A mutant is not assumed wrong: every completion is run against the problem's ``check`` in a child
process, and the label is whether it really passed. Completions come as a chat model writes them:
a sentence, then the whole function in a fenced Python block.

The built file is cached under the system's temporary folder, keyed by the problems file's hash
and ``BUILDER_VERSION``; it is test data derived on the fly, never committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["BUILDER_VERSION", "MUTANTS", "build_humaneval", "mutants", "passes"]

BUILDER_VERSION = 1  # bump when the mutations or the completion layout change: the cache key holds it
MUTANTS = 3  # wrong candidates per problem at most
TIME_LIMIT = 5.0  # seconds per check; a mutant that loops forever fails by time-out

# One mutation each, tried in this order on the solution's first match; a candidate that does not
# change the text, or repeats an earlier one, is skipped.
_MUTATIONS: tuple[tuple[str, str], ...] = (
    (r"<=", "<"),
    (r">=", ">"),
    (r"(?<![<>=!])<(?![<=])", "<="),
    (r"(?<![<>=!-])>(?![>=])", ">="),
    (r"==", "!="),
    (r"!=", "=="),
    (r"(?<![+\-*/=<>!])\+(?![+=])", "-"),
    (r"(?<![+\-*/=<>!e])-(?![-=>])", "+"),
    (r"\bTrue\b", "False"),
    (r"\bFalse\b", "True"),
    (r"\band\b", "or"),
    (r"\bor\b", "and"),
    (r"(?<![\w.])1(?![\w.])", "2"),
    (r"(?<![\w.])0(?![\w.])", "1"),
    (r"\breturn (?!None\b)", "return None and "),
)


def mutants(solution: str, limit: int = MUTANTS) -> list[str]:
    """Up to `limit` distinct single-mutation variants of `solution`, in a fixed order."""
    out: list[str] = []
    for pattern, repl in _MUTATIONS:
        changed = re.sub(pattern, repl, solution, count=1)
        if changed != solution and changed not in out:
            out.append(changed)
        if len(out) == limit:
            break
    return out


def _program(problem: dict[str, Any], body: str) -> str:
    return f"{problem['prompt']}{body}\n\n{problem['test']}\n\ncheck({problem['entry_point']})\n"


def passes(problem: dict[str, Any], body: str, workdir: Path) -> bool:
    """Whether prompt + `body` passes the problem's check, run in a child Python with a time limit."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    path = workdir / f"{problem['task_id'].replace('/', '_')}-{digest}.py"
    path.write_text(_program(problem, body), encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"}
    try:
        result = subprocess.run([sys.executable, "-I", str(path)], cwd=workdir, env=env, capture_output=True,
                                timeout=TIME_LIMIT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _completion(problem: dict[str, Any], body: str) -> str:
    code = f"{problem['prompt'].strip()}\n{body.rstrip()}\n"
    return f"Here is the implementation of `{problem['entry_point']}`:\n\n```python\n{code}```\n"


def build_humaneval(problems_path: Path, cache_dir: Path | None = None) -> Path:
    """The labelled completions as JSONL (built once, then read from the cache).

    Each row: ``id``, ``task_id`` (the group), ``prompt``, ``completion``, ``test``, ``entry_point`` and
    ``passed`` (established by execution); within a problem the completions are in an order that
    says nothing about which one is canonical.
    """
    raw = problems_path.read_bytes()
    key = hashlib.sha256(raw + f"v{BUILDER_VERSION}".encode()).hexdigest()[:16]
    folder = cache_dir or Path(tempfile.gettempdir()) / "rewardsmith-heldout"
    target = folder / f"humaneval-{key}.jsonl"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    problems = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    jobs = [(p, name, body) for p in problems
            for name, body in [("canonical", p["canonical_solution"]),
                               *((f"mutant-{k}", m) for k, m in enumerate(mutants(p["canonical_solution"])))]]
    with tempfile.TemporaryDirectory(prefix="humaneval-run-") as tmp, ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(lambda job: passes(job[0], job[2], Path(tmp)), jobs))
    rows = []
    for p in problems:
        mine = sorted(((body, ok) for (q, _name, body), ok in zip(jobs, verdicts) if q is p),
                      key=lambda item: hashlib.sha256(item[0].encode()).hexdigest())
        # Ids and order carry no hint of which completion is the canonical one.
        rows += [{"id": f"{p['task_id']}-{k}", "task_id": p["task_id"], "prompt": p["prompt"],
                  "completion": _completion(p, body), "test": p["test"], "entry_point": p["entry_point"],
                  "passed": ok} for k, (body, ok) in enumerate(mine)]
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    partial.replace(target)  # atomic: a concurrent run reads a whole file or builds its own
    return target
