"""Answer slots mined from the data: where the gold answer sits in the completions, and how to extract it.

A fixed list of places (``<answer>``, ``\\boxed{}``, the last line) misses every format nobody listed.
Here the gold itself is the guide: normalise it (unwrap ``\\boxed{…}``, ``$…$``, ``#### …``, quotes, a
list of aliases), find its last occurrence in each completion, and count the contexts that introduce it
(the text just before it on its line) and what ends it (the end of the line, a closing bracket, a word
break). The contexts most completions share become extractions the answer kinds take: ``boxed`` or
``xml_tag`` when that is what the data shows, else a ``regex`` built from the escaped learned prefix and
a capture group that stops at the learned terminator. Which slot wins is decided by the proposer, by how
often the extracted text equals the gold (or, with labels, by held-out separation).

A learned context generalises the way a hand-written extractor would: its words match in any case
("The answer is" is also "the answer is"), and where the gold is one token (an option letter, a number)
the slot reads that token whether or not the learned brackets or a bold marker surround it ("answer is
(D)", "answer is D", "answer is **D**"). Contexts are counted case-folded, so "The answer is (" and
"the answer is (" support one slot instead of splitting its support.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..runtime.gold import _gold_aliases

__all__ = ["Hit", "Slot", "find_hits", "gold_is_wrapped", "mine_slots", "normalise_gold", "slots_from_hits"]

MAX_CONTEXT = 40  # characters of the gold's line looked at before it
MIN_SUPPORT = 0.2  # a context must introduce the gold in this share of the completions that contain it
MAX_SLOTS = 4

_BOXED_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
_OPEN_TAG = re.compile(r"<([A-Za-z_][\w\-]{0,31})>$")
# The end of the answer's line: optional closing period / bold marker, then the line break.
_EOL_AFTER = re.compile(r"[ \t]*(?:\.|\*\*|\$)?[ \t]*(?:\n|$)")
_PUNCT_RUN = re.compile(r"[ \t]*([^\w\s]{1,3})")
_SENTENCE_END = ".,;:!?"


def normalise_gold(value: Any) -> list[str]:
    """A gold cell as the accepted answers it stands for, wrappers removed.

    ``['\\\\boxed{4}']`` → ``["4"]``; ``"#### 18"`` → ``["18"]``; ``"$\\\\frac{1}{2}$"`` → ``["\\\\frac{1}{2}"]``;
    a list of aliases → each alias. Empty or non-text cells give ``[]``. The runtime's helper, so the
    slots are mined from the gold exactly as a rule with ``reference_unwrap`` compares with it.
    """
    return _gold_aliases(value)


def gold_is_wrapped(value: Any) -> bool:
    """True when the raw cell is not already its normalised answer (a comparison kind would see the wrapper)."""
    if isinstance(value, (list, tuple)):
        return any(gold_is_wrapped(v) for v in value)
    if value is None or isinstance(value, (bool, dict)):
        return False
    raw = str(value).strip()
    return normalise_gold(value) != [raw]


@dataclass(frozen=True)
class Slot:
    """A place answers sit, learned from where the gold occurs.

    Attributes:
        params: an ``Extract`` (as a dict) the answer kinds take.
        label: for rationales, e.g. ``"The answer is (…)"``.
        support: share of the completions containing the gold where this context introduces it.
    """

    params: dict[str, Any]
    label: str
    support: float

    @property
    def key(self) -> str:
        """Identity of the extraction: two slots whose patterns differ only in case (and ignore it) are one."""
        params = dict(self.params)
        if "IGNORECASE" in params.get("flags", ()):
            params["pattern"] = params["pattern"].casefold()
        return json.dumps(params, sort_keys=True)


@dataclass(frozen=True)
class Hit:
    """Where the gold last occurs in one completion."""

    context: str  # the gold's line before it, at most MAX_CONTEXT characters
    after: str  # what follows it
    whole_line: bool  # the gold is all its line holds (bar a closing period)
    last_line: bool  # that line is the last non-empty one
    answer: str = ""  # the gold alias found there

    @cached_property
    def prefixes(self) -> frozenset[str]:
        """The context's suffixes that start at a word start (not inside a word), sentence ends dropped."""
        ctx = self.context.rstrip()
        found = set()
        for k in range(len(ctx)):
            if ctx[k].isspace() or (k > 0 and ctx[k].isalnum() and ctx[k - 1].isalnum()):
                continue
            # A sentence's end before the context (". The answer is (") is not part of it.
            piece = ctx[k:].lstrip(_SENTENCE_END + " \t")
            if piece:
                found.add(piece)
        return frozenset(found)


