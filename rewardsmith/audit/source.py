"""What an audit runs and reads: the module source the worker loads, and what the AST says of each function.

An audit target is a Python file (``rewards.py``, optionally ``rewards.py:name``) or an importable
``module:name``; a name may be a call (``trl.rewards:get_soft_overlong_punishment(100, 20)``) for the
factories the field ships. The worker runs one source text: the user's file followed by a
``REWARD_FUNCS = [...]`` line (or import lines for modules), so the functions run exactly as TRL
calls them, in the bench's isolated worker. Nothing of the user's code is imported into rewardsmith:
where each function's code lives is asked of a throwaway interpreter, and its file is then read as
text and parsed (:func:`analyse`).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..bench import worker_environment
from ..errors import AuditError

__all__ = ["AuditError", "AuditSource", "FunctionFacts", "analyse", "build_source", "locate"]

# What TRL passes besides the dataset columns (a function's own parameters among these are not columns).
_TRL_PARAMS = {"prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric", "kwargs"}
_RE_CALLS = {"compile": "search", "match": "match", "search": "search", "fullmatch": "fullmatch",
             "findall": "search", "finditer": "search", "sub": "search", "subn": "search", "split": "search"}
# Where `flags` sits among each function's positional arguments (re.match(pattern, string, flags)).
_FLAG_POSITION = {"compile": 1, "split": 3, "sub": 4, "subn": 4}
_SHORT_FLAGS = {"I": "IGNORECASE", "M": "MULTILINE", "S": "DOTALL", "X": "VERBOSE", "A": "ASCII"}
_FLAG_NAMES = {"IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII"}
_LEADING_NAME = re.compile(r"\s*([A-Za-z_]\w*)")


@dataclass
class AuditSource:
    """The module the worker loads, and where its text came from."""

    source: str  # what the worker runs: the user's file (or imports), then REWARD_FUNCS / REWARD_WEIGHTS
    origins: list[str]  # one per REWARD_FUNCS entry: FILE.py:expr or module:expr
    file: Path | None = None  # the audited file, when one was given
    own_funcs: bool = False  # the file's own REWARD_FUNCS list is audited (origins are known once it is loaded)

    def name_origins(self, names: Sequence[str]) -> None:
        """Origins for a file's own REWARD_FUNCS, from the names the loaded module reports."""
        if self.own_funcs:
            self.origins = [f"{self.file}:{n}" for n in names]


def _split_target(target: str) -> tuple[str, str | None]:
    """``rewards.py:name`` / ``module:name`` -> (the file or module, the name); a bare path has no name."""
    head, sep, tail = target.partition(":")
    if sep and head and not (len(head) == 1 and head.isalpha()):  # not a Windows drive letter
        return head, tail.strip() or None
    return target, None


def _default_functions(text: str, path: Path) -> list[str]:
    """The file's own REWARD_FUNCS when it has one; else every top-level function TRL could call."""
    tree = _parse(text, str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "REWARD_FUNCS" for t in node.targets):
            return []  # kept as written
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
            if params & {"completions", "completion_ids"}:
                names.append(node.name)
    if not names:
        raise AuditError(f"{path}: no function takes `completions` or `completion_ids`, and there is no "
                         "REWARD_FUNCS list: name the functions with --functions a,b")
    return names


def _parse(text: str, where: str) -> ast.Module:
    try:
        return ast.parse(text, filename=where)
    except SyntaxError as exc:
        raise AuditError(f"{where} line {exc.lineno}: {exc.msg}: the file is not valid Python") from None


