"""Mathematical equivalence of an extracted answer and a gold answer.

Two paths behind one entry point, :func:`_math_equal`:

* **stdlib** — always available: numbers (integers, decimals, thousands separators, fractions, mixed numbers,
  ``\\frac``/``\\dfrac``/``\\tfrac``, ``\\sqrt``, ``\\pi`` multiples), simple LaTeX wrappers (``$``, ``\\text``,
  ``\\left``/``\\right``, ``^\\circ``, ``\\%``, spacing), a unit word after a number, ``x = 3``, tuples, intervals
  and sets compared element by element; exact rational comparison where both sides are rational, a relative
  tolerance otherwise, a canonical string comparison as the last resort.
* **math_verify** — the optional ``math-verify`` package, imported lazily, gold parsed first as the library
  expects. Its own timeouts use ``signal.alarm``, which raises outside the main thread (the TRL/verl bug). So in
  the main thread it runs in process with its own timeouts, and anywhere else (a thread of a trainer, a thread of
  a worker process) the call goes to one persistent helper child process, started on first use: the child runs
  math-verify in *its* main thread (so its timeouts work), and the caller waits on the pipe with a hard
  deadline, killing and later restarting the child when it is exceeded. No call raises in a thread, and every
  call is bounded in time.

Both paths return ``True``/``False``, or ``None`` when the gold does not parse (never a reward for a gold
nobody can read).
"""

from __future__ import annotations

import ast
import atexit
import fractions
import json
import math
import os
import re
import select
import subprocess
import sys
import threading

__all__ = [
    "_ABS_TOL",
    "_MATH_TIMEOUT",
    "_MAX_EXPONENT",
    "_MV_CHILD_SOURCE",
    "_MV_STATE",
    "_REL_TOL",
    "_braced",
    "_canonical_string",
    "_eval_node",
    "_gold_aliases",
    "_last_boxed",
    "_latex_to_expr",
    "_math_backend",
    "_math_equal",
    "_math_equal_stdlib",
    "_math_equal_verify",
    "_math_normalize",
    "_math_value",
    "_math_verify_available",
    "_mv_child_call",
    "_mv_in_process",
    "_mv_stop",
    "_mv_wrap",
    "_scalar_value",
    "_split_top_level",
    "_unwrap_gold",
    "_values_equal",
]

# Seconds math-verify may spend parsing one side or comparing; the hard deadline off the main thread is a
# multiple of it (two parses and a comparison, plus the child's start-up the first time).
_MATH_TIMEOUT = 5

_BOXED_HEAD = re.compile(r"\\(?:boxed|fbox)\s*")
_GSM8K_MARK = re.compile(r"####\s*")
_DOLLARS = re.compile(r"^\$+(.*?)\$+$", re.S)
_MATH_DELIMS = re.compile(r"^\\\((.*)\\\)$|^\\\[(.*)\\\]$", re.S)
_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|mbox|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}")
_SPACING = re.compile(r"\\[,;:!> ]|\\q?quad\b|\\displaystyle\b|\\left\b|\\right\b|~")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ\b|°|\\degree\b")
_PERCENT = re.compile(r"\\?%")
_FRAC_VARIANT = re.compile(r"\\[dt]frac(?![A-Za-z])")
_ASSIGNMENT = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(?!=)")
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_BRACE_COMMA = re.compile(r"\{,\}")
_UNIT_TAIL = re.compile(r"^(.*?\d)\s+[A-Za-z][A-Za-z.]*(?:\s+[A-Za-z][A-Za-z.]*)*\s*(?:\^\s*\{?\d\}?)?$")
_MIXED_NUMBER = re.compile(r"^([-+]?)(\d+)\s*\\frac\s*\{(\d+)\}\s*\{(\d+)\}$")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d)")
_IMPLICIT_MUL = re.compile(r"(?<=[\d)])\s*(?=[(a-z])")
_MATH_SPACE = re.compile(r"\s+")
_REL_TOL = 1e-6
_ABS_TOL = 1e-9
_MAX_EXPONENT = 512

