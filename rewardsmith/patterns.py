"""Regular expressions as a spec carries them: their shapes, read from Python's own parser, and the vetting.

Python's `re` backtracks, and its C loop never looks at signals or clocks, so a pattern such as ``(a+)+$``,
``(a|aa)*b`` or ``a*a*a*a*b`` on ``'a' * 50000 + '!'`` runs for hours wherever it is evaluated. A spec is untrusted
input (it may come from an LLM), so :func:`vet_pattern` parses every pattern and refuses the shapes that backtrack
catastrophically, found by :func:`regex_shapes` over the parse tree (never the text):

- exponential: a repeat holding a repeat that can split the same text many ways (``(a+)+``, ``((a)+)+``,
  ``(\\w+\\s*)+``), or a repeated alternation whose branches can take the same text (``(a|aa)*``, ``(a|a?)+``);
- polynomial of degree 3 or more: adjacent repeats over overlapping characters (``a*a*a*b``);
- repetition counts over :data:`MAX_REPEAT_COUNT` (``a{4294967295}`` overflows the compiler).

A pair of adjacent repeats (``.*.*x``, degree 2) is left to the regex lint, which shows it on a string and times it
(:func:`confirm_shape`), and to the bench's per-call time limit; :func:`vet_pattern` also times the pattern on
near misses built from its own text (:func:`timed_trial`) and refuses what blows up there.

Vetting cannot make every pattern fast (``.*?</think>`` is quadratic under ``re.search``: 15 s on 50,000
characters), so rewardsmith itself never runs a spec's pattern unbounded: :func:`find`, :func:`find_all` and
:func:`run_bounded` run it in this process only when :func:`worst_case_steps`, an upper bound read from the parse
tree, is small for the text at hand, and otherwise in a child process under a wall-clock limit, raising
:class:`PatternTimeout` (a message for the user) when it is over. (RE2 is not used: it accepting a pattern says
nothing about Python's `re`, which the module runs — ``a*a*b`` is linear in RE2 and cubic in `re` — and evaluating
with RE2 would change what matches: ``$`` before a final newline, Unicode ``\\d``, backreferences.)
"""

from __future__ import annotations

import atexit
import functools
import math
import os
import pickle
import queue
import re
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import PatternRunnerDied, PatternRunnerStopped, PatternTimeout

try:  # Python 3.11+: the parser lives in re; sre_parse is a deprecated alias there.
    from re import _compiler as sre_compile  # type: ignore[attr-defined]
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_compile  # type: ignore[no-redef]
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

__all__ = [
    "ALPHABET",
    "IN_PROCESS_STEPS",
    "MAX_PATTERN",
    "MAX_REPEAT_COUNT",
    "TIME_LIMIT",
    "TRIAL_BUDGET",
    "Found",
    "PatternTimeout",
    "Shape",
    "compile_flags",
    "confirm_shape",
    "find",
    "find_all",
    "find_each",
    "parse_pattern",
    "regex_shapes",
    "run_bounded",
    "runs_in_process",
    "timed_trial",
    "vet_pattern",
    "worst_case_steps",
]

MAX_PATTERN = 1000
MAX_REPEAT_COUNT = 1000
ALPHABET = "".join(chr(c) for c in range(32, 127)) + "\n\t"


def compile_flags(flags: list[str] | tuple[str, ...]) -> int:
    """The `re` flag value for flag names such as ``["DOTALL", "MULTILINE"]``."""
    value = 0
    for name in flags:
        value |= getattr(re, name)
    return value


def _walk(items: Any) -> Any:
    for op, av in items:
        yield op, av
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            yield from _walk(av[2])
        elif op == sre_c.SUBPATTERN:
            yield from _walk(av[3])
        elif op == sre_c.BRANCH:
            for alt in av[1]:
                yield from _walk(alt)
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            yield from _walk(av[1])
        elif op == getattr(sre_c, "ATOMIC_GROUP", None):
            yield from _walk(av)


_REPEATS = tuple(x for x in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) if x is not None)


def _unbounded(op: Any, av: Any) -> bool:
    return op in _REPEATS and av[1] == sre_c.MAXREPEAT


def _nullable(items: Any) -> bool:
    for op, av in items:
        if op == sre_c.AT or op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        if op in _REPEATS and av[0] == 0:
            continue
        if op in _REPEATS and _nullable(av[2]):
            continue
        if op == sre_c.SUBPATTERN and _nullable(av[3]):
            continue
        if op == sre_c.BRANCH and any(_nullable(alt) for alt in av[1]):
            continue
        return False
    return True


def _chars_of_op(op: Any, av: Any, state: Any, flags: int) -> set[str]:
    """The characters (of a small alphabet) one single-character item accepts."""
    sub = sre_parse.SubPattern(state, [(op, av)])
    try:
        rx = sre_compile.compile(sub, flags)
    except Exception:  # an item that cannot stand alone: assume it takes anything
        return set(ALPHABET)
    return {c for c in ALPHABET if rx.fullmatch(c)}


