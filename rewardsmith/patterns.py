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
(:func:`confirm_shape`), and to the bench's per-call time limit. (RE2 accepting a pattern says nothing here: the
generated module runs Python's backtracking `re`.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

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
    "MAX_PATTERN",
    "MAX_REPEAT_COUNT",
    "Shape",
    "compile_flags",
    "confirm_shape",
    "parse_pattern",
    "regex_shapes",
    "vet_pattern",
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
    import time

    def clock(text: str) -> float:
        best = math.inf
        for _ in range(3):  # the least of three: a scheduler hiccup must not fake (or hide) growth
            began = time.perf_counter()
            find(text)
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


def _parsed(pattern: str, flags: int) -> Any:
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
        raise ValueError(f"not a valid Python regular expression: {exc}") from None
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
    return pattern