# One helper child per process (re-created after a fork); "lock" serialises the pipe between threads.
_MV_STATE = {"pid": None, "proc": None, "lock": threading.Lock(), "guard": threading.Lock()}

# The helper child: reads one JSON request per line ({"gold": ..., "answer": ..., "timeout": ...}), answers one
# JSON line ({"result": true/false/null}). It runs math-verify in its own main thread, where signal-based timeouts work.
_MV_CHILD_SOURCE = r'''
import json, sys
sys.path[:] = json.loads(sys.stdin.readline())
from math_verify import parse, verify
for line in sys.stdin:
    request = json.loads(line)
    timeout = request["timeout"]
    try:
        gold = parse(request["gold"], parsing_timeout=timeout)
        if not gold:
            result = None
        else:
            answer = parse(request["answer"], parsing_timeout=timeout)
            result = bool(answer) and bool(verify(gold, answer, timeout_seconds=timeout))
    except Exception:
        result = False
    sys.stdout.write(json.dumps({"result": result}) + "\n")
    sys.stdout.flush()
'''


def _last_boxed(text: str) -> str | None:
    """Return the content of the last ``\\boxed{...}`` (or ``\\fbox``) in ``text``, braces balanced, else None."""
    starts = [m.end() for m in _BOXED_HEAD.finditer(text)]
    for start in reversed(starts):
        if start < len(text) and text[start] == "{":
            depth = 0
            for i in range(start, len(text)):
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    depth -= 1
                    if depth == 0:
                        return text[start + 1:i].strip()
        else:
            # "\boxed 4": the argument is the next token
            token = text[start:].split(None, 1)
            if token and token[0] not in "{$":
                return token[0].rstrip(".,;$")
    return None


def _gold_aliases(gold: object) -> list[str]:
    """Unwrap a gold column's value into its bare answers, best first.

    Accepts a string, a number, a list or tuple of aliases, or a string holding a Python/JSON list
    (``"['\\\\boxed{4}']"``); unwraps ``\\boxed{...}``, ``$...$``, ``\\(...\\)``, a GSM8K ``#### 4`` tail and quotes.
    Empty aliases are dropped.
    """
    if gold is None or isinstance(gold, bool):
        return []
    if isinstance(gold, (int, float, fractions.Fraction)):
        return [str(gold)]
    if isinstance(gold, (list, tuple)):
        return [alias for item in gold for alias in _gold_aliases(item)]
    text = str(gold).strip()
    if text[:1] in "[(" and text[-1:] in "])":
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, (list, tuple)) and all(isinstance(item, str) for item in parsed):
            return _gold_aliases(list(parsed))
    marks = list(_GSM8K_MARK.finditer(text))
    if marks:
        text = text[marks[-1].end():].strip()
    boxed = _last_boxed(text)
    if boxed is not None:
        text = boxed
    for _ in range(3):
        stripped = text.strip()
        match = _DOLLARS.match(stripped) or _MATH_DELIMS.match(stripped)
        if match:
            text = next(group for group in match.groups() if group is not None)
        elif len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'`":
            text = stripped[1:-1]
        else:
            break
    text = text.strip().rstrip(".").strip()
    return [text] if text else []


def _unwrap_gold(gold: object) -> str | None:
    """Return the first bare answer of a gold value (see :func:`_gold_aliases`), or None when there is none."""
    aliases = _gold_aliases(gold)
    return aliases[0] if aliases else None