def _first(items: Any, state: Any, flags: int) -> set[str]:
    """Characters a sequence can start with (over ALPHABET)."""
    out: set[str] = set()
    for op, av in items:
        if op == sre_c.AT or op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        if op in _REPEATS:
            out |= _first(av[2], state, flags)
            if av[0] > 0 and not _nullable(av[2]):
                return out
            continue
        if op == sre_c.SUBPATTERN:
            out |= _first(av[3], state, flags)
            if not _nullable(av[3]):
                return out
            continue
        if op == sre_c.BRANCH:
            for alt in av[1]:
                out |= _first(alt, state, flags)
            if not any(_nullable(alt) for alt in av[1]):
                return out
            continue
        if op in (sre_c.LITERAL, sre_c.NOT_LITERAL, sre_c.ANY, sre_c.IN, sre_c.CATEGORY):
            return out | _chars_of_op(op, av, state, flags)
        return out | set(ALPHABET)
    return out


def _consuming(items: Any) -> list[tuple[Any, Any]]:
    """The mandatory character-consuming items of a sequence, outside any unbounded repeat."""
    out = []
    for op, av in items:
        if op in (sre_c.LITERAL, sre_c.NOT_LITERAL, sre_c.ANY, sre_c.IN, sre_c.CATEGORY):
            out.append((op, av))
        elif op == sre_c.SUBPATTERN:
            out += _consuming(av[3])
        elif op in _REPEATS and not _unbounded(op, av) and av[0] > 0:
            out += _consuming(av[2])
    return out


def _instance(items: Any, state: Any, flags: int, prefer: set[str] | None = None) -> str:
    """A short string the sequence matches (minimal repeats, the longest branch), preferring `prefer` chars."""
    out = []
    for op, av in items:
        if op == sre_c.AT or op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        if op in _REPEATS:
            out.append(_instance(av[2], state, flags, prefer) * av[0])  # as few passes as allowed
        elif op == sre_c.SUBPATTERN:
            out.append(_instance(av[3], state, flags, prefer))
        elif op == sre_c.BRANCH:
            alts = [_instance(alt, state, flags, prefer) for alt in av[1]]
            out.append(max(alts, key=len))
        elif op == sre_c.LITERAL:
            out.append(chr(av))
        else:
            chars = _chars_of_op(op, av, state, flags)
            def rank(c: str) -> tuple[bool, str]:
                return (not c.isalnum(), c)  # a letter makes the clearest near miss

            pick = sorted((prefer or set()) & chars, key=rank) or sorted(chars, key=rank) or ["a"]
            out.append(pick[0])
    return "".join(out)


@dataclass
class Shape:
    kind: str  # "exponential" | "polynomial"
    why: str
    unit: str  # what a near miss repeats
    prefix: str  # the literal text before it


def regex_shapes(pattern: str, flags: int = 0) -> list[Shape]:
    """Shapes that may backtrack badly; confirm_shape() measures whether they do."""
    parsed = _parsed(pattern, flags)
    if parsed is None:
        return []
    state, all_flags = parsed.state, flags | parsed.state.flags
    prefix = ""
    for op, av in parsed.data:
        if op != sre_c.LITERAL:
            break
        prefix += chr(av)
    out: list[Shape] = []

    def chars(items: Any) -> set[str]:
        found: set[str] = set()
        for op, av in _walk(items):
            if op in (sre_c.LITERAL, sre_c.NOT_LITERAL, sre_c.ANY, sre_c.IN, sre_c.CATEGORY):
                found |= _chars_of_op(op, av, state, all_flags)
        return found

    def visit(items: Any) -> None:
        for n, (op, av) in enumerate(items):
            if _unbounded(op, av):
                body = av[2]
                while len(body) == 1 and body[0][0] == sre_c.SUBPATTERN:
                    body = body[0][1][3]
                inner = [x for x in _walk(body) if _unbounded(*x)]
                if inner:
                    absorb = set().union(*(chars(x[1][2]) for x in inner))
                    # Ambiguous when the inner repeat can also eat what separates one pass from the next.
                    if all(_chars_of_op(o, a, state, all_flags) & absorb for o, a in _consuming(body)):
                        out.append(Shape("exponential", "a repeat inside a repeat that can split the same text "
                                                        "many ways", _instance(body, state, all_flags, absorb), prefix))
                        continue
                for k, (bop, bav) in enumerate(body):
                    if bop != sre_c.BRANCH:
                        continue
                    solid = [alt for alt in bav[1] if not _nullable(alt)]
                    firsts = [_first(alt, state, all_flags) for alt in solid]
                    overlap = any(firsts[i] & firsts[j] for i in range(len(solid)) for j in range(i + 1, len(solid)))
                    if not overlap and len(solid) < len(bav[1]):
                        rest = body[k + 1:]
                        follow = _first(rest, state, all_flags)
                        if _nullable(rest):
                            follow |= _first(body, state, all_flags)
                        overlap = any(f & follow for f in firsts)
                    if overlap:
                        out.append(Shape("exponential", "an alternation, repeated, whose branches can take the "
                                                        "same text", _instance(body, state, all_flags), prefix))
                        break
            for sub in _children(op, av):
                visit(sub)
        run: list[set[str]] = []
        for op, av in list(items) + [(None, None)]:
            if op == sre_c.AT:
                continue
            single = _single_repeat(op, av)
            if single is not None:
                got = chars(single[2])
                if run and not (run[-1] & got):
                    run = []
                run.append(got)
                continue
            if len(run) >= 3:
                common = sorted(set.intersection(*run) or run[0]) or ["a"]
                pick = [c for c in common if c in " a"] or common
                out.append(Shape("polynomial", f"{len(run)} adjacent repeats that can take the same text",
                                 pick[0], prefix))
            run = []

    visit(parsed.data)
    return out