def mine_slots(texts: Sequence[str], golds: Sequence[Sequence[str]], *, min_support: float = MIN_SUPPORT,
               limit: int = MAX_SLOTS) -> list[Slot]:
    """Extractions learned from where the gold occurs in the completions, best supported first.

    Args:
        texts: the text answers are read from, one per sample.
        golds: the normalised gold answers of each sample (several for aliases; empty when unknown).
        min_support: the least share of gold-bearing completions a context must explain.
        limit: the most slots returned.

    Returns:
        Slots whose contexts introduce the gold in at least `min_support` of the completions that
        contain it (and in two of them at least), without duplicates.
    """
    return slots_from_hits([h for h in find_hits(texts, golds) if h is not None], min_support=min_support,
                           limit=limit)


def find_hits(texts: Sequence[str], golds: Sequence[Sequence[str]]) -> list[Hit | None]:
    """The gold's last occurrence in each text (None where there is no gold or it does not occur)."""
    return [_last_hit(text, gold) if gold else None for text, gold in zip(texts, golds)]


def slots_from_hits(hits: Sequence[Hit], *, min_support: float = MIN_SUPPORT, limit: int = MAX_SLOTS) -> list[Slot]:
    """The slots the contexts of `hits` support (see :func:`mine_slots`)."""
    if not hits:
        return []
    least = max(2, min_support * len(hits))
    out: list[Slot] = []
    seen: set[str] = set()

    def add(slot: Slot) -> None:
        key = slot.key
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append(slot)

    for prefix, count in _prefixes(hits, least):
        supporting = [h for h in hits if h.context.rstrip().casefold().endswith(prefix)]
        slot = _slot_for(prefix, supporting, count / len(hits))
        if slot is not None:
            add(slot)
    last = sum(1 for h in hits if h.whole_line and h.last_line)
    if last >= least:
        add(Slot({"method": "last_line"}, "the last line", last / len(hits)))
    return out


def _last_hit(text: str, gold: Sequence[str]) -> Hit | None:
    """The last occurrence of any gold alias as a whole token, with its context."""
    start, end = -1, -1
    for alias in gold:
        at = _last_token(text, alias)
        if at > start:
            start, end = at, at + len(alias)
    if start < 0:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    context = text[line_start:start][-MAX_CONTEXT:]
    after = text[end:end + 12]
    whole = not context.strip() and bool(_EOL_AFTER.match(after))
    rest = text[end:]
    tail = rest.split("\n", 1)[1] if "\n" in rest else ""
    return Hit(context, after, whole, not tail.strip(), text[start:end])


def _last_token(text: str, alias: str) -> int:
    """Where `alias` last occurs as a whole token (not inside a longer word or number), else -1."""
    at = text.rfind(alias)
    while at >= 0:
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(alias)] if at + len(alias) < len(text) else " "
        if not (before.isalnum() or before in "_.") and not (after.isalnum() or after == "_"):
            return at
        at = text.rfind(alias, 0, at + len(alias) - 1) if at > 0 else -1
    return -1


def _prefixes(hits: Sequence[Hit], least: float) -> list[tuple[str, int]]:
    """Maximal contexts: the longest suffixes of the gold's line that enough completions share.

    A suffix starts at a word start (not in the middle of a word) and is dropped when a longer one
    is shared by nearly as many completions (it adds nothing but looseness).
    """
    counts: Counter[str] = Counter()
    for h in hits:
        counts.update({p.casefold() for p in h.prefixes})
    frequent = {p: c for p, c in counts.items() if c >= least}
    maximal = [
        (p, c) for p, c in frequent.items()
        if not any(q != p and q.endswith(p) and cq >= 0.9 * c for q, cq in frequent.items())
    ]
    return sorted(maximal, key=lambda pc: (-pc[1], -len(pc[0]), pc[0]))