def _math_normalize(text: str) -> str:
    """Strip LaTeX presentation (wrappers, spacing, units, degrees, percent, ``x =``) and return a canonical string."""
    text = _unwrap_gold(text) or ""
    text = _FRAC_VARIANT.sub(r"\\frac", text)
    text = _BRACE_COMMA.sub(",", text)
    text = _TEXT_CMD.sub(lambda m: " " + m.group(1).strip() + " ", text)
    text = _SPACING.sub(" ", text)
    text = _DEGREES.sub("", text)
    text = _PERCENT.sub("", text)
    text = _ASSIGNMENT.sub("", text.strip())
    unit = _UNIT_TAIL.match(text.strip())
    if unit:
        text = unit.group(1)
    text = text.replace("\\$", "").replace("$", "")
    text = _MATH_SPACE.sub(" ", text).strip().rstrip(".").strip()
    if _THOUSANDS.match(text.replace(" ", "")):
        text = text.replace(" ", "").replace(",", "")
    return text


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """Return the content of the brace group opening at ``text[start]`` and the index after it, else None."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return None


def _latex_to_expr(text: str) -> str | None:
    """Rewrite simple numeric LaTeX as a Python expression string, or None when it holds anything else."""
    text = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", text)
    text = _SQRT_SHORT.sub(r"\\sqrt{\1}", text)
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\frac", i):
            num = _braced(text, i + 5)
            den = _braced(text, num[1]) if num else None
            if not num or not den:
                return None
            inner_num, inner_den = _latex_to_expr(num[0]), _latex_to_expr(den[0])
            if inner_num is None or inner_den is None:
                return None
            out.append(f"(({inner_num})/({inner_den}))")
            i = den[1]
        elif text.startswith("\\sqrt", i):
            arg = _braced(text, i + 5)
            inner = _latex_to_expr(arg[0]) if arg else None
            if inner is None:
                return None
            out.append(f"sqrt({inner})")
            i = arg[1]
        elif text.startswith("\\pi", i):
            out.append("pi")
            i += 3
        elif text.startswith("\\infty", i):
            out.append("inf")
            i += 6
        elif text.startswith("\\cdot", i) or text.startswith("\\times", i):
            out.append("*")
            i += 5 if text.startswith("\\cdot", i) else 6
        elif text.startswith("\\div", i):
            out.append("/")
            i += 4
        elif text[i] == "\\":
            return None
        elif text[i] in "{}":
            out.append("(" if text[i] == "{" else ")")
            i += 1
        elif text[i] == "^":
            out.append("**")
            i += 1
        else:
            out.append(text[i])
            i += 1
    expr = "".join(out)
    return _IMPLICIT_MUL.sub("*", expr)


def _eval_node(node: ast.AST) -> fractions.Fraction | float:
    """Evaluate a whitelisted arithmetic AST node: exact Fractions where possible, floats otherwise."""
    if isinstance(node, ast.Expression):
        return _eval_node(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return fractions.Fraction(str(node.value) if isinstance(node.value, float) else node.value)
    if isinstance(node, ast.Name) and node.id in ("pi", "inf"):
        return math.pi if node.id == "pi" else math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _eval_node(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sqrt" \
            and len(node.args) == 1 and not node.keywords:
        value = _eval_node(node.args[0])
        if value < 0:
            raise ValueError("square root of a negative number")
        if isinstance(value, fractions.Fraction):
            num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
            if num * num == value.numerator and den * den == value.denominator:
                return fractions.Fraction(num, den)
        return math.sqrt(value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        left, right = _eval_node(node.left), _eval_node(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if abs(right) > _MAX_EXPONENT:
            raise ValueError("exponent too large")
        if isinstance(left, fractions.Fraction) and isinstance(right, fractions.Fraction) \
                and right.denominator == 1:
            return left ** int(right)
        return float(left) ** float(right)
    raise ValueError(f"not arithmetic: {type(node).__name__}")


def _scalar_value(text: str) -> fractions.Fraction | float | None:
    """Evaluate one normalised scalar (number, fraction, mixed number, simple arithmetic with pi), else None."""
    text = text.strip()
    if not text:
        return None
    mixed = _MIXED_NUMBER.match(text)
    if mixed:
        sign = -1 if mixed.group(1) == "-" else 1
        return sign * (int(mixed.group(2)) + fractions.Fraction(int(mixed.group(3)), int(mixed.group(4))))
    expr = _latex_to_expr(text)
    if expr is None or len(expr) > 200:
        return None
    try:
        value = _eval_node(ast.parse(expr.replace(" ", ""), mode="eval"))
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError, MemoryError, RecursionError):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _split_top_level(text: str) -> list[str]:
    """Split ``text`` on the commas that are not inside brackets or braces."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _math_value(text: str) -> tuple | None:
    """Parse a normalised answer into a comparable value, or None when it is not a value the stdlib path reads.

    Returns ``("num", x)``, ``("seq", open, close, [values])`` for tuples and intervals (brackets kept, so
    ``[1, 2)`` differs from ``(1, 2)``), or ``("set", [values])`` for ``\\{...\\}`` and bare comma lists.
    """
    text = text.strip()
    if text.startswith("\\{") and text.endswith("\\}"):
        items = [_math_value(part) for part in _split_top_level(text[2:-2])]
        return ("set", items) if items and None not in items else None
    if len(text) >= 2 and text[0] in "([" and text[-1] in ")]":
        parts = _split_top_level(text[1:-1])
        if len(parts) >= 2:
            items = [_math_value(part) for part in parts]
            return ("seq", text[0], text[-1], items) if None not in items else None
    parts = _split_top_level(text)
    if len(parts) >= 2:
        items = [_math_value(part) for part in parts]
        return ("set", items) if None not in items else None
    scalar = _scalar_value(text)
    return None if scalar is None else ("num", scalar)