def _children(op: Any, av: Any) -> list[Any]:
    if op in _REPEATS:
        return [av[2]]
    if op == sre_c.SUBPATTERN:
        return [av[3]]
    if op == sre_c.BRANCH:
        return list(av[1])
    return []


def _single_repeat(op: Any, av: Any) -> Any:
    """The unbounded repeat an item is (directly or as a lone group), else None."""
    if _unbounded(op, av):
        return av
    if op == sre_c.SUBPATTERN and len(av[3]) == 1:
        return _single_repeat(*av[3][0])
    return None


_BREAKERS = ("\x00", "!", " ", "\n", "a")


def confirm_shape(shape: Shape, find: Any) -> dict[str, Any] | None:
    """Time the pattern on growing near misses; the growth, or None when it stays tame.

    Sizes grow one step at a time and stop as soon as one call takes 20 ms, so a pattern that
    does explode costs well under a second here; the big demonstration runs in the bench worker.
    """
    def clock(text: str) -> float:
        best = math.inf
        for _ in range(3):  # the least of three: a scheduler hiccup must not fake (or hide) growth
            began = time.perf_counter()
            try:
                find(text)
            except PatternTimeout as exc:  # stopped by the per-call limit: as slow as that limit at least
                return exc.seconds
            best = min(best, time.perf_counter() - began)
            if best > 0.01:
                break
        return best

    for breaker in _BREAKERS:
        if shape.kind == "exponential":
            times: list[tuple[int, float]] = []
            for n in range(1, 40):
                t = clock(shape.prefix + shape.unit * n + breaker)
                times.append((n, t))
                if t > 0.02:
                    break
            tail = [x for x in times if x[1] > 5e-5][-4:]
            ratios = [b[1] / a[1] for a, b in zip(tail, tail[1:])]
            # Exponential: ≥ 1.5× per step on the whole, with no step that fails to grow.
            if len(ratios) >= 2 and tail[-1][1] / tail[0][1] >= 1.5 ** len(ratios) and min(ratios) > 1.1:
                ratio = (tail[-1][1] / tail[0][1]) ** (1 / len(ratios))
                n, t = tail[-1]
                big = n + max(1, int(math.log(1000.0 / max(t, 1e-9)) / math.log(ratio)) + 1)
                return {"breaker": breaker, "growth": f"×{ratio:.1f} per extra {shape.unit!r}", "n": n,
                        "seconds": t, "demo": shape.prefix + shape.unit * big + breaker, "size": big}
        else:
            small = clock(shape.prefix + shape.unit * 100 + breaker)
            large = clock(shape.prefix + shape.unit * 200 + breaker)
            if large > 1e-3 and large / max(small, 1e-9) >= 5:
                power = math.log2(large / max(small, 1e-9))
                return {"breaker": breaker, "growth": f"about n^{power:.0f} in the length", "n": 200,
                        "seconds": large, "demo": shape.prefix + shape.unit * 5000 + breaker, "size": 5000}
    return None


@functools.lru_cache(maxsize=512)
def _parsed(pattern: str, flags: int) -> Any:
    """The parse tree, parsed once per pattern and flags (the lint and the bounded calls ask thousands of times).

    Shared between callers: read it, never change it.
    """
    try:
        return sre_parse.parse(pattern, flags)
    except re.error:
        return None


def parse_pattern(pattern: str, flags: int = 0) -> Any:
    """Python's parse tree of `pattern`, or None when it does not parse."""
    return _parsed(pattern, flags)


def _largest_count(items: Any) -> int:
    top = 0
    for op, av in _walk(items):
        if op in _REPEATS:
            top = max(top, av[0], 0 if av[1] == sre_c.MAXREPEAT else av[1])
    return top


