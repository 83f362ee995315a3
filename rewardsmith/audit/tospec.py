"""``audit --to-spec``: library rules that score exactly like an audited function, recognised by behaviour.

Candidates are the rules of the bundled presets (the field's reward sets, written with the kinds),
each adapted to the function (its name, its weight, its reference column). Every candidate is scored
through its rendered module on the samples and on the completions the diagnostics build (formatting
variants and hacking probes, where functions differ most); a candidate is offered only where it gives
the function's score on every one of them. Names are never compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..bench import Bench, score_samples
from ..diagnostics import probes, variants
from ..diagnostics._common import EPS, Context, map_text
from ..presets import load_preset, preset_names
from ..render import render_module
from ..samples import Sample, SampleSet
from ..spec import RewardSpec, Rule
from .run import Audit

__all__ = ["Equivalent", "candidate_rules", "equivalents", "spec_from_audit"]


@dataclass(frozen=True)
class Equivalent:
    """The library rule that scores like `function` on `rows` completions (None when none does)."""

    function: str
    rule: Rule | None
    rows: int
    source: str = ""  # the preset the rule came from


def candidate_rules() -> list[tuple[str, Rule]]:
    """(preset, rule) for every rule of every bundled preset that runs offline."""
    out = []
    for name in preset_names():
        for rule in load_preset(name).rules:
            # a judge needs an endpoint: never a match offline; a gated rule needs its verifier beside it
            if not rule.params.model_dump().get("model") and rule.gate is None:
                out.append((name, rule))
    return out


def _adapted(rule: Rule, name: str, weight: float, reference: str | None) -> Rule | None:
    """`rule` renamed and reweighted for the function; its reference column swapped for the function's."""
    params = rule.params
    has_reference = "reference" in type(params).model_fields
    if has_reference != (reference is not None):
        return None
    if has_reference:
        params = params.model_copy(update={"reference": reference})
    return Rule(name=name, kind=rule.kind, weight=weight, params=params, rationale=rule.rationale)


_INNER = re.compile(r"(<([A-Za-z_][\w.\-]*)>\n?)(.*?)(\n?</\2>)", re.DOTALL)


def _one_line_inside_tags(text: str) -> str:
    """Each tag's content on one line, the newlines next to the tags kept: what single-line patterns need."""
    return _INNER.sub(lambda m: m.group(1) + " ".join(m.group(3).split("\n")) + m.group(4), text)


def _rows(audit: Audit) -> SampleSet:
    """The samples, each with its tag contents on one line, and what the variants and probes build from them."""
    ctx = Context(audit.spec, audit.samples, audit.matrix, audit.source.source)
    rows = list(audit.samples)
    for s in audit.samples:
        flat = map_text(s.completion, _one_line_inside_tags)
        if flat != s.completion:
            rows.append(Sample(id=f"one-line:{s.id}", prompt=s.prompt, completion=flat, group=f"one-line:{s.id}",
                               refs=dict(s.refs)))
    for build in (variants.plan, probes.plan):
        for c in build(ctx).candidates:
            rows.append(Sample(id=c.key, prompt=c.base.prompt, completion=c.completion, group=c.key,
                               refs=dict(c.base.refs)))
    return SampleSet(rows)


def _same(a: list[float | None], b: list[float | None]) -> bool:
    return all((x is None) == (y is None) and (x is None or abs(x - y) <= EPS) for x, y in zip(a, b))


def equivalents(audit: Audit, *, time_limit: float = 2.0) -> list[Equivalent]:
    """Per audited function, the first candidate rule that scores like it everywhere."""
    rows = _rows(audit)
    with Bench(time_limit=time_limit) as bench:
        theirs = score_samples(audit.spec, rows, source=audit.source.source, bench=bench)
    out: list[Equivalent] = []
    pool = candidate_rules()
    for rule in audit.spec.rules:
        mine = theirs.scores[rule.name]
        # A function that raised, or scored every row alike, shows too little behaviour to be recognised.
        errored = bool(theirs.errors.get(rule.name)) or len({v for v in mine}) < 2
        tried = [(preset, r) for preset, r in ((p, _adapted(c, rule.name, rule.weight, rule.params.reference))
                                              for p, c in pool) if r is not None]
        found: tuple[str, Rule] | None = None
        if not errored and tried:
            spec = RewardSpec(name="candidates", rules=[r.model_copy(update={"name": f"c{i}"})
                                                        for i, (_, r) in enumerate(tried)])
            ours = score_samples(spec, rows, source=render_module(spec), time_limit=time_limit)
            for i, (preset, r) in enumerate(tried):
                if not ours.errors.get(f"c{i}") and _same(ours.scores[f"c{i}"], mine):
                    found = (preset, r)
                    break
        out.append(Equivalent(rule.name, found[1] if found else None, len(rows), found[0] if found else ""))
    return out


def spec_from_audit(audit: Audit, found: list[Equivalent]) -> RewardSpec | None:
    """The spec of the functions that have an equivalent (None when none has)."""
    rules = [e.rule for e in found if e.rule is not None]
    if not rules:
        return None
    where = ", ".join(dict.fromkeys(o.split(":")[0] for o in audit.source.origins))
    return RewardSpec(name="audited", description=f"library rules scoring like the functions of {where}"[:300],
                      rules=rules, provenance={"proposer": "hand", "source": f"rewardsmith audit --to-spec {where}"[:500]})