def _values_equal(left: tuple, right: tuple) -> bool:
    """Compare two parsed values: exact for two rationals, a relative tolerance otherwise, element by element
    for collections."""
    if left[0] != right[0]:
        return False
    if left[0] == "num":
        a, b = left[1], right[1]
        if isinstance(a, fractions.Fraction) and isinstance(b, fractions.Fraction):
            return a == b
        if math.isinf(a) or math.isinf(b):
            return a == b
        return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
    if left[0] == "seq":
        return left[1:3] == right[1:3] and len(left[3]) == len(right[3]) \
            and all(_values_equal(a, b) for a, b in zip(left[3], right[3]))
    # sets: every element pairs with a distinct equal element
    remaining = list(right[1])
    if len(remaining) != len(left[1]):
        return False
    for item in left[1]:
        match = next((i for i, other in enumerate(remaining) if _values_equal(item, other)), None)
        if match is None:
            return False
        remaining.pop(match)
    return True


def _canonical_string(text: str) -> str:
    """The last-resort form of an answer: normalised, without whitespace or grouping braces."""
    return _MATH_SPACE.sub("", text).replace("{", "").replace("}", "")


def _math_equal_stdlib(answer: object, gold: object) -> bool | None:
    """Compare with the standard library only; None when the gold is empty or has unbalanced braces."""
    aliases = [_math_normalize(alias) for alias in _gold_aliases(gold)]
    aliases = [alias for alias in aliases if alias and alias.count("{") == alias.count("}")]
    if not aliases:
        return None
    if answer is None:
        return False
    candidate = _math_normalize(str(answer))
    if not candidate:
        return False
    candidate_value = _math_value(candidate)
    for alias in aliases:
        alias_value = _math_value(alias)
        if alias_value is not None and candidate_value is not None:
            if _values_equal(candidate_value, alias_value):
                return True
        elif _canonical_string(candidate) == _canonical_string(alias):
            return True
    return False


def _math_verify_available() -> bool:
    """Tell whether the optional ``math-verify`` package imports here (importing it: it is about to be used)."""
    try:
        import math_verify  # noqa: F401 - the import is the test
    except Exception:
        return False
    return True


def _math_backend(backend: str = "auto") -> str:
    """Resolve a backend name to the path :func:`_math_equal` takes: ``"math_verify"`` or ``"stdlib"``.

    Raises:
        ValueError: the name is not ``"auto"``, ``"math_verify"`` or ``"stdlib"``.
        ImportError: ``"math_verify"`` was asked for and is not installed.
    """
    if backend == "stdlib":
        return "stdlib"
    if backend == "math_verify":
        if not _math_verify_available():
            raise ImportError("backend 'math_verify' needs the math-verify package: pip install math-verify")
        return "math_verify"
    if backend == "auto":
        return "math_verify" if _math_verify_available() else "stdlib"
    raise ValueError(f"unknown math backend {backend!r}: use 'auto', 'math_verify' or 'stdlib'")


def _mv_wrap(text: str) -> str:
    """Give math-verify a bare answer as inline LaTeX; text that already carries delimiters passes unchanged.

    Without delimiters math-verify reads only a leading number of ``7\\pi`` or ``4a-2``.
    """
    if "$" in text or "\\boxed" in text or "\\(" in text or "\\[" in text:
        return text
    return f"${text}$"