def vet_pattern(pattern: str, flags: list[str] | tuple[str, ...] = ()) -> str:
    """Return `pattern` when it is safe to compile into a generated module, else raise ValueError saying why."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern is {len(pattern)} characters; the limit is {MAX_PATTERN}")
    if "\x00" in pattern:
        raise ValueError("pattern contains a NUL character")
    value = compile_flags(flags)
    try:
        parsed = sre_parse.parse(pattern, value)
    except (re.error, OverflowError, RecursionError) as exc:
        advice = (f"; use + or * or a count up to {MAX_REPEAT_COUNT}" if "repetition number" in str(exc)
                  else "; check it with Python's re (https://docs.python.org/3/library/re.html)")
        raise ValueError(f"not a valid Python regular expression: {exc}{advice}") from None
    if _largest_count(parsed.data) > MAX_REPEAT_COUNT:
        raise ValueError(f"a repetition count is over {MAX_REPEAT_COUNT}; use + or * or a smaller count")
    try:
        re.compile(pattern, value)
    except (re.error, OverflowError, RecursionError) as exc:
        raise ValueError(f"not a valid Python regular expression: {exc}") from None
    for shape in regex_shapes(pattern, value):
        if shape.kind == "exponential":
            near = shape.prefix + shape.unit * 3
            raise ValueError(f"nested repeats ({shape.why}) backtrack catastrophically (exponential time) on a "
                             f"near miss such as {near!r}...; rewrite it so each piece of text can be matched one "
                             "way only (e.g. (a+)+ -> a+, (a|aa)* -> a*)")
        if shape.kind == "polynomial":  # only reported for three or more adjacent repeats
            raise ValueError(f"repeats side by side ({shape.why}) backtrack catastrophically (polynomial time) "
                             "on a near miss; merge the adjacent repeats into one")
    blew = timed_trial(pattern, value)
    if blew is not None:
        took = ("did not finish in 3 s on near misses up to" if math.isinf(blew["seconds"])
                else f"took {blew['seconds'] * 1000:.0f} ms (the limit is {TRIAL_BUDGET * 1000:.0f} ms) on")
        near = blew["text"][:12] + "..." + blew["text"][-1:]
        raise ValueError(f"the pattern backtracks badly in a timed trial: re.search {took} a near miss of "
                         f"{blew['length']:,} characters ({near!r}), and the time grows faster than the square "
                         "of the length; "
                         "merge adjacent repeats that can take the same characters, use a negated class "
                         "([^<]* rather than .*?) or bound the repeats ({0,200})")
    return pattern


# --------------------------------------------------------------------------- bounded evaluation

IN_PROCESS_STEPS = 5e7  # worst-case steps (worst_case_steps) run here: about 30 ms at most on this engine
TIME_LIMIT = 1.0  # seconds one evaluation of a spec's pattern may take in the child before it is stopped
TRIAL_BUDGET = 0.05  # CPU seconds one near miss of the vetting trial may take
TRIAL_LENGTH = 1024  # characters of the longest near miss: a short completion, so good patterns pass fast
_HUGE = 1e300


def _ways(items: Any, n: int) -> float:
    """An upper bound on the ways a backtracking matcher can walk `items` over n characters."""
    total = 1.0
    for op, av in items:
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            low, high, body = av
            if high == sre_c.MAXREPEAT:
                # Only a fixed-width body repeats linearly: each pass then ends at one place.
                inner = _ways(body, n)
                total *= (n + 1.0) if inner == 1.0 and _fixed(body) else _HUGE
            else:
                inner = _ways(body, n)
                if inner == 1.0:
                    total *= high - low + 1.0  # only the count varies
                elif high > 1000:
                    return _HUGE
                else:  # each count k walks the body k times over
                    total *= sum(min(inner ** k, _HUGE) for k in range(low, high + 1))
        elif op == sre_c.SUBPATTERN:
            total *= _ways(av[3], n)
        elif op == getattr(sre_c, "ATOMIC_GROUP", None):
            total *= _ways(av, n)
        elif op == sre_c.BRANCH:
            total *= sum(_ways(alt, n) for alt in av[1])
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            total *= 1.0 + _ways(av[1], n)
        elif op == sre_c.GROUPREF:
            total *= n + 1.0  # compares up to n characters
        elif op == sre_c.GROUPREF_EXISTS:
            total *= _ways(av[1], n) + (_ways(av[2], n) if av[2] else 1.0)
        if total >= _HUGE:
            return _HUGE
    return total


def _fixed(items: Any) -> bool:
    """Whether `items` always takes one given number of characters in exactly one way."""
    for op, av in items:
        if op in (sre_c.LITERAL, sre_c.NOT_LITERAL, sre_c.ANY, sre_c.IN, sre_c.CATEGORY, sre_c.AT):
            continue
        if op == sre_c.SUBPATTERN and _fixed(av[3]):
            continue
        if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        return False
    return True


def worst_case_steps(pattern: str, length: int, flags: int = 0, mode: str = "search") -> float:
    """An upper bound on the work of one `mode` call of `pattern` on `length` characters (huge when unbounded).

    Read from the parse tree: an unbounded repeat of a fixed-width piece can stop at n+1 places, alternatives add,
    pieces in a row multiply, and a repeat of anything else (nested or ambiguous) counts as unbounded. A search
    tries every start. The bound is loose (``<answer>(.*?)</answer>`` counts as quadratic) but never low.
    """
    parsed = _parsed(pattern, flags)
    if parsed is None:
        return 0.0  # it does not compile, so it does not run either
    ways = _ways(parsed.data, length)
    starts = length + 1.0 if mode in ("search", "finditer") else 1.0
    if parsed.data and parsed.data[0] == (sre_c.AT, sre_c.AT_BEGINNING_STRING) or (
            parsed.data and parsed.data[0] == (sre_c.AT, sre_c.AT_BEGINNING)
            and not (flags | parsed.state.flags) & re.MULTILINE):
        starts = 1.0 + (mode == "finditer")  # re fails every other start at once
    return min(ways * starts * (len(pattern) + 1), _HUGE)


# (pattern, flags, mode) -> [longest length known cheap, shortest length known dear]. worst_case_steps never
# falls as the length grows, so one answer settles every shorter (cheap) or longer (dear) text.
_cheap_up_to: dict[tuple[str, int, str], list[float]] = {}


def runs_in_process(pattern: str, length: int, flags: int = 0, mode: str = "search") -> bool:
    """Whether `pattern` is cheap enough on `length` characters to run without a time limit."""
    if os.environ.get(_IN_RUNNER) == "1":
        return True
    key = (pattern, flags, mode)
    known = _cheap_up_to.get(key)
    if known is None:
        if len(_cheap_up_to) >= 4096:  # a long TUI session edits many patterns: forget the old ones
            _cheap_up_to.clear()
        known = _cheap_up_to.setdefault(key, [-1.0, math.inf])
    if length <= known[0]:
        return True
    if length >= known[1]:
        return False
    cheap = worst_case_steps(pattern, length, flags, mode) <= IN_PROCESS_STEPS
    if cheap:
        known[0] = max(known[0], length)
    else:
        known[1] = min(known[1], length)
    return cheap


@dataclass(frozen=True)
class Found:
    """A match made in the child process, with the re.Match methods rewardsmith reads."""

    string: str
    regs: tuple[tuple[int, int], ...]
    groupindex: dict[str, int]

    def _index(self, group: int | str) -> int:
        return self.groupindex[group] if isinstance(group, str) else group

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self.regs[self._index(group)]

    def start(self, group: int | str = 0) -> int:
        return self.span(group)[0]

    def end(self, group: int | str = 0) -> int:
        return self.span(group)[1]

    def group(self, group: int | str = 0) -> str | None:
        lo, hi = self.span(group)
        return None if lo < 0 else self.string[lo:hi]

    def groups(self) -> tuple[str | None, ...]:
        return tuple(self.group(g) for g in range(1, len(self.regs)))


_IN_RUNNER = "REWARDSMITH_PATTERN_RUNNER"

# The child: standard library only until a "call" names a rewardsmith function. It dies with its parent
# (PR_SET_PDEATHSIG), since a regex spinning in C never reads the pipe that would tell it.
_RUNNER = r'''
import importlib, os, pickle, re, struct, sys, time
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):  # the parent died before prctl took effect
    sys.exit(0)
inp = sys.stdin.buffer
out = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # what a called function prints must not corrupt the replies

def regs(m):
    return None if m is None else (m.regs, dict(m.re.groupindex))

def handle(msg):
    op = msg[0]
    if op == "ping":
        return "pong"
    if op == "find":
        _, pattern, flags, mode, text = msg
        return regs(getattr(re.compile(pattern, flags), mode)(text))
    if op == "find_all":
        _, pattern, flags, text = msg
        return [regs(m) for m in re.compile(pattern, flags).finditer(text)]
    if op == "trial":
        _, pattern, flags, mode, texts, budget = msg
        fn = getattr(re.compile(pattern, flags), mode)
        spent = []
        for text in texts:
            began = time.process_time()
            fn(text)
            spent.append(time.process_time() - began)
            if spent[-1] > budget:
                break
        return spent
    if op == "call":
        _, module, name, args, kwargs = msg
        if module.split(".")[0] != "rewardsmith":
            raise ValueError(f"the pattern runner only calls rewardsmith functions, not {module}")
        fn = importlib.import_module(module)
        for part in name.split("."):
            fn = getattr(fn, part)
        return fn(*args, **kwargs)
    raise ValueError(f"unknown request {op!r}")

def send(reply):
    try:
        data = pickle.dumps(reply)
    except Exception as exc:
        data = pickle.dumps(("raised", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))
    out.write(struct.pack(">I", len(data)) + data)
    out.flush()

def find_each(pattern, flags, mode, texts):
    # One reply per text, as soon as it is done: the parent gives each text its own limit.
    try:
        fn = getattr(re.compile(pattern, flags), mode)
    except BaseException as exc:
        for _ in texts:
            send(("raised", exc))
        return
    for text in texts:
        try:
            send(("ok", regs(fn(text))))
        except BaseException as exc:
            send(("raised", exc))

while True:
    head = inp.read(4)
    if len(head) < 4:
        break
    msg = pickle.loads(inp.read(struct.unpack(">I", head)[0]))
    if msg[0] == "find_each":
        find_each(*msg[1:])
        continue
    try:
        reply = ("ok", handle(msg))
    except BaseException as exc:
        reply = ("raised", exc)
    send(reply)
'''


_owner_jobs: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[Any]]] = queue.SimpleQueue()
_owner: threading.Thread | None = None
_owner_lock = threading.Lock()


def _from_owner_thread(job: Callable[[], Any]) -> Any:
    """job() on one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the *thread* that started the child ends, not the process: a child started
    from a TUI worker thread would die with that worker. Starting it here ties it to the process.
    """
    global _owner
    with _owner_lock:
        if _owner is None or not _owner.is_alive():
            def serve() -> None:
                while True:
                    fn, reply = _owner_jobs.get()
                    try:
                        reply.put((True, fn()))
                    except BaseException as exc:  # handed back to the caller
                        reply.put((False, exc))

            _owner = threading.Thread(target=serve, name="rewardsmith-pattern-runner", daemon=True)
            _owner.start()
    reply: queue.SimpleQueue[Any] = queue.SimpleQueue()
    _owner_jobs.put((job, reply))
    ok, value = reply.get()
    if not ok:
        raise value
    return value


class _Runner:
    """One child process that runs patterns and rewardsmith functions under a wall-clock limit.

    Shared by every thread (a lock serialises requests); a request that runs past its limit kills the
    child, and the next request starts a new one. select() on the pipe needs no signal, so the limit
    holds off the main thread too (the TUI calls from workers).
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._buf = b""  # what the child wrote past the reply read last (find_each streams several)

    def _start(self) -> None:
        env = dict(os.environ)
        # The child imports this very rewardsmith (a worktree or an editable install alike).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env[_IN_RUNNER] = "1"
        self._proc = _from_owner_thread(lambda: subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, close_fds=True, bufsize=0))
        self._exchange(("ping",), 60.0)

    def kill(self) -> None:
        proc, self._proc = self._proc, None
        self._buf = b""
        if proc is None:
            return
        proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL not delivered yet
            pass
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        data = pickle.dumps(message)
        try:
            proc.stdin.write(struct.pack(">I", len(data)) + data)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            raise PatternRunnerDied from None

    def _receive(self, limit: float) -> tuple[str, Any]:
        """The child's next reply, (status, value); PatternRunnerStopped (the child killed) past `limit`."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + limit
        buf = self._buf
        while True:
            need = 4 + struct.unpack(">I", buf[:4])[0] if len(buf) >= 4 else 4
            if len(buf) >= need > 4:
                self._buf = buf[need:]
                return pickle.loads(buf[4:need])
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                raise PatternRunnerStopped
            chunk = os.read(fd, max(65536, need - len(buf)))
            if not chunk:
                self.kill()
                raise PatternRunnerDied
            buf += chunk

    def _exchange(self, message: tuple[Any, ...], limit: float) -> Any:
        self._send(message)
        status, value = self._receive(limit)
        if status == "raised":
            raise value
        return value

    def request(self, message: tuple[Any, ...], limit: float) -> Any:
        """The child's answer; raises PatternRunnerStopped past `limit`, or what the child raised."""
        with self._lock:
            for attempt in (0, 1):
                try:
                    if self._proc is None or self._proc.poll() is not None:
                        self.kill()
                        self._start()
                    return self._exchange(message, limit)
                except PatternRunnerDied:  # killed from outside between two requests: start a new child once
                    if attempt:
                        raise RuntimeError("the pattern process died while running a pattern") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def request_each(self, message: tuple[Any, ...], count: int, limit: float) -> list[tuple[str, Any]]:
        """The `count` replies (status, value) to a streaming request (find_each), each given `limit` seconds.

        Shorter when a reply ran past its limit (the child is then killed) or the child died: the rest unsent.
        """
        with self._lock:
            got: list[tuple[str, Any]] = []
            for attempt in (0, 1):
                try:
                    if self._proc is None or self._proc.poll() is not None:
                        self.kill()
                        self._start()
                    self._send(message)
                    while len(got) < count:
                        got.append(self._receive(limit))
                    return got
                except PatternRunnerStopped:
                    return got
                except PatternRunnerDied:
                    if got or attempt:
                        return got
                except BaseException:
                    self.kill()  # replies still in the pipe would answer the next request
                    raise
            return got


