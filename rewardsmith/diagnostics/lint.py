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

import re
from dataclasses import dataclass, field
from typing import Any

from ..patterns import sre_c

from ..kinds import Extract, get_kind
from ..patterns import (  # noqa: F401 - Shape re-exported
    TIME_LIMIT,
    UNSETTLED,
    PatternTimeout,
    Shape,
    _parsed,
    _walk,
    confirm_shape,
    find,
    find_each,
    regex_shapes,
)
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


def _finder(pattern: str, flags: int, mode: str, limit: float | None = None) -> Any:
    """`mode` of the spec's pattern, under the per-call limit (patterns.find): a timeout raises PatternTimeout."""
    if limit is None:
        return lambda text: find(pattern, text, flags, mode)
    return lambda text: find(pattern, text, flags, mode, limit=limit)


class _Finder:
    """`mode` of the spec's pattern under the per-call limit, like _finder, with answers read ahead.

    ``ahead(texts)`` asks patterns.find_each about many texts at once (one round trip for those the child
    runs); a call then answers from those, or asks patterns.find, which raises PatternTimeout where a loop of
    find calls would have.
    """

    def __init__(self, pattern: str, flags: int, mode: str) -> None:
        self.pattern, self.flags, self.mode = pattern, flags, mode
        self._known: dict[str, Any] = {}

    def ahead(self, texts: Any) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self._known]
        for text, got in zip(todo, find_each(self.pattern, todo, self.flags, self.mode, limit=TIME_LIMIT)):
            if got is not UNSETTLED:
                self._known[text] = got

    def __call__(self, text: str) -> Any:
        if text in self._known:
            return self._known[text]
        return find(self.pattern, text, self.flags, self.mode)


def _chunks(items: list[Any], first: int = 8) -> Any:
    """`items` in runs of doubling length: read-ahead for a loop that may stop early costs at most what it used."""
    start, size = 0, first
    while start < len(items):
        yield items[start:start + size]
        start, size = start + size, size * 2


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
    return [(i, scoped_text(ctx.samples[i].completion, scope)) for i in range(min(len(ctx.samples), _MAX_TEXTS))]


def _crlf(t: str) -> str:
    return t.replace("\r\n", "\n").replace("\n", "\r\n")


def _one_line(t: str) -> str:
    return re.sub(r"[ \t]*\n\s*(?=<)|(?<=>)[ \t]*\n\s*", "", t)


# --------------------------------------------------------------------------- planning


def plan(ctx: Context) -> LintPlan:
    """Findings from the patterns themselves, and the strings that show them, to score through the module."""
    result = LintPlan()
    for pat in _patterns(ctx):
        _guarded(ctx, pat.rule, pat.where, result, _lint_pattern, pat)
    for pat in _patterns(ctx) + _pattern_only(ctx):
        _guarded(ctx, pat.rule, pat.where, result, _lint_backtracking, pat)
    for rule in ctx.spec.rules:
        _guarded(ctx, rule, "extract.pattern", result, _lint_isdigit, rule)
        _guarded(ctx, rule, "extract.pattern", result, _lint_whole_text, rule)
    return result


def _guarded(ctx: Context, rule: Any, where: str, result: LintPlan, check: Any, item: Any) -> None:
    """Run one check; a spec pattern that runs past its limit on a sample is a finding, not a hang."""
    try:
        check(ctx, item, result)
    except PatternTimeout as exc:
        if any(f.code == "pattern_timeout" and f.rule == rule.name for f in result.findings):
            return  # once per rule is enough to act on
        sample = next((s for s in ctx.samples if len(scoped_text(s.completion, ctx.scope(rule))) >= exc.length),
                      None)
        result.findings.append(Finding(rule.name, "pattern_timeout", f"{rule.name}: {where}: {exc}",
                                       short(scoped_text(sample.completion, ctx.scope(rule)), 60) if sample else "",
                                       sample.id if sample else None, as_is=True))


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
    find = _Finder(pat.pattern, pat.flags, pat.mode)
    dot_issue = _has_dot(parsed) and not (pat.flags | parsed.state.flags) & re.DOTALL
    # The other checks look through the dot issue, so each finding stands on its own.
    flags_i = pat.flags | re.DOTALL if dot_issue else pat.flags
    find_i = _Finder(pat.pattern, flags_i, pat.mode) if dot_issue else find

    if dot_issue:
        find_i.ahead(t for _, t in texts)
        find.ahead([t for _, t in texts if find_i(t)])
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
        rx_search, rx_match = _Finder(pat.pattern, flags_i, "search"), _Finder(pat.pattern, flags_i, "match")
        for chunk in _chunks(texts):
            rx_search.ahead(t for _, t in chunk)
            rx_match.ahead([t for _, t in chunk if (m := rx_search(t)) and m.start() > 0])
            found = False
            for i, t in chunk:
                m = rx_search(t)
                if m and m.start() > 0 and not rx_match(t):
                    result.findings.append(Finding(
                        rule.name, "match_for_search",
                        f"{rule.name}: re.match only looks at the start, but the pattern has no ^ and samples have "
                        f"text before what it looks for ({short(t[: m.start()], 40)} first); use mode: search "
                        "(or anchor it on purpose)",
                        t, ctx.samples[i].id, as_is=True))
                    found = True
                    break
            if found:
                break

    anchor, needs_nl = _end_anchor(parsed)
    if anchor or pat.mode == "fullmatch":
        _lint_anchor(ctx, pat, result, texts, find_i, anchor, needs_nl, dot_issue)

    if _literal_newline(parsed):
        ahead = {c[0][0]: c for c in _chunks(texts)}  # read ahead in doubling runs as the loop reaches each
        for i, t in texts:
            if i in ahead:
                find_i.ahead(u for _, u in ahead[i])
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
    for chunk in _chunks(texts):
        tried = [(i, t, [t.rstrip("\n"), t.rstrip("\n") + "\n", t.rstrip("\n") + "\n\n"]) for i, t in chunk]
        if isinstance(find_i, _Finder):
            find_i.ahead(form for _, _, forms in tried for form in forms)
        for i, t, forms in tried:
            found = [(f, bool(find_i(f))) for f in forms]  # each form run once: a bounded call may be a round trip
            ok = [f for f, hit in found if hit]
            bad = [f for f, hit in found if not hit]
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
    find = _finder(pat.pattern, pat.flags, pat.mode, limit=0.5)  # near misses stop growing at 20 ms anyway
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