def _mv_in_process(answer: str, gold: str, timeout: int) -> bool | None:
    """Run math-verify here, with its signal-based timeouts (main thread of the main interpreter only)."""
    from math_verify import parse, verify

    parsed_gold = parse(gold, parsing_timeout=timeout)
    if not parsed_gold:
        return None
    parsed_answer = parse(answer, parsing_timeout=timeout)
    return bool(parsed_answer) and bool(verify(parsed_gold, parsed_answer, timeout_seconds=timeout))


def _mv_stop(proc: subprocess.Popen) -> None:
    """Kill a helper child and close its pipes (idempotent; also run at exit)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass  # the child is gone: a broken pipe on close is expected


def _mv_child_call(answer: str, gold: str, timeout: int) -> bool | None:
    """Ask the helper child (started on first use) to run math-verify, waiting at most a hard deadline.

    On a deadline overrun or a dead child the child is killed (the next call starts a new one) and the
    comparison counts as not equal.
    """
    state = _MV_STATE
    with state["guard"]:
        if state["pid"] != os.getpid():
            # a fork copied the parent's pipe and maybe a held lock: start afresh in this process
            state.update(pid=os.getpid(), proc=None, lock=threading.Lock())
    with state["lock"]:
        proc = state["proc"]
        fresh = proc is None or proc.poll() is not None
        if fresh:
            proc = subprocess.Popen(
                [sys.executable, "-c", _MV_CHILD_SOURCE],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True, bufsize=1,
            )
            proc.stdin.write(json.dumps(sys.path) + "\n")
            state["proc"] = proc
            atexit.register(_mv_stop, proc)
        deadline = 3 * timeout + (30 if fresh else 1)
        try:
            proc.stdin.write(json.dumps({"gold": gold, "answer": answer, "timeout": timeout}) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], deadline)
            line = proc.stdout.readline() if ready else ""
            result = json.loads(line)["result"] if line else False
        except (OSError, ValueError, KeyError):
            line, result = "", False
        if not line:
            _mv_stop(proc)
            state["proc"] = None
        return result


def _math_equal_verify(answer: object, gold: object, timeout: int = _MATH_TIMEOUT) -> bool | None:
    """Compare with math-verify (gold parsed first); None when math-verify cannot parse the gold."""
    bare_gold = _unwrap_gold(gold)
    if bare_gold is None:
        return None
    gold_text = _mv_wrap(bare_gold)
    answer_text = "" if answer is None else _mv_wrap(str(answer).strip())
    if threading.current_thread() is threading.main_thread():
        result = _mv_in_process(answer_text, gold_text, timeout)
    else:
        result = _mv_child_call(answer_text, gold_text, timeout)
    if result is None:
        return None
    return bool(answer_text) and result


def _math_equal(answer: object, gold: object, backend: str = "auto") -> bool | None:
    """Tell whether ``answer`` is mathematically equal to ``gold``.

    Args:
        answer: the extracted answer (a string such as ``"\\frac{1}{2}"`` or ``"0.5"``; None when nothing was
            extracted).
        gold: the gold column's value; wrappers (``\\boxed{}``, ``$``, ``####``, a list of aliases) are removed.
        backend: ``"auto"`` (math-verify when installed, with the stdlib path's True or verdict on a gold
            math-verify cannot read; the stdlib path alone when it is not installed), ``"math_verify"`` (that
            library alone) or ``"stdlib"``.

    Returns:
        True or False, or None when the gold does not parse (so the rule abstains rather than pays).
    """
    path = _math_backend(backend)
    if path == "stdlib":
        return _math_equal_stdlib(answer, gold)
    verdict = _math_equal_verify(answer, gold)
    if backend == "math_verify" or verdict:
        return verdict
    # "auto": the stdlib path is strict (exact rationals, same structure), so its True rescues what math-verify
    # misreads, such as a unit word after the number ("18 dollars")
    fallback = _math_equal_stdlib(answer, gold)
    return True if fallback else (verdict if verdict is not None else fallback)