_runner = _Runner()
_slow: dict[tuple[Any, ...], int] = {}  # what timed out, and the shortest text it timed out on
_slow_lock = threading.Lock()


def _close_runner() -> None:
    _runner.kill()


atexit.register(_close_runner)


def _bounded(key: tuple[Any, ...], pattern: str, length: int, message: tuple[Any, ...], limit: float) -> Any:
    with _slow_lock:
        known = _slow.get(key)
    if known is not None and length >= known:  # it timed out on a shorter text: do not spend the limit again
        raise PatternTimeout(pattern, limit, length)
    try:
        return _runner.request(message, limit)
    except PatternRunnerStopped:
        with _slow_lock:
            _slow[key] = min(_slow.get(key, length), length)
        raise PatternTimeout(pattern, limit, length) from None


def _found(text: str, got: Any) -> Found | None:
    return None if got is None else Found(text, tuple(got[0]), got[1])


def find(pattern: str, text: str, flags: int = 0, mode: str = "search", *,
         limit: float = TIME_LIMIT) -> re.Match[str] | Found | None:
    """``re.<mode>(pattern, text, flags)`` that cannot hang: raises PatternTimeout past `limit` seconds."""
    if mode not in ("search", "match", "fullmatch"):
        raise ValueError(f"mode must be search, match or fullmatch, not {mode!r}")
    if runs_in_process(pattern, len(text), flags, mode):
        return getattr(re.compile(pattern, flags), mode)(text)
    got = _bounded(("find", pattern, flags, mode), pattern, len(text), ("find", pattern, flags, mode, text), limit)
    return _found(text, got)


