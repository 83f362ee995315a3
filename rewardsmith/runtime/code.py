"""Code that runs its tests: extract a completion's code and execute it against tests in a sandboxed child.

One child process (``sys.executable -I -B``) runs every case of one sample, so a sample costs one interpreter
start. What the sandbox does, and what it does not guarantee:

* **Limits** — address space (``RLIMIT_AS``), CPU seconds, open files, file size and no core dumps, set in a
  ``preexec_fn`` when the caller is single-threaded (where ``preexec_fn`` is safe) and, always, by the harness as
  its first statement; ``RLIMIT_NPROC`` of 0 once the harness has made its one fork (so not in the
  ``preexec_fn``); a wall-clock deadline per case enforced by the parent, which kills the child's whole
  process group; a temporary working directory removed afterwards; an environment with only ``PATH``, ``LANG``,
  ``HOME``/``TMPDIR`` (the temporary directory) — no API keys.
* **Isolation** — where the kernel allows unprivileged user namespaces (or we run as root), the harness enters
  new user, network and PID namespaces before running anything: no network interface but a downed loopback, and
  no other process is visible or can be signalled; the candidate runs as PID 1 there, so every process it leaves
  dies with it. Where namespaces are unavailable, these hold in-process only (below).
* **In-process guard** — an audit hook (PEP 578: it cannot be removed from Python) refuses sockets, process
  creation (fork, exec, spawn, ``subprocess``, ``os.system``), signals to other processes, ``ctypes``, raising
  limits, tracing, frame and garbage-collector introspection (the routes to the harness's memory) and any write
  outside the temporary directory. The tests reach the child through a pipe and are never on disk, in argv or in
  the environment; the candidate runs before the tests are compiled, with ``sys.modules`` restored afterwards,
  and the tests run with a pristine copy of the builtins, so redefining ``check``, ``abs``, ``AssertionError`` or
  a module the tests import changes nothing. Results travel on their own pipe, each line carrying a random
  token the candidate never sees, so an early ``sys.exit(0)``/``os._exit(0)`` or printed "passed" lines count as
  failures. A function's return value must be built of plain builtin types (an object whose ``__eq__`` always
  says True is refused).
* **Not guaranteed** — the candidate can read any file the user can read (keep hidden tests off the machine's
  readable disk, or run as another user); a candidate that reads its own process memory through ``/proc`` could
  find the token; without namespaces, a C extension could open sockets. Threads are not available to candidates
  when ``RLIMIT_NPROC`` applies (not for root).
"""

from __future__ import annotations

import ast
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

__all__ = [
    "_CODE_HARNESS",
    "_CODE_MEMORY_MB",
    "_CODE_OUTPUT_MB",
    "_CODE_STARTUP",
    "_CODE_TIMEOUT",
    "_MAX_CODE_CHARS",
    "_code_limits",
    "_code_score",
    "_code_tests_score",
    "_defines",
    "_extract_code",
    "_humaneval_program",
    "_humaneval_result",
    "_new_workdir",
    "_outputs_match",
    "_read_events",
    "_run_child",
    "_set_limits",
    "_stdio_cases",
    "_stdio_result",
    "_syntax_ok",
]

_CODE_TIMEOUT = 5.0  # wall-clock seconds per test case
_CODE_MEMORY_MB = 1024  # address space of the child
_CODE_OUTPUT_MB = 16  # largest file (so largest stdout of one case) the child may write
_CODE_STARTUP = 3.0  # seconds allowed for the interpreter to start and the harness to report
_MAX_CODE_CHARS = 200_000

_FENCE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+\-.]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.S | re.M)
_PYTHON_TAGS = ("python", "py", "python3", "py3")
_FLOAT_TOKEN = re.compile(r"^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$")

