"""The offline proposer: mine a reward spec from the samples themselves, with no network and no LLM.

Strategy, in four steps:

1. **Read** the samples into the texts rules see (the last assistant message for answers and
   format, every assistant message for behaviour) and the labels (real ones, when there are any).
2. **Mine candidates**: the tags the completions use (structure tags such as ``<think>`` /
   ``<answer>``, call markers such as ``<search>`` or ``<|begin_of_query|>``, results the
   environment inserts); where the answer sits (``<answer>``, ``\\boxed{}``, after ``</think>``, the
   last line) and which reference column it matches; how many calls good samples make; how long good
   samples are. Each becomes one or more candidate rules of the library's kinds.
3. **Score every candidate with the rendered module**: the candidates form one spec, rendered by
   :func:`render_module` and executed in-process, so the figures a rationale quotes come from the
   very code that would ship.
4. **Choose**: the answer rule that best separates good from bad (or, unlabelled, the one the
   column names and shapes point to) dominates with weight 1; format and behaviour rules shape with
   small weights, added one at a time only when they do not lower the total's AUC. Rules that are
   constant on the samples are dropped. Without labels, the answer rule's verdicts stand in for
   labels when it has any; otherwise what most samples do is taken as the norm.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..bench import weighted_total
from ..checks import auc
from ..completions import scoped_text
from ..errors import SampleError
from ..gold import gold_columns, is_gold_name, is_metadata_name
from ..kinds import KINDS
from ..render import render_module
from ..samples import SampleSet
from ..spec import MAX_RULES, Expectations, Provenance, RewardSpec, Rule
from .heldout import advantage_shares, group_folds, mean_fold_auc
from .slots import find_hits, gold_is_wrapped, normalise_gold, slots_from_hits

__all__ = ["propose_offline"]

PROPOSER = "offline"
ANSWER_WEIGHT = 1.0
# Shaping rules score 0..1 (or 0..-1); four at 0.2 swing the total by at most 0.8, less than the
# answer rule's 1.0 step, so a right answer always outranks a wrong one whatever its format.
SHAPING_WEIGHT = 0.2
MAX_SHAPING = 4
MIN_MARKER_SHARE = 0.1  # a tag must appear in this share of samples to be mined
MIN_EDGE = 0.02  # a shaping rule's AUC must beat chance by this much
MIN_GAIN = 0.001  # a shaping rule must raise the total's held-out AUC by this much to be kept
MAX_SHARE = 0.25  # the most of the GRPO advantage one shaping rule may carry
MIN_SPAN = 2  # a count range spans at least this much (max - min): never a single value
LENIENT_ORDER = 25  # extractions from this order on are fallbacks (the last number, line, whole text)
NEAR_BEST = 0.9  # without labels, slots matching this share of the best match rate count as equal
MIN_ANSWER_AUC = 0.55  # below this the "reference" does not explain the labels
ALL_NUMBERS = 0.95  # a reference column this share numeric is compared as numbers
AUC_DIGITS = 3  # AUCs equal to this many digits count as a tie (the simpler rule wins)

# Tag names by role. Results are written by the environment, not the model: never rewarded.
_THINK_NAMES = frozenset({"think", "thinking", "reasoning", "thought", "thoughts", "reflection", "scratchpad", "plan"})
_RESULT_NAMES = frozenset({
    "information", "info", "documents", "document", "docs", "doc", "result", "results", "observation",
    "output", "tool_response", "tool_result", "context", "retrieval", "execution_result",
})
# A tag that calls something: "search" anywhere (websearch), other words as parts of a name (tool_call).
_CALL_NAME = re.compile(r"search|query|(?:^|[_\-])(?:tool|call|code|python|action|execute|function|api)(?:$|[_\-])")

_TAG = re.compile(r"<(/?)([A-Za-z_][\w\-]{0,31})>")
_SPECIAL = re.compile(r"<\|([A-Za-z_][\w\-]{0,40})\|>")
_SPECIAL_SEQUENCE = re.compile(r"\s*(?:<\|[^|<>]{1,40}\|>\s*)+")
# Text the environment inserts into a single-string transcript: retrieved documents, tool output.
_INLINE_RETRIEVAL = re.compile(
    r"<\|begin_of_documents\|>|<information>|<documents?>|<tool_response>|<observation>|<\|im_start\|>tool")
_LETTER = re.compile(r"[A-Z]")
_CODE_BLOCK = re.compile(r"```[\w+\-.]*[ \t]*\n.*?\n[ \t]*```", re.DOTALL)
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?")
_INTEGER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)")
_FRACTION = re.compile(r"(?:\\[dt]?frac\{[-+]?\d+\}\{[-+]?\d+\}|[-+]?\d+\s*/\s*\d+)")


# --------------------------------------------------------------------------- the samples as rules see them


@dataclass(frozen=True)
class _View:
    """What mining reads: texts per scope and labels.

    `labels` are the samples' own labels, or, for an unlabelled set, the answer rule's verdicts
    standing in for them (then `real_labels` is False).
    """

    samples: SampleSet
    conversational: bool
    last: list[str]  # answers and format are read here
    turns: list[str]  # behaviour (calls) and length are read here
    labels: list[bool | None]
    real_labels: bool
    folds: list[int]  # held-out fold of each sample, by group
    inline_retrieval: bool  # single strings carrying retrieved documents the model did not write

    @classmethod
    def of(cls, samples: SampleSet) -> _View:
        conversational = any(not isinstance(s.completion, str) for s in samples)
        labels = [s.is_good for s in samples]
        strings = [s.completion for s in samples if isinstance(s.completion, str)]
        return cls(
            samples=samples,
            conversational=conversational,
            last=[scoped_text(s.completion, "last") for s in samples],
            turns=[scoped_text(s.completion, "assistant") for s in samples],
            labels=labels,
            real_labels=_both_classes(labels),
            folds=group_folds([s.group for s in samples]),
            inline_retrieval=sum(1 for t in strings if _INLINE_RETRIEVAL.search(t)) >= max(1, 0.1 * len(samples)),
        )

    def scope(self, scope: str) -> dict[str, str]:
        """A scope param only for message completions: for strings every scope is the same text."""
        return {"scope": scope} if self.conversational else {}


def _both_classes(labels: Sequence[bool | None]) -> bool:
    return any(y is True for y in labels) and any(y is False for y in labels)


# --------------------------------------------------------------------------- candidates


@dataclass
class _Candidate:
    """A rule under consideration, with what it measures and, after scoring, its scores."""

    name: str  # the rule name it gets in the spec
    kind: str
    params: dict[str, Any]
    slot: str  # at most one rule per slot survives ("answer", "structure", "calls:<|begin_of_query|>" ...)
    what: str  # phrase for the rationale, e.g. "close </think> then answer in <answer>…</answer>"
    order: int = 0  # preference among near-equal candidates: lower first (simpler, more conventional)
    basis: str = ""  # how a threshold was chosen, quoted in the rationale
    key: str = ""  # answer candidates: column, extraction and comparison, to look one up
    extraction_order: int = 0  # answer candidates: the order of the place the answer is read from
    top: float = 1.0  # the score of a sample that fully passes (0.0 for penalties)
    scores: list[float | None] = field(default_factory=list)
    single_auc: float | None = None
    heldout_auc: float | None = None  # mean AUC over group folds
    fold_variants: list[_Candidate] = field(default_factory=list)  # refitted without fold k, scored on it
    notes: list[str] = field(default_factory=list)  # extra clauses for the rationale

    def heldout_scores(self, folds: Sequence[int]) -> list[float | None]:
        """Scores where each sample is scored by the variant fitted without its fold (or the rule itself)."""
        if not self.fold_variants:
            return self.scores
        return [self.fold_variants[f].scores[i] if self.fold_variants[f].scores else None
                for i, f in enumerate(folds)]

    def rule(self, *, name: str | None = None, weight: float = 1.0, rationale: str = "") -> Rule:
        return Rule(
            name=name or self.name,
            kind=self.kind,
            role="reward",
            weight=weight,
            params=self.params,
            rationale=rationale,
            provenance={"proposer": PROPOSER},
        )

    def valid(self) -> bool:
        try:
            self.rule()
        except ValueError:  # pydantic's ValidationError is a ValueError
            return False
        return True

    def constant(self) -> bool:
        present = [s for s in self.scores if s is not None]
        return not present or max(present) - min(present) <= 1e-12

    def passes(self) -> list[bool]:
        """Per sample: does the rule give its full score? (Tag-count credits may round a little.)"""
        return [s is not None and s >= self.top - 1e-3 for s in self.scores]

    def pass_rate(self, mask: Sequence[bool] | None = None) -> float:
        """Share of the (masked) samples that pass."""
        picked = [p for p, m in zip(self.passes(), mask or [True] * len(self.scores)) if m]
        return sum(picked) / len(picked) if picked else 0.0


def _score_candidates(candidates: list[_Candidate], view: _View) -> list[_Candidate]:
    """Render all candidates (and their fold variants) as one module, run each on every sample.

    Those that fail are dropped; a candidate whose fold variant fails is dropped with it.
    """
    variants = [v for c in candidates for v in c.fold_variants]
    _run_all([*candidates, *variants], view)
    kept = []
    for cand in candidates:
        if cand.scores and all(v.scores for v in cand.fold_variants):
            if _both_classes(view.labels):
                cand.single_auc = auc(cand.scores, view.labels)
                cand.heldout_auc = mean_fold_auc(cand.heldout_scores(view.folds), view.labels, view.folds)
            kept.append(cand)
    return kept


def _run_all(candidates: list[_Candidate], view: _View) -> None:
    """Score each candidate with the rendered module; one that cannot run keeps empty scores."""
    # A spec holds at most MAX_RULES rules (a bound for untrusted specs), so mining renders in chunks of that size.
    for start in range(0, len(candidates), MAX_RULES):
        _run_chunk(candidates[start:start + MAX_RULES], view)


def _run_chunk(candidates: list[_Candidate], view: _View) -> None:
    spec = RewardSpec(name="offline-mining", rules=[c.rule(name=f"c{i:03d}") for i, c in enumerate(candidates)])
    namespace: dict[str, Any] = {"__name__": "rewardsmith_offline_mining"}
    exec(compile(render_module(spec), "<rewardsmith offline mining>", "exec"), namespace)  # noqa: S102 - our own render
    samples = view.samples
    columns = {name: [s.refs.get(name) for s in samples] for name in samples.columns}
    prompts = [s.prompt for s in samples]
    completions = [s.completion for s in samples]
    for i, cand in enumerate(candidates):
        try:
            out = namespace[f"c{i:03d}"](prompts=prompts, completions=completions, **columns)
        except Exception:  # a candidate that cannot run on these samples is simply not proposed
            cand.scores = []
            continue
        cand.scores = [None if v is None else float(v) for v in out]


def _total(parts: Iterable[tuple[float, Sequence[float | None]]], n: int) -> list[float | None]:
    """The weighted total as TRL sums it (the bench's one implementation), from (weight, scores) pairs."""
    pairs = list(parts)
    return weighted_total([scores for _, scores in pairs], [weight for weight, _ in pairs], n)


# --------------------------------------------------------------------------- statistics helpers


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[k]


def _nice_up(x: float) -> int:
    """Round up to two significant digits, so thresholds read like a person chose them."""
    if x <= 10:
        return max(1, math.ceil(x))
    step = 10 ** (int(math.log10(x)) - 1)
    return int(math.ceil(x / step) * step)


def _who(view: _View) -> str:
    """Whose figures thresholds quote: labelled good samples, right answers standing in, or all."""
    if view.real_labels:
        return "good samples"
    return "samples with a right answer" if _both_classes(view.labels) else "samples"


def _good_mask(view: _View) -> list[bool]:
    """Samples thresholds are drawn from: the good ones, or every sample when there are no labels."""
    if _both_classes(view.labels):
        return [y is True for y in view.labels]
    return [True] * len(view.last)


# --------------------------------------------------------------------------- tags


@dataclass(frozen=True)
class _Tag:
    """A structure tag such as <think> or <answer>."""

    name: str
    opener: bool  # False when only </name> appears (the prompt opened it, as R1-style templates do)
    once: bool  # typically written once per completion (multi-turn agents repeat <think>)


@dataclass
class _Tags:
    """The markers the completions use, by role."""

    structure: list[_Tag]  # in the order they typically appear
    calls: list[tuple[str, str]]  # (literal opener, name) the model writes to call a tool or search


def _mine_tags(view: _View) -> _Tags:
    """Structure tags from the final message, call markers from every assistant turn."""
    n = len(view.last)
    last_share = _marker_shares(view.last)
    turn_share = _marker_shares(view.turns)
    least = max(min(2, n), MIN_MARKER_SHARE * n)  # two samples at least, unless there is only one

    def frequent(shares: Counter[str], token: str) -> bool:
        return shares.get(token, 0) >= least

    structure: list[_Tag] = []
    calls: list[tuple[str, str]] = []
    names = sorted({m.group(2) for tok in set(last_share) | set(turn_share) if (m := _TAG.fullmatch(tok))})
    for name in names:
        opener, closer = f"<{name}>", f"</{name}>"
        lname = name.lower()
        if lname in _RESULT_NAMES:
            continue
        if _CALL_NAME.search(lname) and frequent(turn_share, opener):
            calls.append((opener, name))
        elif frequent(last_share, closer):
            structure.append(_Tag(name, frequent(last_share, opener), _typically_once(view.last, closer)))
    for token in sorted(tok for tok in turn_share if _SPECIAL.fullmatch(tok)):
        inner = token[2:-2].lower()
        is_opener = inner.startswith(("begin", "start")) or inner.endswith(("begin", "start"))
        if is_opener and _CALL_NAME.search(inner) and frequent(turn_share, token):
            calls.append((token, token[2:-2]))
    structure.sort(key=lambda tag: (_mean_position(view.last, f"</{tag.name}>"), tag.name))
    return _Tags(structure=structure, calls=calls)


def _marker_shares(texts: Sequence[str]) -> Counter[str]:
    """In how many texts each tag or special token occurs."""
    shares: Counter[str] = Counter()
    for text in texts:
        found = {m.group(0) for m in _TAG.finditer(text)} | {m.group(0) for m in _SPECIAL.finditer(text)}
        shares.update(found)
    return shares


def _typically_once(texts: Sequence[str], token: str) -> bool:
    counts = [t.count(token) for t in texts if token in t]
    return bool(counts) and _percentile(counts, 0.5) <= 1


def _mean_position(texts: Sequence[str], token: str) -> float:
    spots = [t.find(token) / max(1, len(t)) for t in texts if token in t]
    return sum(spots) / len(spots) if spots else 1.0


# --------------------------------------------------------------------------- answers


@dataclass
class _Extraction:
    params: dict[str, Any]
    label: str  # for rationales: "<answer>", "\\boxed{}", "the text after </think>", "the last line"
    coverage: float
    order: int


def _extractions(view: _View, tags: _Tags, columns: Sequence[_Column] = ()) -> list[_Extraction]:
    """Where the answer may sit, each with the share of samples where something is found there.

    Both the first and the last occurrence are offered where there can be several: the last forgives
    a corrected answer, the first refuses a second </think> that smuggles in another try. Slots mined
    from where the gold occurs come first (see :mod:`.slots`), then the conventional places.
    """
    n = max(1, len(view.last))
    out: list[_Extraction] = []
    for rank, tag in enumerate(t for t in tags.structure if t.opener and t.name.lower() not in _THINK_NAMES):
        pattern = re.compile(re.escape(f"<{tag.name}>") + r"(.*?)" + re.escape(f"</{tag.name}>"), re.DOTALL)
        found = sum(1 for t in view.last if any(x.strip() for x in pattern.findall(t))) / n
        out += [
            _Extraction({"method": "xml_tag", "tag": tag.name, "occurrence": "last"}, f"<{tag.name}>", found, 2 * rank),
            _Extraction({"method": "xml_tag", "tag": tag.name, "occurrence": "first"}, f"the first <{tag.name}>",
                        found, 2 * rank + 1),
        ]
    boxed = sum(1 for t in view.last if re.search(r"\\boxed\s*\{", t)) / n
    out += [
        _Extraction({"method": "boxed", "occurrence": "last"}, "\\boxed{}", boxed, 10),
        _Extraction({"method": "boxed", "occurrence": "first"}, "the first \\boxed{}", boxed, 11),
    ]
    think = next((t for t in tags.structure if t.name.lower() in _THINK_NAMES), None)
    if think is not None:
        after = sum(1 for t in view.last if f"</{think.name}>" in t) / n
        out += [
            _Extraction({"method": "after_tag", "tag": think.name, "occurrence": "first"},
                        f"the text after </{think.name}>", after, 20),
            _Extraction({"method": "after_tag", "tag": think.name, "occurrence": "last"},
                        f"the text after the last </{think.name}>", after, 21),
        ]
    if any(c.numeric >= 0.8 for c in columns) and not any(e.coverage >= 0.5 for e in out):
        # The last number in the text: a fallback for numeric golds when no tag or \\boxed{} holds answers.
        pattern = r"([-+]?\d[\d,]*(?:\.\d+)?)"
        found = sum(1 for t in view.last if re.search(pattern, t)) / n
        out.append(_Extraction({"method": "regex", "pattern": pattern, "occurrence": "last"}, "the last number",
                               found, 25))
    out.append(_Extraction({"method": "last_line"}, "the last line", 1.0, 30))
    if view.last and _percentile([len(t) for t in view.last], 0.5) <= 60:
        out.append(_Extraction({"method": "whole"}, "the whole completion", 1.0, 40))
    unique: dict[str, _Extraction] = {}
    # A mined slot the conventional places already name (<answer>, \\boxed{}) keeps their order.
    for e in [*out, *_slot_extractions(view, columns)]:
        unique.setdefault(repr(sorted(e.params.items())), e)
    return [e for e in unique.values() if e.coverage >= 0.05]


def _slot_extractions(view: _View, columns: Sequence[_Column]) -> list[_Extraction]:
    """Slots learned from where the gold sits, kept only when every fold's other folds learn them too.

    A slot that only some folds show was fitted to a few prompts; it would not hold out.
    """
    if not columns:
        return []
    golds = [[g for c in columns for g in normalise_gold(s.refs.get(c.name))] for s in view.samples]
    hits = find_hits(view.last, golds)
    slots = slots_from_hits([h for h in hits if h is not None])
    for f in sorted(set(view.folds)) if len(set(view.folds)) > 1 else ():
        kept = {x.key for x in slots_from_hits([h for h, k in zip(hits, view.folds) if h is not None and k != f])}
        slots = [x for x in slots if x.key in kept]
    n = max(1, len(view.last))
    out = []
    for rank, slot in enumerate(slots):
        found = sum(1 for a in _python_answers(view, slot.params) if a) / n
        out.append(_Extraction(dict(slot.params), slot.label, found, 5 + rank))
    return out


@dataclass
class _Column:
    name: str
    numeric: float  # share of values that read as numbers
    tokens: bool  # values are sequences of special tokens like <|up|>
    words: float  # mean words per value
    letters: bool = False  # option letters (A, B, … J): multiple choice
    wrapped: float = 0.0  # share of cells whose raw text carries a wrapper (\\boxed{}, $…$, ####)


def _reference_columns(view: _View) -> list[_Column]:
    """Gold columns a correctness rule may read: short values, present, varying, fixed within a group.

    Only columns named as gold (:func:`rewardsmith.gold.is_gold_name`): a rule compared with metadata
    (`difficulty`, `entry_point`) or with the model's own output (`pred`) measures nothing.
    """
    samples = view.samples
    all_groups = samples.groups()
    groups = [idx for idx in all_groups.values() if len(idx) > 1]
    out = []
    for name in samples.columns:
        if not is_gold_name(name):
            continue
        raw = [s.refs.get(name) for s in samples]
        values = [_answer_values(v) for v in raw]
        present = [v for v in values if v]
        if len(present) < max(1, 0.5 * len(values)):
            continue
        if _percentile([len(x) for v in present for x in v], 0.5) > 100:
            continue
        flat = [g for v in raw for g in normalise_gold(v)] or [x for v in present for x in v]
        if len(all_groups) > 1 and len(set(flat)) < 2:
            continue  # the same value for every prompt: a setting (a system prompt, a split), not an answer
        # A gold answer belongs to the prompt: a column that varies inside a group is per-completion data.
        if groups and sum(1 for idx in groups if len({repr(raw[i]) for i in idx}) == 1) < 0.9 * len(groups):
            continue
        out.append(_Column(
            name=name,
            numeric=sum(1 for x in flat if _is_number(x)) / len(flat),
            tokens=sum(1 for x in flat if _SPECIAL_SEQUENCE.fullmatch(x)) >= 0.8 * len(flat),
            words=sum(len(x.split()) for x in flat) / len(flat),
            letters=sum(1 for x in flat if _LETTER.fullmatch(x)) >= 0.95 * len(flat),
            wrapped=sum(1 for v in raw if gold_is_wrapped(v)) / len(raw),
        ))
    return out


def _answer_values(value: Any) -> list[str]:
    """A reference cell as accepted answers; [] when it cannot be one (dicts, empty, nested)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (str, int, float)):
        text = str(value)
        return [text] if text.strip() else []
    if isinstance(value, (list, tuple)) and value and all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
    ):
        return [str(v) for v in value if str(v).strip()]
    return []


def _is_number(text: str) -> bool:
    t = text.strip().replace("$", "").rstrip("%").strip()
    return bool(t) and any(ch.isdigit() for ch in t) and bool(_NUMBER.fullmatch(t) or _FRACTION.fullmatch(t))


_SQUAD = {"strip": True, "lower": True, "collapse_whitespace": True, "remove_punctuation": True,
          "remove_articles": True}


class _Comparison(NamedTuple):
    kind: str
    params: dict[str, Any]
    verb: str  # "equals", "is numerically equal to" … for the rationale
    order: int  # lower first: the one to use without labels, and the winner of an AUC tie


# Comparisons by what the gold looks like, for kinds that may not be in the library yet: each
# (gold type, kind, params, verb, order) is offered when the kind exists and its params validate,
# so math equivalence, multiple choice and code execution slot in here as they land in `kinds/`.
COMPARISON_HOOKS: tuple[tuple[str, str, dict[str, Any], str, int], ...] = (
    # Orders after the plain comparisons: the lenient kinds win only on strictly better held-out separation.
    ("letters", "choice", {}, "is the same option as", 3),
    ("math", "math_equivalent", {}, "is mathematically equivalent to", 3),
)


# Code files: (tests column, entry-point column or None, params) -> a code_tests rule runs the completion against
# the tests; the first whose columns the samples carry is used.
CODE_HOOKS: tuple[tuple[str, str | None, dict[str, Any]], ...] = (
    ("test", "entry_point", {"format": "humaneval"}),
    ("public_test_cases", None, {"format": "stdio"}),
    ("input_output", None, {"format": "stdio"}),
)


def _code_candidates(view: _View) -> list[_Candidate]:
    """A code_tests answer rule when the samples carry tests (HumanEval's `test` + `entry_point`, or stdio cases)."""
    if "code_tests" not in KINDS:
        return []
    present = set(view.samples.columns)
    for tests, entry, params in CODE_HOOKS:
        if tests in present and (entry is None or entry in present):
            columns = {"tests": tests, **({"entry_point": entry} if entry else {})}
            cand = _Candidate(name="answer_code_tests", kind="code_tests",
                              params={**params, **columns, **view.scope("last")}, slot="answer",
                              what=f"the code passes the tests in `{tests}`", order=0, key=f"{tests}:code")
            return [cand] if cand.valid() else []
    return []


def _hooked(col: _Column) -> list[_Comparison]:
    kinds = {"letters"} if col.letters else ({"math"} if col.numeric >= 0.2 else set())
    return [_Comparison(kind, dict(params), verb, order) for gold, kind, params, verb, order in COMPARISON_HOOKS
            if gold in kinds and kind in KINDS]


def _comparisons(col: _Column) -> list[_Comparison]:
    """Ways to compare an extracted answer with `col`, fitted to what its values look like."""
    if col.letters:
        # Option letters: "A" is an option, not an article, and "(E)" is "E".
        return [
            *_hooked(col),
            _Comparison("exact_match", {"normalize": {"strip": True, "remove_punctuation": True}},
                        "is the option letter", 1),
            _Comparison("exact_match", {"normalize": {"strip": True}}, "equals exactly", 2),
        ]
    if col.tokens:
        return [
            _Comparison("exact_match", {"normalize": {"strip": True, "remove_whitespace": True}},
                        "equals (whitespace between tokens ignored)", 0),
            _Comparison("exact_match", {"normalize": {"strip": True}}, "equals exactly", 1),
        ]
    out: list[_Comparison] = _hooked(col)
    if col.numeric >= 0.2:
        # All numbers: compare as numbers. Mostly numbers (math answers mix in \frac, \sqrt, intervals):
        # accept a match as text or as a number, so the non-numeric answers are not all marked wrong.
        # Spaces are layout in math ("12 \frac{3}{5}" is "12\frac{3}{5}"): they are dropped, not collapsed.
        all_numbers = col.numeric >= ALL_NUMBERS
        numbers = {"strip": True, "remove_whitespace": True, "numbers": True}
        either = [{"test": test, "score": 1.0} for test in ("exact", "numeric", "normalized")]
        out += [
            _Comparison("numeric", {}, "is numerically equal to", 0 if all_numbers else 2),
            _Comparison("exact_match", {"normalize": numbers}, "equals (numbers canonicalised, spaces dropped)", 1),
            _Comparison("tiered", {"normalize": numbers, "tiers": either}, "equals (as text or as a number)",
                        2 if all_numbers else 0),
        ]
    if col.numeric < 0.8:
        multi = col.words >= 1.5
        out += [
            _Comparison("exact_match", {"normalize": dict(_SQUAD)}, "equals (case, punctuation, articles ignored)",
                        1 if multi else 0),
            _Comparison("exact_match", {"normalize": {"strip": True}}, "equals exactly", 4),
            _Comparison("tiered", {}, "matches (exact 1.0, normalised 0.8, contained 0.5)", 3),
        ]
        if multi:
            out.append(_Comparison("token_f1", {}, "overlaps (token F1) with", 0 if col.words >= 3 else 2))
    return out


def _default_comparison(col: _Column) -> int:
    """Index into _comparisons(col) of the rule to use without labels (the lowest order)."""
    options = _comparisons(col)
    return min(range(len(options)), key=lambda i: options[i].order)


def _answer_candidates(view: _View, extractions: list[_Extraction], columns: list[_Column]) -> list[_Candidate]:
    out = []
    for e in extractions:
        for col in columns:
            for k, how in enumerate(_comparisons(col)):
                # A wrapped gold (\boxed{4}, #### 4, a quoted list) is unwrapped by the rule, as the slots were mined.
                unwrap = {"reference_unwrap": True} if col.wrapped >= 0.05 else {}
                cand = _Candidate(
                    name=f"answer_{how.kind}",
                    kind=how.kind,
                    params={"extract": dict(e.params), "reference": col.name, **unwrap, **how.params,
                            **view.scope("last")},
                    slot="answer",
                    what=f"the answer in {e.label} {how.verb} `{col.name}`",
                    order=e.order * 10 + how.order,
                    extraction_order=e.order,
                    key=f"{col.name}:{e.label}:{k}",
                )
                if cand.valid():
                    out.append(cand)
    return out


def _choose_answer(view: _View, candidates: list[_Candidate], extractions: list[_Extraction],
                   columns: list[_Column]) -> _Candidate | None:
    """With labels: the best mean AUC over group folds (ties to the simpler rule). Without: the
    extraction whose answers equal the gold most often, compared the way the gold's values suggest."""
    scored = [c for c in candidates if c.slot == "answer"]
    if not scored:
        return None
    if view.real_labels:
        ranked = [c for c in scored if c.heldout_auc is not None and c.heldout_auc >= MIN_ANSWER_AUC]
        if not ranked:
            return None
        return min(ranked, key=lambda c: (-round(c.heldout_auc or 0.0, AUC_DIGITS), c.order, c.name))
    code = [c for c in scored if c.kind == "code_tests" and c.pass_rate() > 0]
    if code:
        return code[0]
    return _most_matching_answer(scored, extractions, columns)


def _most_matching_answer(scored: list[_Candidate], extractions: list[_Extraction],
                          columns: list[_Column]) -> _Candidate | None:
    """No labels: the slot whose answers equal the gold most often, then the simpler rule. A rule
    that matches on no sample is never proposed (it would reward nothing)."""
    by_key = {c.key: c for c in scored}
    options = [
        cand for e in extractions for col in columns
        if (cand := by_key.get(f"{col.name}:{e.label}:{_default_comparison(col)}")) is not None
    ]
    options = [c for c in options if c.pass_rate() > 0]
    if not options:
        return None
    # Fallback places (the last number, the last line, the whole text) only when no format the
    # completions use holds a matching answer: they match wrong formats too.
    structured = [c for c in options if c.extraction_order < LENIENT_ORDER]
    options = structured or options
    # A lenient slot (the last number) matches a little more often than the format the answers use,
    # wrong answers included: among slots close to the best match rate, the conventional one wins.
    best = max(c.pass_rate() for c in options)
    near = [c for c in options if c.pass_rate() >= NEAR_BEST * best]
    return min(near, key=lambda c: (c.order, -round(c.pass_rate(), 2)))


# --------------------------------------------------------------------------- format, shape, behaviour, length


def _piece(tag: _Tag) -> str:
    """Regex for one tag: an opener, some non-blank text, the closer (or the closer alone)."""
    close = re.escape(f"</{tag.name}>")
    if not tag.opener:
        return close
    # Some non-blank text and no other <name> or </name> inside: an empty pair is not an answer, and a
    # second block cannot hide inside the first one's content.
    other = rf"(?!</?{re.escape(tag.name)}>)"
    return re.escape(f"<{tag.name}>") + rf"\s*{other}\S(?:{other}.)*" + close


def _layout(tags: Sequence[_Tag]) -> str:
    return " then ".join(f"<{t.name}>…</{t.name}>" if t.opener else f"</{t.name}>" for t in tags)


def _structure_candidates(view: _View, tags: _Tags) -> list[_Candidate]:
    """The tag layout, from strictest (the whole completion is the tags) to one tag at a time."""
    if not tags.structure:
        return []
    pieces = [_piece(t) for t in tags.structure]
    layout = _layout(tags.structure)
    variants: list[tuple[str, str, str, int]] = []
    if tags.structure[0].opener:
        variants.append((r"\s*" + r"\s*".join(pieces) + r"\s*", "fullmatch", f"consist of exactly {layout}", 0))
    variants.append((r"\s*".join(pieces) + r"\s*\Z", "search", f"write {layout} and stop after it", 1))
    if len(pieces) == 1:
        variants.append((pieces[0], "search", f"write {layout}", 2))
    else:
        variants += [
            (r"\s*".join(pieces), "search", f"write {layout} back to back", 2),
            (".*?".join(pieces), "search", f"write {layout} in this order", 3),
        ]
        variants += [(p, "search", f"write {_layout([t])}" + (" with text inside" if t.opener else ""), 4 + k)
                     for k, (p, t) in enumerate(zip(pieces, tags.structure))]
    out = []
    seen: set[tuple[str, str]] = set()
    for pattern, mode, what, order in variants:
        if (pattern, mode) not in seen:
            seen.add((pattern, mode))
            out.append(_Candidate("format_tags", "regex_format",
                                  {"pattern": pattern, "mode": mode, "flags": ["DOTALL"], **view.scope("last")},
                                  slot="structure", what=what, order=order))
    out += _tag_count_candidates(view, tags)
    return [c for c in out if c.valid()]


def _code_block_candidates(view: _View) -> list[_Candidate]:
    """A fenced code block, and code in it that parses, when the completions write code in one.

    The fence is the format a code task asks for; the parse is the one verifier a file without tests
    allows (code that does not parse cannot pass any test), so both are offered wherever fences are common.
    """
    n = max(1, len(view.last))
    if sum(1 for t in view.last if _CODE_BLOCK.search(t)) < MIN_MARKER_SHARE * n:
        return []
    scope = view.scope("last")
    candidates = (
        _Candidate("format_code_block", "regex_format",
                   {"pattern": _CODE_BLOCK.pattern, "mode": "search", "flags": ["DOTALL"], **scope},
                   slot="structure", what="write the code in a fenced ``` block", order=10),
        _Candidate("code_compiles", "code_compiles", {"language": "python", "require_fence": True, **scope},
                   slot="syntax", what="write a fenced Python block that parses", order=11),
    )
    return [c for c in candidates if c.kind in KINDS and c.valid()]


def _tag_count_candidates(view: _View, tags: _Tags) -> list[_Candidate]:
    """xmlcount-style partial credit, for tags written once: a smooth signal for small models."""
    items = []
    for t in tags.structure:
        if t.once:
            items += [f"<{t.name}>"] if t.opener else []
            items.append(f"</{t.name}>")
    if not items:
        return []
    value = round(1.0 / len(items), 4)
    return [_Candidate("format_tag_count", "tag_count",
                       {"items": [{"text": x, "times": 1, "value": value} for x in items], **view.scope("last")},
                       slot="structure", what="write each tag exactly once (partial credit per tag)", order=20)]


def _shape_candidates(view: _View, main: _Candidate | None, columns: list[_Column]) -> list[_Candidate]:
    """The answer's form, judged without the reference: special tokens only, a bare number, short text."""
    if main is None or "extract" not in main.params:
        return []  # code is the answer: its form is whether it runs, which the answer rule checks
    extract = dict(main.params["extract"])
    col = next((c for c in columns if c.name == main.params.get("reference")), None)
    if col is not None and col.tokens:
        out = _token_shapes(view, extract, col)
    elif col is not None and col.numeric >= ALL_NUMBERS:
        out = _number_shapes(view, extract, col)
    else:
        out = _text_shapes(view, extract)
    out.append(_Candidate("answer_present", "answer_shape",
                          {"extract": extract, "check": "nonempty", "score_match": 1.0, **view.scope("last")},
                          slot="shape", what="give a non-empty answer", order=5))
    return [c for c in out if c.valid()]


def _reference_values(view: _View, col: _Column) -> list[str]:
    return [x for s in view.samples for x in _answer_values(s.refs.get(col.name))]


def _token_shapes(view: _View, extract: dict[str, Any], col: _Column) -> list[_Candidate]:
    """Answers made of special tokens (<|up|> …): only the tokens the references use."""
    tokens = sorted({f"<|{t}|>" for x in _reference_values(view, col) for t in _SPECIAL.findall(x)})
    if not tokens:
        return []
    shown = ", ".join(tokens[:4]) + (" …" if len(tokens) > 4 else "")
    return [_Candidate("answer_tokens", "allowed_tokens", {"extract": extract, "tokens": tokens, **view.scope("last")},
                       slot="shape", what=f"answer with {shown} tokens only")]


def _number_shapes(view: _View, extract: dict[str, Any], col: _Column) -> list[_Candidate]:
    """A bare number and nothing else: units, "$" or \\boxed{} around it fail, which the lenient number
    parser would let through; the lenient check is the other candidate."""
    integers = all(_INTEGER.fullmatch(x) for x in _reference_values(view, col))
    bare = _INTEGER.pattern if integers else _INTEGER.pattern + r"(?:\.\d+)?"
    scope = view.scope("last")
    return [
        _Candidate("answer_is_bare_number", "answer_shape",
                   {"extract": extract, "check": "fullmatch", "pattern": bare, "score_match": 1.0, **scope},
                   slot="shape", what=f"give a bare {'whole ' if integers else ''}number as the answer"),
        _Candidate("answer_is_number", "answer_shape",
                   {"extract": extract, "check": "number", "score_match": 1.0, **scope},
                   slot="shape", what="give a number as the answer", order=1),
    ]


def _text_shapes(view: _View, extract: dict[str, Any]) -> list[_Candidate]:
    """A short answer: at most the words 95% of good answers use."""
    answers = _python_answers(view, extract)
    words = [len(a.split()) for a, good in zip(answers, _good_mask(view)) if good and a]
    if not words:
        return []
    most = min(200, _nice_up(_percentile(words, 0.95)))
    return [_Candidate("answer_is_short", "answer_shape",
                       {"extract": extract, "check": "short_text", "max_words": most, "score_match": 1.0,
                        **view.scope("last")},
                       slot="shape", what=f"give a short answer (1–{most} words)",
                       basis=f"95% of {_who(view)} answer in at most {most} words")]


def _python_answers(view: _View, extract: dict[str, Any]) -> list[str]:
    """A quick Python reading of the answers, for thresholds only (scores always come from the module)."""
    method = extract.get("method")
    out = []
    for text in view.last:
        answer = ""
        if method == "xml_tag":
            tag = extract["tag"]
            found = re.findall(re.escape(f"<{tag}>") + r"(.*?)" + re.escape(f"</{tag}>"), text, re.DOTALL)
            answer = found[-1] if found else ""
        elif method == "after_tag":
            close = f"</{extract['tag']}>"
            answer = text.rsplit(close, 1)[1] if close in text else ""
        elif method == "last_line":
            lines = [ln for ln in text.splitlines() if ln.strip()]
            answer = lines[-1] if lines else ""
        elif method == "regex":
            flags = 0
            for name in extract.get("flags", ()):
                flags |= getattr(re, name)
            found = [m.group(extract.get("group", 1)) for m in re.finditer(extract["pattern"], text, flags)]
            answer = (found[-1] if extract.get("occurrence", "last") == "last" else found[0]) if found else ""
        elif method == "boxed":
            answer = _last_boxed(text)
        elif method == "whole":
            answer = text
        out.append(answer.strip())
    return out


def _last_boxed(text: str) -> str:
    """The last \\boxed{...} content (nested braces included), for thresholds only."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return ""
    depth, begin = 1, start + len("\\boxed{")
    for j in range(begin, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[begin:j]
    return ""


def _call_candidates(view: _View, tags: _Tags) -> list[_Candidate]:
    """A capped count per call marker: reward the range good samples fall in, never more for more.

    The range comes from quantiles of the good samples' counts, widened to span at least MIN_SPAN, so
    it does not flip with a few samples; each fold's variant is fitted without that fold.
    """
    good = _good_mask(view)
    out = []
    for token, name in tags.calls:
        counts = [t.count(token) for t in view.turns]

        def make(mask: Sequence[bool]) -> _Candidate | None:
            picked = [c for c, m in zip(counts, mask) if m]
            if not picked:
                return None
            lo, hi = _robust_range(picked)
            inside = sum(1 for c in picked if lo <= c <= hi) / len(picked)
            return _Candidate(
                f"calls_{_slug(name)}", "count_in_range",
                {"pattern": token, "literal": True, "min_count": lo, "max_count": hi, "score_in": 1.0,
                 "score_out": 0.0, **view.scope("assistant")},
                slot=f"calls:{token}", what=f"make {lo}–{hi} {token} calls", order=0,
                basis=f"{_pct(inside)} of {_who(view)} make {lo}–{hi}",
            )

        cand = make(good)
        if cand is None or not cand.valid():
            continue
        cand.fold_variants = _fold_variants(view, good, make)
        out.append(cand)
    return out


def _fold_variants(view: _View, mask: Sequence[bool],
                   make: Callable[[Sequence[bool]], _Candidate | None]) -> list[_Candidate]:
    """One candidate per fold, fitted on the other folds' masked samples (the rule itself if they have none)."""
    folds = sorted(set(view.folds))
    if len(folds) < 2:
        return []
    variants = []
    for f in folds:
        fitted = make([m and k != f for m, k in zip(mask, view.folds)])
        variants.append(fitted if fitted is not None else make(mask))
    return [v for v in variants if v is not None] if all(v is not None for v in variants) else []


def _robust_range(counts: Sequence[int]) -> tuple[int, int]:
    """[q10, q90] of the counts, widened around the median to span at least MIN_SPAN.

    The lower end stays at 1 or more when the median does (a range starting at 0 would pay for not
    calling at all).
    """
    lo, hi = math.floor(_percentile(counts, 0.1)), math.ceil(_percentile(counts, 0.9))
    median = _percentile(counts, 0.5)
    floor = 1 if median >= 1 else 0
    while hi - lo < MIN_SPAN:
        if lo > floor and median - lo <= hi - median:
            lo -= 1
        else:
            hi += 1
    return lo, hi


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug[:40] or "marker"


def _length_candidates(view: _View) -> list[_Candidate]:
    """A soft overlong penalty starting past the length 95% of good samples stay within.

    Read from the model's own turns only; never on transcripts with retrieved documents inline.
    """
    if view.inline_retrieval:
        return []
    good = _good_mask(view)

    def make(mask: Sequence[bool]) -> _Candidate | None:
        lengths = [len(t) for t, g in zip(view.turns, mask) if g]
        if not lengths:
            return None
        start = _nice_up(_percentile(lengths, 0.95))
        buffer = max(1, start // 2)
        return _Candidate(
            "length_penalty", "length",
            {"unit": "chars", "max_length": start + buffer, "buffer": buffer, "penalty": 1.0,
             **view.scope("assistant")},
            slot="length", what=f"stay under {start:,} characters (penalty ramps to −1 at {start + buffer:,})",
            basis=f"95% of {_who(view)} have at most {start:,} characters", top=0.0,
        )

    cand = make(good)
    if cand is None:
        return []
    cand.fold_variants = _fold_variants(view, good, make)
    return [cand]


def _repetition_candidates(view: _View) -> list[_Candidate]:
    if not _both_classes(view.labels) or view.inline_retrieval:
        return []  # without labels there is no telling healthy repetition from a loop; documents repeat
    return [_Candidate("repetition_penalty", "repetition",
                       {"ngram": 4, "max_penalty": -1.0, **view.scope("assistant")},
                       slot="repetition", what="not repeat itself (share of repeated 4-grams)", top=0.0)]


# --------------------------------------------------------------------------- choosing


def _choose_shaping(view: _View, pool: list[_Candidate], main: _Candidate | None) -> list[_Candidate]:
    """Format and behaviour rules to add to the answer rule."""
    pool = [c for c in pool if not c.constant()]
    if _both_classes(view.labels):
        return _greedy(view, pool, main)
    return _by_prevalence(pool)


def _greedy(view: _View, pool: list[_Candidate], main: _Candidate | None) -> list[_Candidate]:
    """Add the best-separating rules one at a time, each only if it holds out and stays a minority.

    With real labels a rule is kept when it raises the total's AUC on held-out folds (its thresholds
    fitted without the fold) by MIN_GAIN; with answers standing in for labels, when it does not lower
    it. Either way it may carry at most MAX_SHARE of the GRPO advantage.
    """
    folds = view.folds
    parts: list[tuple[float, Sequence[float | None]]] = [(ANSWER_WEIGHT, main.scores)] if main else []
    held: list[tuple[float, Sequence[float | None]]] = list(parts)
    current = _heldout_total(held, view) if held else None
    groups = [s.group for s in view.samples]
    ranked = [c for c in pool if c.heldout_auc is not None and c.heldout_auc >= 0.5 + MIN_EDGE]
    gain = MIN_GAIN if view.real_labels else -1e-9
    chosen: list[_Candidate] = []
    for cand in sorted(ranked, key=lambda c: (-round(c.heldout_auc or 0.0, AUC_DIGITS), c.order, c.name)):
        if len(chosen) == MAX_SHAPING or any(c.slot == cand.slot for c in chosen):
            continue
        trial = _heldout_total([*held, (SHAPING_WEIGHT, cand.heldout_scores(folds))], view)
        if trial is None or (current is not None and trial < current + gain):
            continue
        share = advantage_shares([*parts, (SHAPING_WEIGHT, cand.scores)], groups)[-1]
        if share > MAX_SHARE:
            continue
        cand.notes.append(f"held-out AUC of the total {_fmt(current)} → {trial:.3f}")
        chosen.append(cand)
        parts.append((SHAPING_WEIGHT, cand.scores))
        held.append((SHAPING_WEIGHT, cand.heldout_scores(folds)))
        current = trial
    shares = advantage_shares(parts, groups)
    for cand, share in zip(chosen, shares[len(parts) - len(chosen):]):
        cand.notes.append(f"{_pct(share)} of the GRPO advantage (at most {_pct(MAX_SHARE)})")
    return chosen


def _heldout_total(parts: Sequence[tuple[float, Sequence[float | None]]], view: _View) -> float | None:
    """The AUC of the weighted total over samples each scored by rules fitted without its fold."""
    return auc(_total(parts, len(view.labels)), view.labels)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _by_prevalence(pool: list[_Candidate]) -> list[_Candidate]:
    """No labels at all: reward what most samples already do, the strictest such form per slot."""
    chosen: list[_Candidate] = []
    for slot in sorted({c.slot for c in pool}, key=_slot_rank):
        options = sorted((c for c in pool if c.slot == slot), key=lambda c: (c.order, c.name))
        if slot in ("length",) or slot.startswith("calls:"):
            pick = options[0] if options else None  # thresholds already come from the distribution
        else:
            pick = next((c for c in options if c.pass_rate() >= 0.5), None)
        if pick is not None and len(chosen) < MAX_SHAPING:
            chosen.append(pick)
    return chosen


def _slot_rank(slot: str) -> tuple[int, str]:
    order = {"structure": 0, "shape": 1, "length": 3, "repetition": 4}
    return (order.get(slot, 2), slot)


def _fallback(pool: list[_Candidate]) -> list[_Candidate]:
    """Every candidate was constant: keep the format most samples follow, so training holds it, and for
    code the syntax check (a program that stops parsing is wrong whatever the labels show).

    A length limit is not kept on its own: drawn from samples that all fit, it would be a guess.
    """
    chosen = []
    for slot in ("structure", "syntax"):
        options = [c for c in pool if c.slot == slot and c.pass_rate() >= 0.5]
        chosen += sorted(options, key=lambda c: (c.order, c.name))[:1]
    return chosen


# --------------------------------------------------------------------------- rationales


def _rationale(view: _View, cand: _Candidate, *, main: bool, tried: int = 0) -> str:
    """One line saying why the rule is there, with the figures it rests on."""
    line = _answer_rationale(view, cand, tried) if main else _shaping_rationale(view, cand)
    return "; ".join([line, *cand.notes])


def _shaping_rationale(view: _View, cand: _Candidate) -> str:
    if cand.kind == "length":
        return f"{cand.basis}; the penalty ramps from there to −1 at {cand.params['max_length']:,}"
    if cand.kind == "repetition":
        return (f"{_who(view)} repeat fewer 4-grams (AUC {cand.single_auc:.2f}); text that loops "
                "loses up to 1.0")
    if view.real_labels:
        good = [y is True for y in view.labels]
        bad = [y is False for y in view.labels]
        line = (f"{_pct(cand.pass_rate(good))} of good samples {cand.what}; "
                f"{_pct(1 - cand.pass_rate(bad))} of bad do not")
    else:
        mask = _good_mask(view)
        line = f"{_pct(cand.pass_rate(mask))} of {_who(view)} {cand.what}"
        if _both_classes(view.labels):
            line += f", {_pct(cand.pass_rate([not m for m in mask]))} of the others"
    if cand.kind == "count_in_range":
        line += "; more calls earn nothing, so retries cannot be farmed"
    elif cand.basis and cand.kind != "answer_shape":
        line += f" ({cand.basis})"
    if cand.constant():
        line += "; every sample already does, kept so training holds the format"
    return line


def _answer_rationale(view: _View, cand: _Candidate, tried: int) -> str:
    if view.real_labels:
        right = cand.passes()
        good = [r for r, y in zip(right, view.labels) if y is True]
        bad = [r for r, y in zip(right, view.labels) if y is False]
        folds = len(set(view.folds))
        return (f"{cand.what}: right on {_pct(sum(good) / len(good))} of good samples and "
                f"{_pct(sum(bad) / len(bad))} of bad (AUC {cand.single_auc:.2f}; {cand.heldout_auc:.2f} over "
                f"{folds} held-out group folds, the best of {tried} answer rules tried)")
    if cand.kind == "code_tests":
        return f"{cand.what}: passes on {_pct(cand.pass_rate())} of samples, run in a sandboxed child process"
    return f"{cand.what}: matches on {_pct(cand.pass_rate())} of samples; `{cand.params.get('reference')}` is named " \
           "like a gold answer"


# --------------------------------------------------------------------------- the proposer


def propose_offline(
    samples: SampleSet,
    *,
    name: str = "proposed",
    task: str = "",
    progress: Callable[[str], None] | None = None,
) -> RewardSpec:
    """Propose a reward spec by mining rules from `samples` (no network, no LLM).

    Args:
        samples: the completions to learn from; labels, when present, choose rules and thresholds.
        name: the spec's name.
        task: what the model is asked to do, copied into the spec.
        progress: called with a short message at each step.

    Returns:
        A validated spec whose rules each carry a one-line rationale with the figures behind it.
    """
    say = progress or (lambda _msg: None)
    if len(samples) == 0:
        raise SampleError("there are no samples to propose a reward from; load a file with completions")
    say(f"reading {len(samples)} samples")
    view = _View.of(samples)

    say("mining tags, answers and reference columns")
    tags = _mine_tags(view)
    columns = _reference_columns(view)
    extractions = _extractions(view, tags, columns)
    answer_candidates = _answer_candidates(view, extractions, columns) if columns else []
    code = _code_candidates(view)
    if code:
        # Tests to run: the code is the answer, and no column of short values (an entry point) is its gold.
        answer_candidates = code
    answer_pool = _score_candidates(answer_candidates, view) if answer_candidates else []
    say(f"scored {len(answer_pool)} answer rules")
    main = _choose_answer(view, answer_pool, extractions, columns)
    matching = [c for c in answer_pool if c.pass_rate() > 0]
    if main is None and view.real_labels and matching:
        # A gold column is there: a proposal always has a correctness rule, weak or not, and says so;
        # never one that matches on no sample (it would reward nothing).
        main = max(matching, key=lambda c: (round(c.heldout_auc or 0.0, AUC_DIGITS), -c.order))
        main.notes.append(f"weak: no answer rule reaches AUC {MIN_ANSWER_AUC} held out; check the gold column")
    if main is not None and not view.real_labels:
        # The answer rule's verdicts stand in for labels: format and behaviour are judged by right answers.
        pseudo: list[bool | None] = list(main.passes())
        if _both_classes(pseudo):
            view = dataclasses.replace(view, labels=pseudo)

    say("mining format, behaviour and length rules")
    shaping = [
        *_structure_candidates(view, tags),
        *_code_block_candidates(view),
        *_shape_candidates(view, main, columns),
        *_call_candidates(view, tags),
        *_length_candidates(view),
        *_repetition_candidates(view),
    ]
    pool = _score_candidates(shaping, view) if shaping else []
    say(f"scored {len(pool)} format and behaviour rules")
    chosen = _choose_shaping(view, pool, main)
    if main is None and not chosen:
        chosen = _fallback(pool)
    if main is None and not chosen:
        raise SampleError(
            "found nothing to reward in these samples: no reference column matches the answers and the "
            "completions share no tags; add a gold-answer column (e.g. `answer`) or label some samples"
        )
    notes = _notes(view, main, columns, answer_pool)
    for note in notes:
        say(note)
    return _assemble(view, name, task, main, chosen, tried=len(answer_pool), notes=notes)


def _notes(view: _View, main: _Candidate | None, columns: list[_Column], tried: list[_Candidate]) -> list[str]:
    """What the spec can and cannot check, in plain words, for its description."""
    notes = []
    if view.inline_retrieval:
        notes.append("no length or repetition rule: the completions carry retrieved documents inline, which "
                     "such rules would score instead of the model's own text")
    read = [c for c in columns if main is None or c.name == main.params.get("reference")]
    for col in (c for c in read if c.wrapped >= 0.05):
        notes.append(f"{_pct(col.wrapped)} of `{col.name}` cells carry a wrapper (\\boxed{{}}, $…$, ####, a "
                     "quoted list): the answer rule unwraps it (reference_unwrap)")
    if main is not None:
        return notes
    if not columns:
        what = "labels stand in for the answer's correctness" if view.real_labels else "nothing checks it"
        metadata = [f"`{c}`" for c in view.samples.columns if is_metadata_name(c)]
        if metadata:
            what += f"; {', '.join(metadata)} describe the problem, not its answer, and are never compared"
        notes.append("no gold-answer column: whether an answer is right cannot be checked, only its format and "
                     f"behaviour; {what}; add a gold-answer column (e.g. `answer`) to check correctness")
    else:
        names = ", ".join(f"`{c.name}`" for c in columns)
        notes.append(f"no correctness rule: the answers never equal {names} wherever they were looked for "
                     f"({len(tried)} rules tried, each matching 0% of samples)")
    return notes


def _assemble(view: _View, name: str, task: str, main: _Candidate | None, shaping: list[_Candidate],
              tried: int, notes: Sequence[str] = ()) -> RewardSpec:
    rules: list[Rule] = []
    used: set[str] = set()
    parts: list[tuple[float, Sequence[float | None]]] = []
    for cand, is_main in ([(main, True)] if main else []) + [(c, False) for c in shaping]:
        weight = ANSWER_WEIGHT if is_main else SHAPING_WEIGHT
        rules.append(cand.rule(name=_unique(cand.name, used), weight=weight,
                               rationale=_rationale(view, cand, main=is_main, tried=tried)))
        parts.append((weight, cand.scores))
    samples = view.samples
    expectations = Expectations()
    description = f"Mined offline from {len(samples)} samples"
    if view.real_labels:
        n_good = sum(1 for y in view.labels if y is True)
        n_bad = sum(1 for y in view.labels if y is False)
        description += f" ({n_good} good, {n_bad} bad)"
        total_auc = auc(_total(parts, len(samples)), view.labels)
        if total_auc is not None and total_auc >= 0.6:
            # Leave room for relabelled or added samples; `rewardsmith test` fails well below today's figure.
            expectations = Expectations(min_auc=math.floor((total_auc - 0.05) * 100) / 100)
            description += f"; total AUC {total_auc:.2f}"
    else:
        description += " (unlabelled)"
    if main is None and view.real_labels and not gold_columns(samples):
        # Labels but nothing to compare with: no correctness rule is possible, and the spec says so in
        # the one place `rewardsmith test` reads, so the verdict is "waived", not a pass.
        aspects = {"structure": "format", "syntax": "syntax"}
        checked = " and ".join(dict.fromkeys(aspects.get(c.slot, "behaviour") for c in shaping)) or "nothing"
        expectations = expectations.model_copy(update={
            "correctness_waiver": f"no gold or tests in the file: only {checked} can be checked; the labels "
                                  "chose these rules but no rule can tell a right answer from a wrong one"})
    return RewardSpec(
        name=name,
        description=". ".join([description, *notes]) + ".",
        task=task,
        provenance=Provenance(proposer=PROPOSER, samples=samples.fingerprint()),
        rules=rules,
        expectations=expectations,
    )


def _unique(base: str, used: set[str]) -> str:
    candidate, k = base, 2
    while candidate in used:
        candidate, k = f"{base}_{k}", k + 1
    used.add(candidate)
    return candidate