UNSETTLED = object()  # find_each: a text find() has to be asked about itself (see there)


def find_each(pattern: str, texts: Sequence[str], flags: int = 0, mode: str = "search", *,
              limit: float = TIME_LIMIT) -> list[Any]:
    """``[find(pattern, t, flags, mode) for t in texts]``, the texts that need the child sent in one round trip.

    Each text still gets `limit` seconds. An item is :data:`UNSETTLED` where ``find`` would not have returned a
    value (it raised, ran past the limit, or the text is longer than one that timed out before), and for every
    text sent after one that ran past the limit: call ``find`` on those when you reach them, which then raises
    (and remembers the timeout) exactly as a loop of ``find`` calls would have. Nothing is remembered here, so
    reading ahead of a loop that may stop early changes no later answer.
    """
    if mode not in ("search", "match", "fullmatch"):
        raise ValueError(f"mode must be search, match or fullmatch, not {mode!r}")
    out: list[Any] = [UNSETTLED] * len(texts)
    away: list[int] = []
    with _slow_lock:
        known = _slow.get(("find", pattern, flags, mode))
    for k, text in enumerate(texts):
        if runs_in_process(pattern, len(text), flags, mode):
            try:
                out[k] = getattr(re.compile(pattern, flags), mode)(text)
            except Exception:  # noqa: BLE001 - find() raises it for this text itself
                pass
        elif known is None or len(text) < known:
            away.append(k)
    if away:
        try:
            replies = _runner.request_each(("find_each", pattern, flags, mode, [texts[k] for k in away]),
                                           len(away), limit)
        except (RuntimeError, OSError):  # no child: find() reports it where it is asked
            replies = []
        for k, (status, value) in zip(away, replies):
            if status == "ok":
                out[k] = _found(texts[k], value)
    return out