# The child's program. argv: report fd, limits as JSON. stdin: one JSON payload. It reports JSON lines on the
# report fd, each carrying the payload's token: start/end of every case, then done.
_CODE_HARNESS = r'''
import os, sys
_BASE_MODULES = dict(sys.modules)
import ast, builtins, io, json, resource, time

_REPORT_FD = int(sys.argv[1])
for _name, _value in json.loads(sys.argv[2]).items():
    resource.setrlimit(getattr(resource, _name), (_value, _value))
_write, _dumps, _now, _exec, _compile = os.write, json.dumps, time.monotonic, exec, compile
_payload = json.loads(sys.stdin.buffer.read().decode("utf-8"))
_TOKEN = _payload.pop("token")


def _report(event, **fields):
    """Send one event to the parent on the report pipe, with the token that proves it came from here."""
    fields["e"], fields["k"] = event, _TOKEN
    try:
        _write(_REPORT_FD, (_dumps(fields) + "\n").encode())
    except OSError:
        pass


def _isolate():
    """Enter new user, network and PID namespaces where the kernel allows; the candidate becomes PID 1."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x10000000 | 0x40000000 | 0x20000000) != 0:
            return False
    except Exception:
        return False
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    return True


_NAMESPACES = _isolate()
try:
    # no new processes or threads from here on (the kernel does not apply this limit to root)
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
except (ValueError, OSError):
    pass
for _name in [name for name in sys.modules if name not in _BASE_MODULES]:
    del sys.modules[_name]  # the candidate imports its own copies: patching them cannot reach the harness
_ROOT = os.path.realpath(os.getcwd())
_PRISTINE = dict(builtins.__dict__)
_PLAIN = (type(None), bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_BLOCKED_PREFIXES = ("socket.", "ctypes.", "subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
                     "pty.", "gc.get_", "winreg.")
_BLOCKED = {"os.system", "os.kill", "os.killpg", "signal.pthread_kill", "os.setsid", "resource.setrlimit",
            "resource.prlimit", "sys.settrace", "sys.setprofile", "sys._current_frames", "sys.addaudithook",
            "sys.remote_exec", "_thread.start_new_thread"}
_FRAME_ATTRS = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code"}
_PATH_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
                "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile"}
_UNSAFE_IMPORTS = {"ctypes", "_ctypes", "_posixsubprocess"}


def _inside(path):
    """Tell whether ``path`` (or an already open descriptor) is inside the sandbox directory."""
    if isinstance(path, int):
        return True
    return os.path.realpath(os.fsdecode(path)).startswith(_ROOT + os.sep)


def _guard(event, args):
    """The audit hook: refuse what a candidate must not do (raising aborts the audited operation)."""
    if event == "sys._getframe":
        raise ValueError("frame introspection is disabled in the sandbox")
    if event in _BLOCKED or event.startswith(_BLOCKED_PREFIXES):
        raise PermissionError(f"{event} is disabled in the sandbox")
    if event == "object.__getattr__" and args[1] in _FRAME_ATTRS:
        raise PermissionError(f"{args[1]} is disabled in the sandbox")
    if event == "object.__setattr__" and args[1] in ("__code__", "__globals__"):
        raise PermissionError(f"setting {args[1]} is disabled in the sandbox")
    if event == "import" and args[0] in _UNSAFE_IMPORTS:
        raise PermissionError(f"importing {args[0]} is disabled in the sandbox")
    if event == "open":
        mode, flags = args[1] or "r", args[2] or 0
        if (any(char in mode for char in "wax+") or flags & _WRITE_FLAGS) and not _inside(args[0]):
            raise PermissionError(f"writing outside the sandbox directory is disabled: {args[0]!r}")
    if event in _PATH_EVENTS and args and not all(_inside(arg) for arg in args[:2] if isinstance(arg, (str, bytes))):
        raise PermissionError(f"{event} outside the sandbox directory is disabled")


def _describe(exc):
    """A short description of an exception for the report."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


def _restore_modules():
    """Put ``sys.modules`` back as it was at start-up, so the tests import fresh copies of what the candidate used."""
    for name in [name for name in sys.modules if name not in _BASE_MODULES]:
        del sys.modules[name]
    sys.modules.update(_BASE_MODULES)


def _plain_value(value, depth=0):
    """Tell whether ``value`` is built of plain builtin types only (exact types: no subclass with its own __eq__)."""
    if type(value) not in _PLAIN or depth > 100:
        return False
    if type(value) in (list, tuple, set, frozenset):
        return all(_plain_value(item, depth + 1) for item in value)
    if type(value) is dict:
        return all(_plain_value(k, depth + 1) and _plain_value(v, depth + 1) for k, v in value.items())
    return True


def _load(source, name):
    """Compile and run the candidate as module ``name``; its namespace, or None (reported) on a syntax error."""
    try:
        code = _compile(source, "<candidate>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        _report("syntax", error=_describe(exc))
        return None
    namespace = {"__name__": name, "__builtins__": builtins}
    _exec(code, namespace)
    return namespace


def _run_function():
    """HumanEval style: load the program, then run each case of check(candidate) (its statements that call it)."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    _report("start", i=-1)
    try:
        namespace = _load(_payload["program"], "__candidate__")
    except BaseException as exc:
        _report("load", error=_describe(exc))
        return
    if namespace is None:
        return
    function = namespace.get(_payload["entry_point"])
    if not callable(function):
        _report("load", error=f"the program defines no function {_payload['entry_point']!r}")
        return
    _report("end", i=-1, ok=True)
    _restore_modules()

    def candidate(*args, **kwargs):
        """The candidate as the tests see it: its result must be a plain value."""
        result = function(*args, **kwargs)
        if not _plain_value(result):
            raise TypeError(f"the candidate returned a {type(result).__name__}, not a plain builtin value")
        return result

    tree = ast.parse(_payload["test"], "<tests>")
    checks = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "check"]
    if not checks:
        _report("load", error="the tests define no check(candidate) function")
        return
    check = checks[-1]
    param = check.args.args[0].arg if check.args.args else None
    cases = [
        index for index, stmt in enumerate(check.body)
        if any(isinstance(node, ast.Assert) for node in ast.walk(stmt))
        and any(isinstance(node, ast.Name) and node.id == param for node in ast.walk(stmt))
    ]
    if not cases:
        cases = [None]  # no separable case: the whole check is one
    else:
        for number, index in reversed(list(enumerate(cases))):
            check.body[index] = ast.Try(
                body=[ast.Expr(ast.Call(ast.Name("__rs_start", ast.Load()), [ast.Constant(number)], [])),
                      check.body[index]],
                handlers=[ast.ExceptHandler(ast.Name("BaseException", ast.Load()), "__rs_error", [
                    ast.Expr(ast.Call(ast.Name("__rs_end", ast.Load()),
                                      [ast.Constant(number), ast.Name("__rs_error", ast.Load())], []))])],
                orelse=[ast.Expr(ast.Call(ast.Name("__rs_end", ast.Load()), [ast.Constant(number),
                                                                            ast.Constant(None)], []))],
                finalbody=[],
            )
        ast.fix_missing_locations(tree)
    _report("cases", n=len(cases))
    started = {}

    def case_start(number):
        """Mark the start of a case (the parent's deadline restarts)."""
        started[number] = _now()
        _report("start", i=number)

    def case_end(number, error):
        """Report a case's verdict."""
        seconds = _now() - started.get(number, _now())
        _report("end", i=number, ok=error is None, error=None if error is None else _describe(error), t=seconds)

    # the tests see the prompt's own helpers (HumanEval's poly, encode_cyclic), never the candidate's versions
    # of them, and the entry point by name only through the guard
    scope = {"__name__": "__tests__", "__builtins__": dict(_PRISTINE)}
    try:
        _exec(_compile(_payload["prompt"], "<prompt>", "exec"), scope)
    except BaseException:
        pass  # a prompt that is not a program (or none) adds nothing
    scope.update({"__rs_start": case_start, "__rs_end": case_end, _payload["entry_point"]: candidate})
    try:
        _exec(_compile(tree, "<tests>", "exec"), scope)
        if cases == [None]:
            case_start(0)
            try:
                scope["check"](candidate)
            except BaseException as exc:
                case_end(0, exc)
            else:
                case_end(0, None)
        else:
            scope["check"](candidate)
    except BaseException as exc:
        _report("abort", error=_describe(exc))
        return
    _report("done")


def _run_io():
    """stdin/stdout: run the program once per case, stdin from in<i>.txt, stdout to out<i>.txt (read by the parent)."""
    source = _payload["program"]
    for number in range(_payload["first"], _payload["n"]):
        stdin_fd = os.open(f"in{number}.txt", os.O_RDONLY)
        stdout_fd = os.open(f"out{number}.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.close(stdin_fd)
        os.close(stdout_fd)
        sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
        started = _now()
        _report("start", i=number)
        error = None
        try:
            if _load(source, "__main__") is None:
                return
        except SystemExit as exc:
            if exc.code not in (None, 0):
                error = f"exit status {exc.code!r}"
        except BaseException as exc:
            error = _describe(exc)
        try:
            sys.stdout.flush()
        except BaseException as exc:
            error = error or _describe(exc)
        _report("end", i=number, ok=error is None, error=error, t=_now() - started)
        _restore_modules()
    _report("done")


sys.addaudithook(_guard)
_report("ready", namespaces=_NAMESPACES)
if _payload["mode"] == "function":
    _run_function()
else:
    _run_io()
os._exit(0)
'''