def build_source(targets: Sequence[str], functions: Sequence[str] = (), weights: Sequence[float] = ()) -> AuditSource:
    """The worker's module for `targets` (one file and/or any number of ``module:name``).

    Args:
        functions: names (or calls) in the file to audit; default its REWARD_FUNCS or its reward-shaped functions.
        weights: one per function, as ``GRPOConfig(reward_weights=...)`` would get them; 1.0 each by default.
    """
    files = [(t, name) for t, name in map(_split_target, targets) if t.endswith(".py")]
    modules = [(t, name) for t, name in map(_split_target, targets) if not t.endswith(".py")]
    if len(files) > 1:
        raise AuditError("audit one file at a time (the functions of several files would share one module)")
    lines: list[str] = []
    exprs: list[str] = []
    origins: list[str] = []
    path: Path | None = None
    own_funcs = False
    if files:
        file_target, name = files[0]
        path = Path(file_target)
        if not path.is_file():
            raise AuditError(f"{path}: no such file")
        text = path.read_text(encoding="utf-8")
        wanted = [*functions, *([name] if name else [])] or _default_functions(text, path)
        lines.append(text.rstrip("\n"))
        exprs += wanted
        origins += [f"{path}:{w}" for w in wanted]
        own_funcs = not wanted
    elif functions:
        raise AuditError("--functions names functions of a file: give the file (rewards.py) first")
    for module, name in modules:
        if not name or not re.fullmatch(r"[A-Za-z_][\w.]*", module):
            raise AuditError(f"{module}{':' if name else ''}{name or ''}: give a module function as module:name "
                             "(e.g. trl.rewards:think_format_reward) or a file as rewards.py")
        lead = _LEADING_NAME.match(name)
        if lead is None:
            raise AuditError(f"{module}:{name}: the name must start with the function's name")
        lines.append(f"from {module} import {lead.group(1)}")
        exprs.append(name)
        origins.append(f"{module}:{name}")
    if own_funcs and modules:
        raise AuditError(f"{path} keeps its own REWARD_FUNCS: name its functions with --functions to audit "
                         "them beside module functions")
    if exprs:
        lines.append("REWARD_FUNCS = [" + ", ".join(exprs) + "]")
    if weights:
        lines.append("REWARD_WEIGHTS = [" + ", ".join(repr(float(w)) for w in weights) + "]")
    elif exprs or not _defines(lines[0], "REWARD_WEIGHTS"):
        lines.append("REWARD_WEIGHTS = [1.0] * len(REWARD_FUNCS)")
    source = "\n".join(lines) + "\n"
    for expr in exprs:
        try:
            ast.parse(expr, mode="eval")
        except SyntaxError:
            raise AuditError(f"{expr!r} is not a function name or call") from None
    return AuditSource(source, origins, path, own_funcs)


def _defines(text: str, name: str) -> bool:
    """Whether `text` assigns `name` at module level."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
               for n in tree.body)


# --------------------------------------------------------------------------- where the code lives

_LOCATE = r'''
import inspect, json, sys, types
mod = types.ModuleType("rewards")
sys.modules["rewards"] = mod
out = {"load": None, "funcs": []}
data = json.loads(sys.stdin.read())
try:
    exec(compile(data["source"], "<rewards>", "exec"), mod.__dict__)
except BaseException as exc:
    out["load"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out)); sys.exit(0)
funcs = mod.__dict__.get("REWARD_FUNCS")
if not isinstance(funcs, (list, tuple)):
    out["load"] = "the module defines no REWARD_FUNCS list"
    print(json.dumps(out)); sys.exit(0)
weights = mod.__dict__.get("REWARD_WEIGHTS")
out["weights"] = list(weights) if isinstance(weights, (list, tuple)) else None
for f in funcs:
    code = getattr(f, "__code__", None) or getattr(getattr(type(f), "__call__", None), "__code__", None)
    info = {"name": getattr(f, "__name__", type(f).__name__), "file": None, "line": None, "params": []}
    if code is not None:
        info["file"], info["line"] = code.co_filename, code.co_firstlineno
    try:
        for n, p in inspect.signature(f).parameters.items():
            info["params"].append([n, p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)])
    except (TypeError, ValueError):
        pass
    out["funcs"].append(info)
payload = data["payload"]
if payload:
    import threading

    def off_main(f, info):
        n = len(payload["completions"])
        kwargs = {"prompts": payload["prompts"], "completions": payload["completions"], "completion_ids": [[0]] * n,
                  "trainer_state": None, "log_extra": lambda *a, **k: None, "log_metric": lambda *a, **k: None,
                  **payload["columns"]}
        try:
            got = f(**kwargs)
            if inspect.iscoroutine(got):
                import asyncio
                asyncio.run(got)
        except BaseException as exc:
            info["thread"] = f"{type(exc).__name__}: {exc}"

    for f, info in zip(funcs, out["funcs"]):
        info["thread"] = None
        t = threading.Thread(target=off_main, args=(f, info), daemon=True)
        t.start()
        t.join(30)
        if t.is_alive():
            info["thread"] = "did not return within 30 s"
print(json.dumps(out, default=str))
'''


def locate(source: str, payload: dict[str, Any] | None = None, timeout: float = 60.0) -> dict[str, Any]:
    """Load `source` in a throwaway isolated interpreter: each function's name, file, first line and parameters.

    With a `payload` (prompts, completions, columns of a few samples) each function is also called on
    it from a worker thread, as TRL's async paths call it; what it raised there is its ``thread``.
    """
    blob = json.dumps({"source": source, "payload": payload}, default=str)
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _LOCATE], input=blob, capture_output=True, text=True,
                              timeout=timeout, env=worker_environment())
    except subprocess.TimeoutExpired:
        raise AuditError(f"loading the audited module took over {timeout:g} s") from None
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise AuditError(f"the audited module could not be loaded: {tail}") from None
    if result.get("load"):
        raise AuditError(f"the audited module could not be loaded: {result['load']}")
    return result


# --------------------------------------------------------------------------- what the AST says


@dataclass
class FunctionFacts:
    """What reading one function's source (and the helpers it calls) finds."""

    name: str
    file: str | None
    reference: str | None = None  # the dataset column its signature requires
    first_message: bool = False  # it indexes completion[0]
    patterns: list[dict[str, Any]] = field(default_factory=list)  # pattern, flags, mode, line
    imports_math_verify: bool = False