def find_all(pattern: str, text: str, flags: int = 0, *, limit: float = TIME_LIMIT) -> list[Any]:
    """``list(re.finditer(pattern, text, flags))`` that cannot hang: raises PatternTimeout past `limit` seconds."""
    if runs_in_process(pattern, len(text), flags, "finditer"):
        return list(re.finditer(pattern, text, flags))
    got = _bounded(("find_all", pattern, flags), pattern, len(text), ("find_all", pattern, flags, text), limit)
    return [_found(text, g) for g in got]


def run_bounded(fn: Callable[..., Any], *args: Any, patterns: Iterable[tuple[str, int]], length: int,
                limit: float = TIME_LIMIT, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, where `fn` runs the spec `patterns` (pattern, flags) on up to `length` characters.

    Called here when every pattern is cheap at that length, else in the child process under `limit` seconds
    (PatternTimeout past it). `fn` must be a module-level rewardsmith function and its arguments picklable.
    """
    patterns = list(patterns)
    if all(runs_in_process(p, length, f, "search") for p, f in patterns):
        return fn(*args, **kwargs)
    module, name = fn.__module__, fn.__qualname__
    if module.split(".")[0] != "rewardsmith" or "<" in name:
        raise ValueError(f"run_bounded runs module-level rewardsmith functions, not {module}.{name}")
    key = ("call", module, name, tuple(patterns))
    shown = " | ".join(p for p, _ in patterns)
    return _bounded(key, shown, length, ("call", module, name, args, kwargs), limit)


def _near_misses(pattern: str, flags: int) -> list[tuple[str, str]]:
    """(unit, breaker) pairs for near misses: ``unit * N + breaker`` from the pattern's own literals."""
    parsed = _parsed(pattern, flags)
    if parsed is None:
        return []
    state, all_flags = parsed.state, flags | parsed.state.flags
    units: list[str] = []
    for shape in regex_shapes(pattern, flags):
        units.append(shape.unit)
    literal = "".join(chr(av) for op, av in _walk(parsed.data) if op == sre_c.LITERAL)
    for op, av in _walk(parsed.data):
        if op in _REPEATS:
            units.append(_instance(av[2], state, all_flags) or "a")
    units += [c for c in dict.fromkeys(literal)][:4] + ([literal] if 1 < len(literal) <= 40 else []) + ["a", " "]
    units = [u for u in dict.fromkeys(units) if u][:8]
    return [(u, b) for u in units[:4] for b in ("!", "\n")]


_trials: dict[tuple[str, int, str], dict[str, Any] | None] = {}


def timed_trial(pattern: str, flags: int = 0, mode: str = "search") -> dict[str, Any] | None:
    """Time `pattern` on near misses of up to TRIAL_LENGTH characters; what blew up, or None when it stays tame.

    Only patterns whose worst case (worst_case_steps) is large at that length are run, in the child process.
    A pattern blows up when a near miss takes over TRIAL_BUDGET of CPU time (measured in the child, so a busy
    machine does not fail a good pattern) and took over 5.5x what half its length took: cubic or worse. A
    quadratic search (``\\w+\\s+x``, 4x per doubling) is how Python's `re` searches and is left to the bench's
    per-call limit. A trial that has not answered after 3 s of wall clock is stopped and blew up.
    """
    key = (pattern, flags, mode)
    if key in _trials:
        return _trials[key]
    result = None
    if not runs_in_process(pattern, TRIAL_LENGTH + 8, flags, mode):
        result = _trial(pattern, flags, mode)
    _trials[key] = result
    return result


def _trial(pattern: str, flags: int, mode: str) -> dict[str, Any] | None:
    for unit, breaker in _near_misses(pattern, flags):
        texts, n = [], 8
        while True:
            text = unit * max(1, n // len(unit)) + breaker
            texts.append(text)
            if len(text) >= TRIAL_LENGTH:
                break
            n *= 2
        try:
            spent = _runner.request(("trial", pattern, flags, mode, texts, TRIAL_BUDGET), 3.0)
        except PatternRunnerStopped:
            return {"text": texts[-1], "seconds": math.inf, "length": len(texts[-1])}
        except (re.error, OverflowError, RecursionError, MemoryError):
            return None  # vet_pattern reports the pattern itself
        except (RuntimeError, OSError):  # no child to time it in: every evaluation stays under its limit anyway
            return None
        for k, seconds in enumerate(spent):
            if seconds > TRIAL_BUDGET and (k == 0 or seconds / max(spent[k - 1], 1e-4) > 5.5):
                return {"text": texts[k], "seconds": seconds, "length": len(texts[k])}
    return None


# --------------------------------------------------------------------------- literal prefilters
# Worked out when a module is rendered and written into it as constants (the runtime's batch reading uses
# them: rewardsmith/runtime/batch.py), so a text that cannot match never reaches the regex engine.

def _literal_runs(items, runs, run):
    """Walk parsed regex `items` in order, extending `run` with literal characters every match contains."""
    for op, arg in items:
        name = getattr(op, "name", str(op))
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        if name == "SUBPATTERN" and not arg[1] & re.IGNORECASE:
            run = _literal_runs(arg[-1], runs, run)  # a group matches in place: its literals continue the run
            continue
        runs.append("".join(run))
        run = []
    return run


def _parsed_compiled(pattern):
    """The parsed form of a compiled pattern, or None where this Python's parser is not reachable."""
    try:
        parser = getattr(re, "_parser", None)
        if parser is None:
            import sre_parse as parser
        return parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a prefilter is an optimisation: without one the regex decides
        return None


def _required_literal(pattern):
    """The longest literal every match of `pattern` contains, "" when there is none to rely on.

    A text without it cannot match (search, match, fullmatch, findall alike), so the rules test it with
    ``in`` before running the regex. Case-insensitive patterns and bytes patterns get "".
    """
    if not isinstance(pattern.pattern, str) or pattern.flags & re.IGNORECASE:
        return ""
    parsed = _parsed_compiled(pattern)
    if parsed is None or parsed.state.flags & re.IGNORECASE:
        return ""
    runs = []
    runs.append("".join(_literal_runs(list(parsed), runs, [])))
    return max(runs, key=len)


def _literal_tail(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The endings a text needs for `pattern` to match anywhere in it, when the pattern ends with a literal and
    then ``$`` or ``\\Z``; else None.

    ``$`` (without MULTILINE) matches at the end or before a final newline, so the literal ends the text or
    comes just before its last "\\n". ``str.endswith`` checks it without the regex reading the text.
    """
    if not isinstance(pattern.pattern, str) or pattern.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    parsed = _parsed_compiled(pattern)
    if parsed is None or parsed.state.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    items = [(getattr(op, "name", str(op)), arg) for op, arg in parsed]
    newline = False
    anchored = False
    while items and items[-1][0] == "AT":
        where = getattr(items[-1][1], "name", str(items[-1][1]))
        if where == "AT_END":
            newline = True
        elif where != "AT_END_STRING":
            return None
        anchored = True
        items.pop()
    tail = []
    while items and items[-1][0] == "LITERAL":
        tail.append(chr(items.pop()[1]))
    if not anchored or not tail:
        return None
    literal = "".join(reversed(tail))
    return (literal, literal + "\n") if newline else (literal,)


def _literal_head(pattern):
    """The literal every match starts with (after any leading anchors), "" when there is none to rely on.

    ``pattern.match(text)`` and ``fullmatch`` need the text to start with it, which ``str.startswith`` checks
    without reading the rest of the text.
    """
    if not isinstance(pattern.pattern, str) or pattern.flags & re.IGNORECASE:
        return ""
    parsed = _parsed_compiled(pattern)
    if parsed is None or parsed.state.flags & re.IGNORECASE:
        return ""
    head = []
    for op, arg in parsed:
        name = getattr(op, "name", str(op))
        if name == "AT" and not head:
            continue  # an anchor consumes nothing: the literal after it still starts the match
        if name != "LITERAL":
            break
        head.append(chr(arg))
    return "".join(head)


def _literal_count(pattern):
    """The literal L when ``len(pattern.findall(text)) == text.count(L)`` for every text, else None.

    True of a pattern made of literal characters and then only lazy repeats that may match nothing
    (``Searching for:.*?``): each match is the literal alone at its next occurrence.
    """
    if not isinstance(pattern.pattern, str) or pattern.flags & re.IGNORECASE:
        return None
    parsed = _parsed_compiled(pattern)
    if parsed is None or parsed.state.flags & re.IGNORECASE:
        return None
    items = [(getattr(op, "name", str(op)), arg) for op, arg in parsed]
    k = 0
    while k < len(items) and items[k][0] == "LITERAL":
        k += 1
    if k == 0 or not all(name == "MIN_REPEAT" and arg[0] == 0 for name, arg in items[k:]):
        return None
    return "".join(chr(arg) for _, arg in items[:k])
