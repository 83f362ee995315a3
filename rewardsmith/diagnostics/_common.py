"""What the diagnostics share: the run context, completion surgery, and scoring extra completions.

Every score a diagnostic reports comes from the rendered module running in the bench worker:
checks build *completions* (variants, probes, demonstration strings) as :class:`Candidate` s, and
:func:`score_candidates` sends them all through the module in one batch. Reading the text a rule
sees (:func:`scoped_text`) is only used to build and show strings, never to decide a score.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal

from ..bench import Bench, ScoreMatrix, score_samples, weighted_total
from ..completions import message_text as _content
from ..completions import messages_of, scoped_text
from ..checks import Check
from ..errors import BenchError
from ..fmt import fmt as _fmt
from ..kinds import Extract, Kind, extract_span, flag_value, get_kind
from ..patterns import run_bounded
from ..samples import Sample, SampleSet
from ..spec import RewardSpec, Rule

__all__ = [
    "EPS",
    "Candidate",
    "Context",
    "Part",
    "Scored",
    "Slot",
    "answer_extract",
    "assistant_texts",
    "changed",
    "diff_snippet",
    "fmt",
    "is_assistant",
    "locate_answer",
    "map_text",
    "prompt_text",
    "replace_slot",
    "rule_sign",
    "score_candidates",
    "scoped_text",
    "short",
    "single_turn",
    "tag_pairs",
]

EPS = 1e-9
TAG_PAIR = re.compile(r"<([A-Za-z_][\w.\-]*)>(.*?)</\1>", re.DOTALL)


# --------------------------------------------------------------------------- run context


@dataclass
class Context:
    """One diagnose() run: the spec, the samples, their scores and the module source."""

    spec: RewardSpec
    samples: SampleSet
    matrix: ScoreMatrix
    source: str
    aggregation: str = "sum_then_normalize"
    scale_rewards: str = "group"
    totals: list[float | None] = field(default_factory=list)
    _good: list[bool | None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.totals:
            self.totals = self.matrix.total()

    @property
    def good(self) -> list[bool | None]:
        """Each sample's label as good / bad / None (samples.good_flags), read once per run: several checks ask."""
        if self._good is None:
            self._good = self.samples.good_flags()
        return self._good

    def kind(self, rule: Rule) -> type[Kind]:
        return get_kind(rule.kind)

    def scores(self, rule: Rule) -> list[float | None]:
        return self.matrix.scores.get(rule.name, [None] * len(self.samples))

    def scope(self, rule: Rule) -> str:
        return self.kind(rule).scope(rule.params)


@dataclass
class Part:
    """What one check hands back: report lines, checks, and the same findings as data."""

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def warn(self, cid: str, message: str) -> None:
        self.checks.append(Check(f"{self.name}:{cid}", False, message, severity="warning"))

    def error(self, cid: str, message: str) -> None:
        self.checks.append(Check(f"{self.name}:{cid}", False, message, severity="error"))


def rule_sign(rule: Rule) -> float:
    """+1 when a higher score means more reward to the trainer, -1 for a negative weight."""
    return -1.0 if rule.weight < 0 else 1.0


# --------------------------------------------------------------------------- completions


def is_assistant(message: Any) -> bool:
    # The generated module treats a message without a role as the assistant's (see _text).
    return not isinstance(message, dict) or message.get("role", "assistant") == "assistant"


def assistant_texts(completion: Any) -> list[str]:
    messages = messages_of(completion)
    if messages is None:
        return [completion]
    return [_content(m) for m in messages if is_assistant(m)]


def map_text(completion: Any, fn: Callable[[str], str], which: Literal["all", "last"] = "all") -> Any:
    """A copy of `completion` with `fn` applied to assistant text: every turn or only the last."""
    if isinstance(completion, str):
        return fn(completion)
    out = copy.deepcopy(completion)
    messages = out["messages"] if isinstance(out, dict) and "messages" in out else out
    if isinstance(messages, dict):  # a bare message dict
        messages = [messages]
    idx = [i for i, m in enumerate(messages) if is_assistant(m) and isinstance(m, dict)
           and isinstance(m.get("content"), str)]
    if which == "last":
        idx = idx[-1:]
    for i in idx:
        messages[i]["content"] = fn(messages[i]["content"])
    return out


def single_turn(shape: Any, text: str) -> Any:
    """A one-turn completion holding `text`, in the same shape (str / messages / {"messages"}) as `shape`."""
    if isinstance(shape, str):
        return text
    message = {"role": "assistant", "content": text}
    if isinstance(shape, dict):
        return {"messages": [message]}
    return [message]


def last_text(completion: Any) -> str:
    texts = assistant_texts(completion)
    return texts[-1] if texts else ""