def _flags(node: ast.AST | None) -> list[str] | None:
    """Flag names of ``re.DOTALL | re.M``; None when the expression is not made of flag constants."""
    if node is None:
        return []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _flags(node.left), _flags(node.right)
        return None if left is None or right is None else left + right
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    if isinstance(node, ast.Constant) and node.value == 0:
        return []
    name = _SHORT_FLAGS.get(name or "", name)
    return [name] if name in _FLAG_NAMES else None


def _strings(scope: ast.AST) -> dict[str, str]:
    """Names bound to a string literal in `scope` (module or function body), last binding wins."""
    out: dict[str, str] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node.value.value
    return out


def _re_calls(node: ast.AST, constants: dict[str, str]) -> list[dict[str, Any]]:
    found = []
    for call in ast.walk(node):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "re"
                and call.func.attr in _RE_CALLS and call.args):
            continue
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            pattern = first.value
        elif isinstance(first, ast.Name) and first.id in constants:
            pattern = constants[first.id]
        else:
            continue
        position = _FLAG_POSITION.get(call.func.attr, 2)
        flag_node = next((k.value for k in call.keywords if k.arg == "flags"), None)
        if flag_node is None and len(call.args) > position:
            flag_node = call.args[position]
        flags = _flags(flag_node)
        if flags is None:
            continue  # flags computed at run time: the lint cannot know them
        found.append({"pattern": pattern, "flags": sorted(set(flags)), "mode": _RE_CALLS[call.func.attr],
                      "line": call.lineno})
    return found


def _first_message(node: ast.AST) -> bool:
    """`x[0]["content"]`: the function reads the first message of a conversational completion."""
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Subscript)
                and isinstance(sub.value.slice, ast.Constant) and sub.value.slice.value == 0
                and isinstance(sub.slice, ast.Constant) and sub.slice.value == "content"):
            return True
    return False


def _definition(tree: ast.Module, line: int | None) -> ast.AST | None:
    """The def (or lambda) whose code starts at `line` (a decorated def starts at its first decorator)."""
    if line is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            starts = {node.lineno, *(d.lineno for d in node.decorator_list)}
            if line in starts:
                return node
    return None


def _reached(tree: ast.Module, start: ast.AST) -> list[ast.AST]:
    """`start` and the module-level functions and regex constants it uses, transitively."""
    top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    assigns = {t.id: n for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    seen: list[ast.AST] = []
    todo = [start]
    while todo:
        node = todo.pop()
        if any(node is s for s in seen):
            continue
        seen.append(node)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                if sub.id in top:
                    todo.append(top[sub.id])
                elif sub.id in assigns and not isinstance(assigns[sub.id].value, ast.Constant):
                    todo.append(assigns[sub.id])
    return seen


def analyse(audit: AuditSource, located: dict[str, Any]) -> list[FunctionFacts]:
    """Per REWARD_FUNCS entry: the column it needs, completion[0], the regexes it applies (by AST)."""
    texts: dict[str, str] = {}
    out: list[FunctionFacts] = []
    for info in located["funcs"]:
        facts = FunctionFacts(info["name"], info["file"])
        required = [n for n, needed in info["params"] if needed and n not in _TRL_PARAMS]
        facts.reference = required[0] if required else None
        where = info["file"]
        if where == "<rewards>":
            text = audit.source
        elif where and Path(where).is_file():
            text = texts.setdefault(where, Path(where).read_text(encoding="utf-8"))
        else:
            out.append(facts)
            continue
        tree = _parse(text, where)
        node = _definition(tree, info["line"])
        if node is not None:
            constants = _strings(tree)
            nodes = _reached(tree, node)
            for n in nodes:
                facts.patterns += _re_calls(n, {**constants, **_strings(n)})
            facts.first_message = any(_first_message(n) for n in nodes)
        facts.imports_math_verify = "math_verify" in text
        out.append(facts)
    return out