def _extract_code(text: str, language: str = "python") -> str:
    """Return the code of a completion: the last fenced block tagged ``language``, else the last fenced block,
    else the whole text. An unclosed fence at the end counts (a completion cut by the length limit)."""
    if text is None:
        return ""
    blocks = [(match.group(1).lower(), match.group(2)) for match in _FENCE.finditer(text)]
    tags = _PYTHON_TAGS if language == "python" else (language.lower(),)
    tagged = [body for tag, body in blocks if tag in tags]
    if tagged:
        return tagged[-1]
    if blocks:
        return blocks[-1][1]
    return text


def _syntax_ok(code: str) -> bool:
    """Tell whether ``code`` compiles as Python (without running it)."""
    if not code or not code.strip() or len(code) > _MAX_CODE_CHARS:
        return False
    try:
        compile(code, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _defines(code: str, name: str) -> bool:
    """Tell whether ``code`` parses and defines ``name`` at top level (a function or a class)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name
               for node in tree.body)


def _humaneval_program(prompt: str, code: str, entry_point: str) -> str:
    """Assemble the program a HumanEval-style completion stands for.

    A completion holding the whole function is appended to the prompt (so the prompt's imports and helper
    functions stay available and its definition is replaced); one holding only the body continues the prompt,
    re-indented if the model wrote it flush left.
    """
    prompt = prompt or ""
    if _defines(code, entry_point):
        return f"{prompt}\n{code}" if _syntax_ok(f"{prompt}\n{code}") else code
    joined = prompt + code
    if _syntax_ok(joined) or not code.strip():
        return joined
    indented = prompt + textwrap.indent(textwrap.dedent(code), "    ")
    return indented if _syntax_ok(indented) else joined


def _code_limits(timeout: float, cases: int, memory_mb: int) -> dict:
    """The ``resource`` limits of one child, by name: address space, CPU seconds, files, file size, core dumps."""
    cpu = int(timeout * (cases + 1) + _CODE_STARTUP) + 1
    return {
        "RLIMIT_AS": memory_mb * 1024 * 1024,
        "RLIMIT_CPU": cpu,
        "RLIMIT_NOFILE": 64,
        "RLIMIT_FSIZE": _CODE_OUTPUT_MB * 1024 * 1024,
        "RLIMIT_CORE": 0,
    }


def _set_limits(limits: dict) -> None:
    """Apply ``limits`` to this process (run in the child between fork and exec)."""
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def _read_events(fd: int, token: str, timeout: float) -> list:
    """Collect the harness's report lines that carry ``token``, killing the child when a case overruns.

    The deadline restarts at every event: ``_CODE_STARTUP`` to get going, ``timeout`` for each case.
    """
    events: list = []
    pending = b""
    deadline = time.monotonic() + _CODE_STARTUP + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            events.append({"e": "timeout"})
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or event.get("k") != token:
                continue  # not from the harness: the candidate wrote it
            events.append(event)
            deadline = time.monotonic() + (timeout if event["e"] == "start" else _CODE_STARTUP + timeout)
        if len(pending) > 1_000_000:
            pending = b""
    return events


def _run_child(payload: dict, workdir: str, timeout: float, cases: int, memory_mb: int) -> tuple[list, int]:
    """Run the harness on ``payload`` in ``workdir``; return its events and its exit status (negative: a signal)."""
    token = os.urandom(16).hex()
    limits = _code_limits(timeout, cases, memory_mb)
    read_fd, write_fd = os.pipe()
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir}
    # preexec_fn is only safe in a single-threaded parent; the harness sets the same limits first thing anyway
    preexec = (lambda: _set_limits(limits)) if threading.active_count() == 1 else None
    with open(os.path.join(workdir, "stderr.txt"), "wb") as stderr:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", _CODE_HARNESS, str(write_fd), json.dumps(limits)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr, cwd=workdir, env=env,
                pass_fds=(write_fd,), start_new_session=True, preexec_fn=preexec,
            )
        finally:
            os.close(write_fd)
    try:
        try:
            proc.stdin.write(json.dumps({**payload, "token": token}).encode("utf-8"))
            proc.stdin.close()
        except BrokenPipeError:
            pass
        events = _read_events(read_fd, token, timeout)
    finally:
        os.close(read_fd)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
        except (ProcessLookupError, PermissionError):
            pass
        status = proc.wait()
    return events, status


def _new_workdir() -> str:
    """A fresh private directory for one child."""
    return tempfile.mkdtemp(prefix="rewardsmith-code-")


def _humaneval_result(completion: str, prompt: str, test: str, entry_point: str, timeout: float = _CODE_TIMEOUT,
                      memory_mb: int = _CODE_MEMORY_MB) -> dict:
    """Run a HumanEval-style completion against ``test`` (which defines ``check(candidate)``).

    Every statement of ``check`` that asserts on the candidate is one case; the rest is set-up. The tests run
    with the prompt's definitions (its helper functions) and the candidate under the entry point's name.

    Returns:
        ``{"passed": int, "total": int, "complete": bool, "status": str, "error": str | None, "seconds": float,
        "namespaces": bool}`` where ``complete`` means check ran to its end, ``status`` is ``"ok"``,
        ``"syntax_error"``, ``"load_error"``, ``"failed"``, ``"timeout"`` or ``"crashed"``, and ``namespaces``
        tells whether the child ran in its own user/network/PID namespaces (else the in-process guard only).
    """
    started = time.monotonic()
    program = _humaneval_program(prompt, _extract_code(completion), entry_point)
    result = {"passed": 0, "total": 1, "complete": False, "status": "syntax_error", "error": None, "seconds": 0.0,
              "namespaces": False}
    if not _syntax_ok(program):
        return result
    workdir = _new_workdir()
    try:
        payload = {"mode": "function", "program": program, "prompt": prompt or "", "test": test,
                   "entry_point": entry_point}
        events, _ = _run_child(payload, workdir, timeout, test.count("assert") + 1, memory_mb)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["namespaces"] = any(event["e"] == "ready" and event.get("namespaces") for event in events)
    for event in events:
        if event["e"] == "cases":
            result["total"] = event["n"]
        elif event["e"] == "end" and event["i"] >= 0:
            result["passed"] += bool(event["ok"])
            result["error"] = result["error"] or event.get("error")
        elif event["e"] in ("syntax", "load", "abort"):
            result["error"] = event.get("error")
    kinds = {event["e"] for event in events}
    result["complete"] = "done" in kinds
    if "syntax" in kinds:
        result["status"] = "syntax_error"
    elif "load" in kinds:
        result["status"] = "load_error"
    elif result["complete"] and result["passed"] == result["total"] and "cases" in kinds:
        result["status"] = "ok"
    elif "timeout" in kinds:
        result["status"] = "timeout"
    elif result["complete"] or "abort" in kinds:
        result["status"] = "failed"  # a case failed, or check's set-up raised
    else:
        result["status"] = "crashed"  # the process ended before check did (os._exit, a signal, a limit)
    result["seconds"] = time.monotonic() - started
    return result


def _stdio_cases(value: object) -> list:
    """Read a tests column into ``[(stdin, expected stdout), ...]``.

    Accepts a JSON string or a list of ``{"input": ..., "output": ...}`` (LiveCodeBench), of ``[input, output]``
    pairs, or a dict ``{"inputs": [...], "outputs": [...]}`` (APPS). Anything else gives ``[]``.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, dict) and isinstance(value.get("inputs"), list) and isinstance(value.get("outputs"), list):
        value = list(zip(value["inputs"], value["outputs"]))
    if not isinstance(value, list):
        return []
    cases = []
    for item in value:
        if isinstance(item, dict) and "input" in item and "output" in item:
            pair = (item["input"], item["output"])
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pair = tuple(item)
        else:
            return []
        cases.append(tuple("\n".join(part) if isinstance(part, list) else str(part) for part in pair))
    return cases