def prompt_text(prompt: Any) -> str:
    """The question: a string prompt, or the last user message of a conversational one."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
    pick = users[-1] if users else (prompt[-1] if prompt else "")
    return _content(pick)


def tag_pairs(text: str) -> list[re.Match[str]]:
    return list(TAG_PAIR.finditer(text))


# --------------------------------------------------------------------------- the answer slot


@dataclass(frozen=True)
class Slot:
    """Where the answer sits in a text: its content span, and the span with its markup (the block)."""

    start: int
    end: int
    block_start: int
    block_end: int

    def content(self, text: str) -> str:
        return text[self.start:self.end]


def answer_extract(spec: RewardSpec) -> tuple[Extract | None, str | None]:
    """The extraction that defines "the answer" for this spec, and the reference column it is compared with.

    The first rule that compares an extracted answer with a reference wins; then any rule with an
    `extract`; else None (probes fall back to an <answer> tag, the text after the last closing
    tag, or the last line).
    """
    fallback: Extract | None = None
    for rule in spec.rules:
        extract = getattr(rule.params, "extract", None)
        if not isinstance(extract, Extract):
            continue
        reference = getattr(rule.params, "reference", None)
        if reference:
            return extract, reference
        fallback = fallback or extract
    return fallback, None


def locate_answer(text: str, extract: Extract | None) -> Slot | None:
    """The answer's span in `text` under `extract` (None when this text has no answer there).

    The span is the runtime extractor's, the one the module reads; only where a probe may write
    differs: a split with no `start` in the text has no slot (the idiom then reads the whole text),
    and a closing `start` marker (``</think>``) ends the section before the answer, so it stays out
    of the answer's block.

    A regex extraction (a spec's pattern) runs under the per-call limit: PatternTimeout when it is over.
    """
    if extract is None:
        if "</answer>" in text:
            extract = Extract(method="xml_tag", tag="answer")
        elif re.search(r"</[A-Za-z_][\w.\-]*>", text):
            close = list(re.finditer(r"</[A-Za-z_][\w.\-]*>", text))[-1]
            return Slot(close.end(), len(text), close.end(), len(text)) if text[close.end():].strip() else None
        else:
            extract = Extract(method="last_line")
    if extract.method == "split" and extract.start not in text:
        return None
    patterns = [(extract.pattern, flag_value(extract.flags))] if extract.method == "regex" else []
    span = run_bounded(extract_span, text, extract.model_copy(update={"strip": False}), patterns=patterns,
                       length=len(text))
    if span is None:
        return None
    start, end, block_start, block_end = span
    if extract.method == "split" and extract.start.lstrip().startswith("</"):
        block_start = start
    return Slot(start, end, block_start, block_end)


def replace_slot(text: str, slot: Slot, value: str, *, keep_space: bool = True) -> str:
    """`text` with the answer replaced by `value`, keeping the whitespace that surrounded it."""
    old = slot.content(text)
    lead = old[: len(old) - len(old.lstrip())] if keep_space else ""
    trail = old[len(old.rstrip()):] if keep_space and old.strip() else ""
    return text[: slot.start] + lead + value + trail + text[slot.end:]


# --------------------------------------------------------------------------- showing strings


def short(text: str, width: int = 72) -> str:
    """A one-line repr of `text`, cut in the middle when long."""
    r = repr(text)
    if len(r) <= width:
        return r
    keep = (width - 3) // 2
    return r[:keep] + "…" + r[-keep:]


def diff_snippet(before: str, after: str, width: int = 64) -> tuple[str, str]:
    """A window around the first place two texts differ, as two one-line reprs."""
    i = 0
    while i < min(len(before), len(after)) and before[i] == after[i]:
        i += 1
    a0 = max(0, i - 24)

    def cut(t: str) -> str:
        piece = t[a0:a0 + 56]
        r = repr(piece)
        if len(r) > width:
            r = r[: width - 1] + "…"
        return ("…" if a0 > 0 else "") + r + ("…" if a0 + 56 < len(t) else "")

    return cut(before), cut(after)


def fmt(value: float | None, digits: int = 3) -> str:
    """A score in a diagnostic's line: trimmed decimals, and None written as the module returned it."""
    return _fmt(value, digits, none="None")


def changed(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > EPS


# --------------------------------------------------------------------------- scoring extra completions


@dataclass
class Candidate:
    """A completion built by a check, scored through the module with the prompt and columns of `base`."""

    key: str
    base: Sample
    completion: Any
    prompt: Any = None
    use_base_prompt: bool = True


@dataclass
class Scored:
    """Scores of candidates by key and rule, with the calls that raised or timed out."""

    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    failure: str | None = None  # the module could not be loaded for the extra scoring

    def get(self, key: str, rule: str) -> float | None:
        return self.scores.get(key, {}).get(rule)

    def total(self, key: str, weights: dict[str, float]) -> float | None:
        """The weighted total as TRL sums it (None scores skipped)."""
        row = self.scores.get(key)
        if row is None:
            return None
        return weighted_total([[row.get(r)] for r in weights], list(weights.values()), 1)[0]

    def has(self, key: str) -> bool:
        return key in self.scores


def score_candidates(spec: RewardSpec, candidates: Iterable[Candidate], *, source: str,
                     bench: Bench) -> Scored:
    """Score every candidate with every rule, through the module, in one bench round."""
    unique: dict[str, Candidate] = {}
    for c in candidates:
        unique.setdefault(c.key, c)
    out = Scored()
    if not unique:
        return out
    rows = [
        Sample(id=c.key, prompt=c.base.prompt if c.use_base_prompt else c.prompt, completion=c.completion,
               group=c.key, refs=dict(c.base.refs))
        for c in unique.values()
    ]
    try:
        matrix = score_samples(spec, SampleSet(rows), source=source, bench=bench)
    except BenchError as exc:
        out.failure = str(exc)
        return out
    for i, key in enumerate(matrix.sample_ids):
        out.scores[key] = {r: matrix.scores[r][i] for r in matrix.rules}
        errs = {r: e[i] for r, e in matrix.errors.items() if i in e}
        if errs:
            out.errors[key] = errs
    return out