def _slot_for(prefix: str, hits: Sequence[Hit], support: float) -> Slot | None:
    """The extraction for one learned (case-folded) prefix, ended the way most of its completions end the answer."""
    spelt = _spelling(prefix, hits)
    tag = _OPEN_TAG.search(spelt)
    if tag is not None and all(h.after.lstrip().startswith(f"</{tag.group(1)}>") for h in hits):
        return Slot({"method": "xml_tag", "tag": tag.group(1), "occurrence": "last"}, f"<{tag.group(1)}>", support)
    if _BOXED_OPEN.search(prefix) and prefix.rstrip().endswith("{"):
        return Slot({"method": "boxed", "occurrence": "last"}, "\\boxed{}", support)
    ends = Counter(_terminator(h) for h in hits)
    end, _ = max(ends.items(), key=lambda kv: (kv[1], kv[0]))
    # Patterns are written as the completions spell the context (readable); they match it in any case.
    words, opener = _split_opener(spelt.rstrip())
    # A one-token gold ended by a word break or by the bracket its context opened: read it bracketed or not.
    if words and all(h.answer.split() == [h.answer] for h in hits) and (
            end == " " or (opener and end.startswith(_CLOSERS[opener[-1]]))):
        return _token_slot(words, spelt, opener, support)
    # The answer starts at a non-space (\S), so the blanks before it are one run and at most two repeats
    # ever stand side by side: the vetting refuses three (they backtrack polynomially on a near miss).
    lead = re.escape(spelt.rstrip()) + r"[ \t]*"
    if end == "\n":
        pattern, shown = lead + r"(\S[^\n]*?)[ \t]*(?:\.|\*\*|\$)?$", "… (end of line)"
        flags = ["IGNORECASE", "MULTILINE"]
    elif end == " ":
        pattern, flags, shown = lead + r"(\S+?)(?=[.,;:!?]*(?:\s|$))", ["IGNORECASE"], "… (one word)"
    else:
        pattern, flags, shown = lead + r"(\S.*?)[ \t]*" + re.escape(end), ["IGNORECASE"], f"…{end}"
    params = {"method": "regex", "pattern": pattern, "group": 1, "occurrence": "last", "flags": flags}
    return Slot(params, f"{spelt.strip()} {shown}", support)


# Brackets a learned context may open around a one-token answer, and what closes each.
_CLOSERS = {"(": ")", "[": "]", "*": "*"}
# A one-token answer: no blank, no bracket or bold marker; it ends before a closing bracket or bold marker, or
# at a word break after any sentence punctuation ("D." "E, but" "3.5 m").
_TOKEN = r"([^\s()\[\]*]+?)(?=[ \t]*[)\]*]|[.,;:!?]*(?:\s|$))"
# Between the context's words and the token: blanks, an optional colon, an optional bold marker, an optional
# bracket ("answer is (D)", "answer is D", "Answer: **D**", "answer is: [D]").
_TOKEN_LEAD = r"[ \t]*:?[ \t]*(?:\*\*?)?[(\[]?[ \t]*"


def _split_opener(prefix: str) -> tuple[str, str]:
    """The context's words and the bracket run it ends with: ``"the answer is ("`` -> ``("the answer is", "(")``."""
    k = len(prefix)
    while k > 0 and prefix[k - 1] in _CLOSERS:
        k -= 1
    return prefix[:k].rstrip(), prefix[k:]


def _token_slot(words: str, spelt: str, opener: str, support: float) -> Slot:
    """A one-token answer after the learned words, read with or without the learned brackets or bold."""
    pattern = re.escape(words) + _TOKEN_LEAD + _TOKEN
    shown = f"{spelt.strip()}…{_CLOSERS[opener[-1]] if opener else ''}"
    label = f"{shown} (any case; brackets or bold optional)"
    return Slot({"method": "regex", "pattern": pattern, "group": 1, "occurrence": "last", "flags": ["IGNORECASE"]},
                label, support)


def _spelling(prefix: str, hits: Sequence[Hit]) -> str:
    """How the completions most often write a case-folded context (for labels and tag names)."""
    seen = Counter(ctx[-len(prefix):] for h in hits if (ctx := h.context.rstrip()).casefold().endswith(prefix))
    return max(seen.items(), key=lambda kv: (kv[1], kv[0]))[0] if seen else prefix


def _terminator(hit: Hit) -> str:
    """What ends the answer: "\\n" (its line), " " (a word break) or a short run of punctuation."""
    if _EOL_AFTER.match(hit.after):
        return "\n"
    m = _PUNCT_RUN.match(hit.after)
    if m and m.group(1)[0] not in _SENTENCE_END:
        # ")." ends the answer at ")": the period ends the sentence.
        return m.group(1)[0] + m.group(1)[1:].rstrip(_SENTENCE_END)
    return " "