def _outputs_match(actual: str | None, expected: str) -> bool:
    """Compare program output with the expected output, token by token (whitespace and line ends do not matter;
    two decimal numbers match within 1e-6 relative)."""
    if actual is None:
        return False
    got, want = actual.split(), str(expected).split()
    if len(got) != len(want):
        return False
    for left, right in zip(got, want):
        if left == right:
            continue
        if not (_FLOAT_TOKEN.match(left) and _FLOAT_TOKEN.match(right)) or ("." not in left + right):
            return False
        a, b = float(left), float(right)
        if abs(a - b) > 1e-6 * max(1.0, abs(a), abs(b)):
            return False
    return True


def _stdio_result(completion: str, cases: list, timeout: float = _CODE_TIMEOUT,
                  memory_mb: int = _CODE_MEMORY_MB) -> dict:
    """Run a completion's program once per ``(stdin, expected stdout)`` case and compare its output.

    All cases run in one child; if the program ends the process during a case (``os._exit``) or overruns, a new
    child carries on with the next case. Returns the same dict as :func:`_humaneval_result`.
    """
    started = time.monotonic()
    program = _extract_code(completion)
    result = {"passed": 0, "total": len(cases), "complete": False, "status": "syntax_error", "error": None,
              "seconds": 0.0, "namespaces": False}
    if not cases or not _syntax_ok(program):
        result["status"] = "syntax_error" if cases else "no_tests"
        return result
    workdir = _new_workdir()
    verdicts: dict = {}
    timed_out = False
    try:
        for number, (stdin, _) in enumerate(cases):
            with open(os.path.join(workdir, f"in{number}.txt"), "w", encoding="utf-8") as handle:
                handle.write(stdin)
        first = 0
        while first < len(cases):
            payload = {"mode": "io", "program": program, "first": first, "n": len(cases)}
            events, status = _run_child(payload, workdir, timeout, len(cases) - first, memory_mb)
            result["namespaces"] = any(event["e"] == "ready" and event.get("namespaces") for event in events)
            ended = {event["i"]: event for event in events if event["e"] == "end"}
            begun = [event["i"] for event in events if event["e"] == "start"]
            for number, event in ended.items():
                verdicts[number] = event["ok"]
                result["error"] = result["error"] or event.get("error")
            if "syntax" in {event["e"] for event in events}:
                return result
            if not begun or "done" in {event["e"] for event in events}:
                break
            last = begun[-1]
            if last not in ended:
                # the program ended the process in this case: a clean exit counts as finishing it
                verdicts[last] = status == 0 and not any(event["e"] == "timeout" for event in events)
                timed_out = timed_out or any(event["e"] == "timeout" for event in events)
            first = last + 1
        for number, (_, expected) in enumerate(cases):
            path = os.path.join(workdir, f"out{number}.txt")
            output = None
            if verdicts.get(number) and os.path.exists(path):
                with open(path, "rb") as handle:
                    output = handle.read(_CODE_OUTPUT_MB * 1024 * 1024).decode("utf-8", "replace")
            result["passed"] += _outputs_match(output, expected)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["complete"] = len(verdicts) == len(cases)
    result["status"] = "ok" if result["passed"] == len(cases) else ("timeout" if timed_out else "failed")
    result["seconds"] = time.monotonic() - started
    return result


