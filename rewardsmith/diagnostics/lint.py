"""Regex and extraction lint: patterns and idioms that silently score the wrong thing.

Every pattern a rule carries (a format regex, what a count rule counts, a regex extraction) is
read with Python's own regex parser, then tried on the samples' text as that rule reads it. A
finding is only reported with a string it fails on: a sample when one shows it, else a string
generated from a sample. For format rules (whose verdict is the pattern's) the string is also
scored through the module, and the score is shown.

- ``dot_newline``: ``.`` without DOTALL does not cross newlines, so a pattern spanning multi-line
  reasoning never matches (the bug that left Unsloth's soft format reward at zero);
- ``match_for_search``: ``re.match`` with a pattern not anchored by ``^``, while samples have the
  looked-for text after other text (``match`` only looks at the start);
- ``anchor_newline``: ``\\n$`` needs a final newline, ``\\Z`` / fullmatch forbid one, ``$`` allows
  exactly one: models end with and without them;
- ``literal_newline``: a literal ``\\n`` required where models vary (CRLF, tags on one line);
- ``backtracking``: shapes that backtrack exponentially (a repeat holding a repeat, or an
  alternation whose branches can take the same text) or polynomially (adjacent overlapping
  repeats); a near-miss string is run through the module with the bench's time limit;
- ``isdigit``: ``str.isdigit`` accepts '²' and '①' (``int()`` rejects them) and rejects '-3';
- ``whole_text``: the ``text.split("<answer>")[-1]`` idiom takes the whole text as the answer
  when the tag is missing, so a completion with no format at all can earn the answer's reward.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

try:  # Python 3.11+: the parser lives in re; sre_parse is a deprecated alias there.
    from re import _compiler as sre_compile  # type: ignore[attr-defined]
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_compile  # type: ignore[no-redef]
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from ..kinds import Extract, get_kind
from ._common import (
    Candidate,
    Context,
    Part,
    Scored,
    answer_extract,
    fmt,
    locate_answer,
    replace_slot,
    scoped_text,
    short,
    single_turn,
)
from .diagnostic import Diagnostic, Plan, register

__all__ = ["DIAGNOSTIC", "Finding", "LintPlan", "Shape", "conclude", "confirm_shape", "plan", "regex_shapes"]

_MAX_TEXTS = 400  # sample texts tried per pattern
ALPHABET = "".join(chr(c) for c in range(32, 127)) + "\n\t"


@dataclass
class Finding:
    rule: str
    code: str
    message: str
    demo: str  # the string it fails on
    sample: str | None = None  # the sample it comes from (as is, or rewritten)
    key: str | None = None  # candidate key when the string is scored through the module
    as_is: bool = False  # the sample itself fails (its score is in the matrix)
    confirm: Any = None  # param findings: callable(score) -> bool, checked against the module's score


@dataclass
class LintPlan(Plan):
    findings: list[Finding] = field(default_factory=list)  # `slow` holds near-miss strings for backtracking shapes


# --------------------------------------------------------------------------- the regex parse tree


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


def _has_dot(parsed: Any) -> bool:
    return any(op == sre_c.ANY for op, _ in _walk(parsed.data))


def _anchored_start(parsed: Any) -> bool:
    items = parsed.data
    while items:
        op, av = items[0]
        if op == sre_c.AT:
            return av in (sre_c.AT_BEGINNING, sre_c.AT_BEGINNING_STRING)
        if op == sre_c.SUBPATTERN:
            items = av[3]
            continue
        return False
    return False


def _end_anchor(parsed: Any) -> tuple[str | None, bool]:
    """The final anchor ("$", "\\Z" or None) and whether a literal newline comes just before it."""
    items = list(parsed.data)
    if not items or items[-1][0] != sre_c.AT:
        return None, False
    kind = {sre_c.AT_END: "$", sre_c.AT_END_STRING: "\\Z"}.get(items[-1][1])
    before = items[-2] if len(items) > 1 else None
    return kind, bool(before and before[0] == sre_c.LITERAL and before[1] == 10)


def _literal_newline(parsed: Any) -> bool:
    return any(op == sre_c.LITERAL and av == 10 for op, av in _walk(parsed.data))


def _finder(rx: re.Pattern[str], mode: str) -> Any:
    return {"match": rx.match, "search": rx.search, "fullmatch": rx.fullmatch}[mode]


# --------------------------------------------------------------------------- what each rule carries


@dataclass
class _Pattern:
    rule: Any
    where: str
    pattern: str
    flags: int
    mode: str


def _declared(ctx: Context, on: str) -> list[_Pattern]:
    """The patterns each kind declares it compiles, applied to the completion ("text") or to an answer."""
    return [_Pattern(rule, p.field, p.pattern, p.flags, p.mode)
            for rule in ctx.spec.rules for p in ctx.kind(rule).patterns(rule.params) if p.on == on]


def _patterns(ctx: Context) -> list[_Pattern]:
    return _declared(ctx, "text")


def _pattern_only(ctx: Context) -> list[_Pattern]:
    """Patterns tested on something other than the completion (an extracted answer): shape checks only."""
    return _declared(ctx, "answer")


def _texts(ctx: Context, rule: Any) -> list[tuple[int, str]]:
    scope = ctx.kind(rule).scope(rule.params)
    return [(i, scoped_text(s.completion, scope)) for i, s in enumerate(ctx.samples)][:_MAX_TEXTS]


def _crlf(t: str) -> str:
    return t.replace("\r\n", "\n").replace("\n", "\r\n")


def _one_line(t: str) -> str:
    return re.sub(r"[ \t]*\n\s*(?=<)|(?<=>)[ \t]*\n\s*", "", t)


# --------------------------------------------------------------------------- planning


def plan(ctx: Context) -> LintPlan:
    """Findings from the patterns themselves, and the strings that show them, to score through the module."""
    result = LintPlan()
    for pat in _patterns(ctx):
        _lint_pattern(ctx, pat, result)
    for pat in _patterns(ctx) + _pattern_only(ctx):
        _lint_backtracking(ctx, pat, result)
    for rule in ctx.spec.rules:
        _lint_isdigit(ctx, rule, result)
        _lint_whole_text(ctx, rule, result)
    return result


def _generated(ctx: Context, result: LintPlan, finding: Finding, i: int, text: str) -> None:
    """Score a generated string through the module (format rules: their verdict is the pattern's)."""
    finding.demo, finding.sample = text, ctx.samples[i].id
    if finding.rule and ctx.kind(ctx.spec.rule(finding.rule)).verdict_is_pattern:
        key = f"lint:{finding.code}:{finding.rule}"
        finding.key = key
        result.candidates.append(Candidate(key, ctx.samples[i], single_turn(ctx.samples[i].completion, text)))


def _lint_pattern(ctx: Context, pat: _Pattern, result: LintPlan) -> None:
    parsed = _parsed(pat.pattern, pat.flags)
    if parsed is None:
        return
    rule = pat.rule
    where = f"{pat.where} {short(pat.pattern, 60)}"
    texts = _texts(ctx, rule)
    rx = re.compile(pat.pattern, pat.flags)
    find = _finder(rx, pat.mode)
    dot_issue = _has_dot(parsed) and not (pat.flags | parsed.state.flags) & re.DOTALL
    # The other checks look through the dot issue, so each finding stands on its own.
    rx_i = re.compile(pat.pattern, pat.flags | re.DOTALL) if dot_issue else rx
    find_i = _finder(rx_i, pat.mode)

    if dot_issue:
        hits = [(i, t) for i, t in texts if find_i(t) and not find(t)]
        f = Finding(rule.name, "dot_newline", "", "")
        if hits:
            i, t = hits[0]
            f.demo, f.sample, f.as_is = t, ctx.samples[i].id, True
            f.message = (f"{rule.name}: `.` does not cross newlines without DOTALL ({where}); it fails on "
                         f"{len(hits)} sample(s) that match with DOTALL")
            result.findings.append(f)
        else:
            for i, t in texts:
                m = find(t)
                if not m or " " not in m.group(0):
                    continue
                t2 = t[: m.start()] + m.group(0).replace(" ", "\n") + t[m.end():]
                if find_i(t2) and not find(t2):
                    f.message = (f"{rule.name}: `.` does not cross newlines without DOTALL ({where}); "
                                 "the same text over several lines fails")
                    _generated(ctx, result, f, i, t2)
                    result.findings.append(f)
                    break

    if pat.mode == "match" and not _anchored_start(parsed):
        rx_search = rx_i.search
        for i, t in texts:
            m = rx_search(t)
            if m and m.start() > 0 and not rx_i.match(t):
                result.findings.append(Finding(
                    rule.name, "match_for_search",
                    f"{rule.name}: re.match only looks at the start, but the pattern has no ^ and samples have "
                    f"text before what it looks for ({short(t[: m.start()], 40)} first); use mode: search "
                    "(or anchor it on purpose)",
                    t, ctx.samples[i].id, as_is=True))
                break

    anchor, needs_nl = _end_anchor(parsed)
    if anchor or pat.mode == "fullmatch":
        _lint_anchor(ctx, pat, result, texts, find_i, anchor, needs_nl, dot_issue)

    if _literal_newline(parsed):
        for i, t in texts:
            if not find_i(t):
                continue
            for label, t2 in (("with Windows line endings", _crlf(t)), ("with its tags on one line", _one_line(t))):
                if t2 != t and not find_i(t2):
                    f = Finding(rule.name, "literal_newline",
                                f"{rule.name}: the pattern requires a literal \\n where models vary ({where}); "
                                f"a matching sample fails {label}", "")
                    _generated(ctx, result, f, i, t2)
                    result.findings.append(f)
                    break
            else:
                continue
            break


def _lint_anchor(ctx: Context, pat: _Pattern, result: LintPlan, texts: list[tuple[int, str]], find_i: Any,
                 anchor: str | None, needs_nl: bool, dot_issue: bool) -> None:
    rule = pat.rule
    if needs_nl:
        why = "`\\n$` at the end requires a final newline, which models often leave out"
    elif anchor == "\\Z" or pat.mode == "fullmatch":
        why = "the pattern must reach the very end (\\Z / fullmatch): a trailing newline breaks it"
    else:
        why = "`$` allows one trailing newline but not two"
    sharp = needs_nl or anchor == "\\Z" or pat.mode == "fullmatch"
    for i, t in texts:
        base = t.rstrip("\n")
        forms = [base, base + "\n", base + "\n\n"]
        ok = [f for f in forms if find_i(f)]
        bad = [f for f in forms if not find_i(f)]
        if not ok or not bad:
            continue
        if t in bad:
            f = Finding(rule.name, "anchor_newline", f"{rule.name}: {why}; a sample fails as it is", t,
                        ctx.samples[i].id, as_is=True)
        elif sharp:
            f = Finding(rule.name, "anchor_newline", f"{rule.name}: {why}", "")
            _generated(ctx, result, f, i, bad[0])
        else:
            continue
        if dot_issue:
            f.message += " (seen with DOTALL added, to look past the `.` finding)"
        result.findings.append(f)
        return


def _lint_backtracking(ctx: Context, pat: _Pattern, result: LintPlan) -> None:
    shapes = regex_shapes(pat.pattern, pat.flags)
    if not shapes:
        return
    find = _finder(re.compile(pat.pattern, pat.flags), pat.mode)
    for shape in shapes:
        measured = confirm_shape(shape, find)
        if measured is None:
            continue
        f = Finding(pat.rule.name, "backtracking",
                    f"{pat.rule.name}: {shape.why} in {pat.where} {short(pat.pattern, 50)} — {shape.kind} "
                    f"backtracking on a near miss: {measured['seconds'] * 1000:.0f} ms at {measured['n']} "
                    f"repetitions, {measured['growth']}", measured["demo"])
        if ctx.samples:
            key = f"slow:{pat.rule.name}:{len(result.slow)}"
            f.key = key
            result.slow.append(Candidate(key, ctx.samples[0], single_turn(ctx.samples[0].completion, f.demo)))
        result.findings.append(f)
        return  # one shape per pattern is enough to act on


def _template(ctx: Context, rule: Any, extract: Extract) -> tuple[int, str, Any] | None:
    """A sample where the rule passes, its text and the answer's slot under the rule's own extraction."""
    kind = get_kind(rule.kind)
    scores = ctx.scores(rule)
    passing = kind.pass_score(rule.params) if kind.binary else None
    scope = kind.scope(rule.params)
    for i, s in enumerate(ctx.samples):
        if passing is not None and (scores[i] is None or abs(scores[i] - passing) > 1e-9):
            continue
        text = scoped_text(s.completion, scope)
        slot = locate_answer(text, extract)
        if slot is not None:
            return i, text, slot
    return None


def _lint_isdigit(ctx: Context, rule: Any, result: LintPlan) -> None:
    if "isdigit" not in ctx.kind(rule).lints(rule.params):
        return
    found = _template(ctx, rule, rule.params.extract)
    if found is None:
        return
    i, text, slot = found
    match = rule.params.score_match
    for code, value, ok_if in (("isdigit", "²", lambda s, m=match: s == m),
                               ("isdigit_negative", "-3", lambda s, m=match: s != m)):
        key = f"lint:{code}:{rule.name}"
        demo = replace_slot(text, slot, value)
        result.candidates.append(Candidate(key, ctx.samples[i], single_turn(ctx.samples[i].completion, demo)))
        what = "accepts '²' (int() rejects it)" if value == "²" else "rejects the negative number '-3'"
        result.findings.append(Finding(rule.name, code, f"{rule.name}: str.isdigit {what}", demo,
                                       ctx.samples[i].id, key=key, confirm=ok_if))


def _lint_whole_text(ctx: Context, rule: Any, result: LintPlan) -> None:
    extract = getattr(rule.params, "extract", None)
    if not isinstance(extract, Extract) or extract.method != "split" or extract.index not in (0, -1):
        return
    _, reference = answer_extract(ctx.spec)
    reference = getattr(rule.params, "reference", None) or reference
    found = _template(ctx, rule, extract)
    for i, s in enumerate(ctx.samples):
        value = s.refs.get(reference) if reference else None
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if value is None and found is not None and found[0] == i:
            value = found[2].content(found[1]).strip()
        if value is None or not str(value).strip():
            continue
        bare = str(value).strip()
        key = f"lint:whole_text:{rule.name}"
        result.candidates.append(Candidate(key, s, single_turn(s.completion, bare)))
        kind = get_kind(rule.kind)
        miss = getattr(rule.params, "score_miss", 0.0)
        passing = kind.pass_score(rule.params) if kind.binary else None
        result.findings.append(Finding(
            rule.name, "whole_text",
            f"{rule.name}: with no {extract.start!r} in the text, text.split({extract.start!r})[{extract.index}] "
            f"is the whole text, so a completion with no format at all is taken as the answer",
            bare, s.id, key=key,
            confirm=(lambda sc, p=passing, m=miss: sc == p) if passing is not None else (lambda sc, m=miss: sc > m)))
        return


# --------------------------------------------------------------------------- report


def conclude(ctx: Context, lint_plan: LintPlan, scored: Scored) -> Part:
    """The findings the module's own scores confirm, each with the string it fails on."""
    part = Part("lint", "Regex and extraction lint")
    index = {sid: i for i, sid in enumerate(ctx.matrix.sample_ids)}
    out: list[dict[str, Any]] = []
    for f in lint_plan.findings:
        score: float | None = None
        note = ""
        if f.code == "backtracking":
            err = scored.errors.get(f.key or "", {}).get(f.rule, "")
            note = (f" — {err} on it" if "timed out" in err
                    else " — finished within the time limit on this string, but the shape stays risky")
        elif f.confirm is not None:
            score = scored.get(f.key or "", f.rule)
            if score is None or not f.confirm(score):
                continue  # the module does not behave the way the idiom suggests: nothing to report
            note = f" — the module scores it {fmt(score)}"
        elif f.as_is and f.sample in index and ctx.kind(ctx.spec.rule(f.rule)).verdict_is_pattern:
            score = ctx.matrix.scores[f.rule][index[f.sample]]
            note = f" — it scores {fmt(score)}"
        elif f.key:
            score = scored.get(f.key, f.rule)
            note = f" — the module scores it {fmt(score)}"
        if not f.sample:
            where = ""
        elif f.code == "whole_text":
            where = f" (the reference answer of {f.sample}, as the whole completion)"
        else:
            where = f" ({f.sample}{'' if f.as_is else ', rewritten'})"
        part.lines.append(f.message + note)
        part.lines.append(f"    fails on {short(f.demo, 90)}{where}")
        part.warn(f"{f.code}:{f.rule}", f.message)
        out.append({"rule": f.rule, "code": f.code, "message": f.message, "string": f.demo, "sample": f.sample,
                    "sample_as_is": f.as_is, "score": score})
    if not out:
        part.lines.append("no finding")
    part.data = {"findings": out}
    return part


DIAGNOSTIC = register(Diagnostic("lint", 40, conclude, plan))
