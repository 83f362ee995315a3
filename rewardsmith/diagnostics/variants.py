"""Robustness: formatting variants of well-scoring samples that must not change a rule's verdict.

Each kind declares the variant ids it must be invariant to (``Kind.variants``); this module says
what each id means. A pass/fail rule changes its verdict on any change of score; a graded rule
(a length ramp, partial credit) only when its score moves by more than 2% of its range here. For every rule, the samples where it scores best (preferring labelled-good
ones, spread over groups) are rewritten with each declared variant, the rewritten completions are
scored through the module in the bench worker, and every rule whose score moves is reported with
the before/after text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Literal

from ._common import (
    EPS,
    Candidate,
    Context,
    Part,
    Scored,
    changed,
    diff_snippet,
    fmt,
    map_text,
    rule_sign,
    scoped_text,
    tag_pairs,
)
from .diagnostic import Diagnostic, Plan, register

__all__ = ["DIAGNOSTIC", "PER_RULE", "VARIANTS", "Variant", "VariantPlan", "conclude", "plan"]

PER_RULE = 6  # well-scoring samples varied per rule: enough to see a pattern, cheap to score


@dataclass(frozen=True)
class Variant:
    id: str
    describe: str
    transform: Callable[[str], str]
    which: Literal["all", "last"]  # assistant turns it rewrites: formatting habits hold across turns


def _trailing_newline(t: str) -> str:
    # Both directions occur: models end at EOS with or without a final newline.
    return t.rstrip("\n") if t.endswith("\n") else t + "\n"


def _crlf(t: str) -> str:
    return t.replace("\r\n", "\n").replace("\n", "\r\n")


def _space_around_tags(t: str) -> str:
    def one(m: re.Match[str]) -> str:
        inner = m.group(2)
        inner = inner.strip() if inner.strip() != inner else f" {inner} "
        return f"<{m.group(1)}>{inner}</{m.group(1)}>"

    return re.sub(r"<([A-Za-z_][\w.\-]*)>(.*?)</\1>", one, t, flags=re.DOTALL)


def _markdown_bold_tags(t: str) -> str:
    pairs = tag_pairs(t)
    if not pairs:
        return t
    last = pairs[-1]
    return t[: last.start()] + "**" + last.group(0) + "**" + t[last.end():]


def _case(t: str) -> str:
    # Only the words change: tag markup such as <answer> or <|up|> is left as it is.
    parts = re.split(r"(<[^<>]*>)", t)
    upper = "".join(p if p.startswith("<") and p.endswith(">") else p.upper() for p in parts)
    if upper != t:
        return upper
    return "".join(p if p.startswith("<") and p.endswith(">") else p.lower() for p in parts)


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _fullwidth_digits(t: str) -> str:
    return t.translate(_FULLWIDTH)


_LAST_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)(?!.*\d)", re.DOTALL)


def _answer_with_units(t: str) -> str:
    pairs = tag_pairs(t)
    if pairs and _LAST_NUMBER.search(pairs[-1].group(2)):
        last = pairs[-1]
        inner = _LAST_NUMBER.sub(r"\1 units", last.group(2), count=1)
        return t[: last.start(2)] + inner + t[last.end(2):]
    return _LAST_NUMBER.sub(r"\1 units", t, count=1)


VARIANTS: dict[str, Variant] = {
    v.id: v
    for v in (
        Variant("trailing_newline", "a final newline added or removed", _trailing_newline, "all"),
        Variant("crlf", "Windows line endings (\\r\\n)", _crlf, "all"),
        Variant("space_around_tags", "whitespace inside tags added or removed", _space_around_tags, "all"),
        Variant("markdown_bold_tags", "the last tag pair wrapped in **bold**", _markdown_bold_tags, "last"),
        Variant("case", "the words upper-cased (the rule ignores case)", _case, "last"),
        Variant("fullwidth_digits", "digits written full-width (０-９)", _fullwidth_digits, "all"),
        Variant("answer_with_units", "a unit after the answer's number", _answer_with_units, "last"),
    )
}


def _applies(variant: str, ctx: Context, rule_name: str) -> bool:
    """Case only counts where the rule itself says case does not matter."""
    if variant != "case":
        return True
    rule = ctx.spec.rule(rule_name)
    return ctx.kind(rule).ignores_case(rule.params)


def _well_scoring(ctx: Context, rule_name: str) -> list[int]:
    """Indices of samples where the rule gives its best score (from the trainer's side), spread over groups."""
    rule = ctx.spec.rule(rule_name)
    sign = rule_sign(rule)
    values = ctx.scores(rule)
    present = [(sign * v, i) for i, v in enumerate(values) if v is not None]
    if not present:
        return []
    best = max(v for v, _ in present)
    kind = ctx.kind(rule)
    constant = best - min(v for v, _ in present) <= EPS
    if constant and kind.binary:
        passing = kind.pass_score(rule.params)
        if abs(sign * best - passing) > EPS:
            return []  # it never passes here: there is no verdict to keep
    top = [i for v, i in present if v >= best - EPS]
    # Labelled-good first, then one per group before a second from the same group.
    good = ctx.good
    top = [i for i in top if good[i] is True] + [i for i in top if good[i] is not True]  # a stable sort
    picked: list[int] = []
    seen: set[str] = set()
    for i in top:
        if ctx.samples[i].group not in seen:
            picked.append(i)
            seen.add(ctx.samples[i].group)
        if len(picked) == PER_RULE:
            return picked
    for i in top:
        if i not in picked:
            picked.append(i)
        if len(picked) == PER_RULE:
            break
    return picked


GRADED_TOLERANCE = 0.02  # of a graded rule's range: a length ramp moving by a hair is not a new verdict


def _tolerance(ctx: Context, rule_name: str) -> float:
    """How far a score may move before it counts: nothing for pass/fail kinds, 2% of the range for graded ones."""
    rule = ctx.spec.rule(rule_name)
    if ctx.kind(rule).binary:
        return EPS
    present = [v for v in ctx.scores(rule) if v is not None]
    span = (max(present) - min(present)) if present else 0.0
    return max(EPS, GRADED_TOLERANCE * (span or max((abs(v) for v in present), default=0.0)))


def _key(variant: str, sample_id: str) -> str:
    return f"variant:{variant}:{sample_id}"


@dataclass
class VariantPlan(Plan):
    per_rule: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # rule -> (variant, sample index)


def plan(ctx: Context) -> VariantPlan:
    """The variant completions to score, and per rule the (variant, sample index) pairs to judge."""
    candidates: dict[str, Candidate] = {}
    per_rule: dict[str, list[tuple[str, int]]] = {}
    for rule in ctx.spec.rules:
        declared = [v for v in ctx.kind(rule).variants if v in VARIANTS and _applies(v, ctx, rule.name)]
        if not declared:
            continue
        pairs: list[tuple[str, int]] = []
        for i in _well_scoring(ctx, rule.name):
            sample = ctx.samples[i]
            for vid in declared:
                v = VARIANTS[vid]
                new = map_text(sample.completion, v.transform, v.which)
                if new == sample.completion:
                    continue  # nothing to vary in this sample (no digits, no tags …)
                key = _key(vid, sample.id)
                candidates.setdefault(key, Candidate(key, sample, new))
                pairs.append((vid, i))
        per_rule[rule.name] = pairs
    return VariantPlan(candidates=list(candidates.values()), per_rule=per_rule)


def conclude(ctx: Context, variant_plan: VariantPlan, scored: Scored) -> Part:
    """Every rule whose score moves under a variant it declared, with the before/after text."""
    per_rule = variant_plan.per_rule
    part = Part("robustness", "Robustness: formatting variants of well-scoring samples")
    findings: list[dict] = []
    quiet: list[str] = []
    for rule in ctx.spec.rules:
        if rule.name not in per_rule:
            continue
        pairs = per_rule[rule.name]
        if not pairs:
            part.lines.append(f"{rule.name}: no sample scores well on it, so there is no verdict to vary")
            continue
        by_variant: dict[str, list[tuple[int, float | None, float | None]]] = {}
        for vid, i in pairs:
            key = _key(vid, ctx.samples[i].id)
            if not scored.has(key):
                continue
            before = ctx.scores(rule)[i]
            after = scored.get(key, rule.name)
            err = scored.errors.get(key, {}).get(rule.name)
            by_variant.setdefault(vid, []).append((i, before, after if err is None else None))
        tol = _tolerance(ctx, rule.name)
        broken = []
        for vid, rows in by_variant.items():
            moved = [r for r in rows if changed(r[1], r[2]) and (r[1] is None or r[2] is None
                                                                  or abs(r[1] - r[2]) > tol)]
            if not moved:
                continue
            i, before, after = moved[0]
            sample = ctx.samples[i]
            v = VARIANTS[vid]
            new = map_text(sample.completion, v.transform, v.which)
            scope = ctx.scope(rule)
            b, a = diff_snippet(scoped_text(sample.completion, scope), scoped_text(new, scope))
            findings.append({
                "rule": rule.name, "variant": vid, "changed": len(moved), "tested": len(rows),
                "sample": sample.id, "before_score": before, "after_score": after, "before": b, "after": a,
            })
            broken.append(f"{vid} ({len(moved)}/{len(rows)})")
            part.lines.append(
                f"{rule.name}: {v.describe} changes {len(moved)}/{len(rows)} — "
                f"{fmt(before)} → {fmt(after)} on {sample.id}"
            )
            part.lines.append(f"    before {b}")
            part.lines.append(f"    after  {a}")
        if broken:
            part.warn(rule.name, f"{rule.name} changes its score under formatting it should ignore: "
                                 + ", ".join(broken))
        else:
            tested = sorted(by_variant)
            if tested:
                quiet.append(f"{rule.name} ({', '.join(tested)})")
    if quiet:
        part.lines.append("unchanged: " + "; ".join(quiet))
    if not part.lines:
        part.lines.append("no rule declares formatting variants")
    part.data = {"findings": findings, "unchanged": quiet}
    return part


DIAGNOSTIC = register(Diagnostic("robustness", 10, conclude, plan))