def _code_score(result: dict, scoring: str = "all") -> float | None:
    """Score a run: ``"all"`` pays 1.0 only when every case passed (and the tests ran to the end), ``"fraction"``
    pays the share of cases passed; None when there were no tests."""
    if result["status"] == "no_tests" or not result["total"]:
        return None
    if scoring == "fraction":
        return result["passed"] / result["total"]
    if scoring != "all":
        raise ValueError(f"unknown scoring {scoring!r}: use 'all' or 'fraction'")
    return 1.0 if result["status"] == "ok" and result["passed"] == result["total"] else 0.0


def _code_tests_score(completion: str, test: str | None = None, entry_point: str | None = None, prompt: str = "",
                      cases: object = None, scoring: str = "all", timeout: float = _CODE_TIMEOUT,
                      memory_mb: int = _CODE_MEMORY_MB) -> float | None:
    """Score one completion by running its code: HumanEval style when ``test`` and ``entry_point`` are given,
    stdin/stdout when ``cases`` is (see :func:`_stdio_cases`); None when the sample carries no tests."""
    if test and entry_point:
        return _code_score(_humaneval_result(completion, prompt, test, entry_point, timeout, memory_mb), scoring)
    parsed = _stdio_cases(cases) if cases is not None else []
    if not parsed:
        return None
    return _code_score(_stdio_result(completion, parsed, timeout, memory_mb), scoring)
