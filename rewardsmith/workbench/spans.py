"""Where in a completion each rule looked: the spans the detail pane highlights.

The score always comes from the rendered module (the bench); this module only maps *where* the
rule's evidence sits back onto the turns. The text is the runtime's own scoped reading
(`_text_turns`) and each kind says what it shows (`Kind.spans`, which extracts with the runtime's
span forms), so the highlight lands on the characters the module read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..completions import message_text, messages_of
from ..kinds import extract_span, get_kind
from ..patterns import PatternTimeout, run_bounded
from ..runtime.text import _text_turns
from ..spec import Rule

__all__ = ["Span", "Turn", "extract_span", "rule_spans", "turns_of"]


@dataclass(frozen=True)
class Turn:
    role: str
    text: str


@dataclass(frozen=True)
class Span:
    rule: str
    turn: int  # index into turns_of(completion)
    start: int
    end: int
    note: str
    region: bool = False  # a stretch the rule judged as a whole (format match, overflow), not a found token


def turns_of(completion: Any) -> list[Turn]:
    """The completion as turns; a plain string is one assistant turn."""
    messages = messages_of(completion)
    if messages is None:
        return [Turn("assistant", completion)]
    return [Turn(str(m.get("role", "assistant")) if isinstance(m, dict) else "assistant", message_text(m)) for m in messages]


def _to_turns(rule: str, start: int, end: int, note: str, region: bool, offsets: list[tuple[int, int]],
              turns: list[Turn]) -> Iterator[Span]:
    """Split a span of the scoped text into spans of the turns it covers."""
    for turn, base in offsets:
        length = len(turns[turn].text)
        lo, hi = max(start, base), min(end, base + length)
        if lo < hi:
            yield Span(rule, turn, lo - base, hi - base, note, region)


def _kind_spans(kind_name: str, params: Any, text: str, refs: dict[str, Any]) -> list[tuple[int, int, str, bool]]:
    return list(get_kind(kind_name).spans(params, text, refs))


def rule_spans(rule: Rule, completion: Any, refs: dict[str, Any] | None = None) -> list[Span]:
    """The spans `rule` matched in `completion`, in the turns of `turns_of(completion)`.

    A rule whose params cannot be mirrored here (an invalid regex left by hand) gives no spans. The rule's
    patterns run under the per-call limit (patterns.run_bounded; the TUI calls this from its UI thread): past
    it, one region over the whole text whose note says the pattern timed out.
    """
    kind = get_kind(rule.kind)
    text, offsets = _text_turns(completion, kind.scope(rule.params))
    turns = turns_of(completion)
    out: list[Span] = []
    try:
        found = run_bounded(_kind_spans, rule.kind, rule.params, text, refs or {},
                            patterns=[(p.pattern, p.flags) for p in kind.patterns(rule.params)], length=len(text))
    except re.error:
        return []
    except PatternTimeout as exc:
        return list(_to_turns(rule.name, 0, len(text), str(exc), True, offsets, turns))
    for lo, hi, note, region in found:
        out.extend(_to_turns(rule.name, lo, hi, note, region, offsets, turns))
    return out
