"""Where in a completion each rule looked: the spans the detail pane highlights.

The score always comes from the rendered module (the bench); this module only finds *where* the
rule's evidence sits, mirroring the generated helpers (`_text`, `_extract_*`, the counting and
format regexes) so the highlight lands on the same characters the rule read: the extracted answer,
each counted call, the format match, tag occurrences, text past a length budget, repeated n-grams.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..completions import message_text, messages_of
from ..kinds import Extract
from ..spec import Rule

__all__ = ["Span", "Turn", "rule_spans", "turns_of"]


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


def _scoped(completion: Any, scope: str) -> tuple[str, list[tuple[int, int]]]:
    """The text a rule reads (as the module's `_text` builds it) and where each turn starts in it."""
    messages = messages_of(completion)
    if messages is None:
        return completion, [(0, 0)]
    if not messages:
        return "", []
    if scope == "first":
        picked = [0]
    elif scope == "transcript":
        picked = list(range(len(messages)))
    else:
        assistant = [i for i, m in enumerate(messages)
                     if not isinstance(m, dict) or m.get("role", "assistant") == "assistant"]
        picked = assistant if scope == "assistant" else assistant[-1:]
    offsets = []
    pos = 0
    parts = []
    for i in picked:
        text = message_text(messages[i])
        offsets.append((i, pos))
        parts.append(text)
        pos += len(text) + 1  # the "\n" the module joins with
    return "\n".join(parts), offsets


def _to_turns(rule: str, start: int, end: int, note: str, region: bool, offsets: list[tuple[int, int]],
              turns: list[Turn]) -> Iterator[Span]:
    """Split a span of the scoped text into spans of the turns it covers."""
    for turn, base in offsets:
        length = len(turns[turn].text)
        lo, hi = max(start, base), min(end, base + length)
        if lo < hi:
            yield Span(rule, turn, lo - base, hi - base, note, region)


# --------------------------------------------------------------------------- extraction


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _flags(names: list[str]) -> int:
    value = 0
    for name in names:
        value |= getattr(re, name)
    return value


def extract_span(text: str, e: Extract) -> tuple[int, int] | None:
    """Where `e` finds the answer in `text` (None when the module's extractor returns None)."""
    span: tuple[int, int] | None = None
    last = e.occurrence == "last"
    if e.method == "xml_tag":
        pattern = re.compile(re.escape(f"<{e.tag}>") + "(.*?)" + re.escape(f"</{e.tag}>"), re.DOTALL)
        found = list(pattern.finditer(text))
        if found:
            span = (found[-1] if last else found[0]).span(1)
    elif e.method == "after_tag":
        close = f"</{e.tag}>"
        at = text.rfind(close) if last else text.find(close)
        if at >= 0:
            span = (at + len(close), len(text))
    elif e.method == "split":
        pieces = text.split(e.start)
        try:
            k = range(len(pieces))[e.index]
        except IndexError:
            return None
        begin = sum(len(p) + len(e.start) for p in pieces[:k])
        piece = pieces[k]
        length = piece.find(e.end) if e.end and e.end in piece else len(piece)
        span = (begin, begin + length)
    elif e.method == "regex":
        pattern = re.compile(e.pattern, _flags(list(e.flags)))
        match = None
        if last:
            for match in pattern.finditer(text):
                pass
        else:
            match = pattern.search(text)
        if match is not None and match.start(e.group) >= 0:
            span = match.span(e.group)
    elif e.method == "boxed":
        starts = [m.end() for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text)]
        if starts:
            begin = starts[-1] if last else starts[0]
            depth = 1
            for j in range(begin, len(text)):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        span = (begin, j)
                        break
    elif e.method == "last_line":
        pos = 0
        for line in text.splitlines(keepends=True):
            if line.strip():
                span = (pos, pos + len(line.rstrip("\r\n")))
            pos += len(line)
    else:  # whole
        span = (0, len(text))
    if span is not None and e.strip:
        span = _strip(text, *span)
    return span


# --------------------------------------------------------------------------- per kind


def _keyword_spans(text: str, start: int, end: int, keywords: list[str], case_sensitive: bool,
                   word_boundary: bool) -> Iterator[tuple[int, int]]:
    flags = 0 if case_sensitive else re.IGNORECASE
    for keyword in keywords:
        if not keyword:
            continue
        body = re.escape(keyword)
        pattern = re.compile(rf"(?<!\w){body}(?!\w)" if word_boundary else body, flags)
        for m in pattern.finditer(text, start, end):
            yield m.span()


def _raw_spans(rule: Rule, text: str, refs: dict[str, Any]) -> Iterator[tuple[int, int, str, bool]]:
    p: Any = rule.params
    kind = rule.kind
    extract = getattr(p, "extract", None)
    if isinstance(extract, Extract):
        span = extract_span(text, extract)
        if span is not None and extract.method != "whole" and span[0] < span[1]:
            yield (*span, "answer", False)
        if kind == "contains" and span is not None:
            keywords = list(p.keywords)
            if p.reference:
                ref = refs.get(p.reference)
                keywords = [str(k) for k in (ref if isinstance(ref, (list, tuple)) else [ref]) if k is not None]
            for lo, hi in _keyword_spans(text, span[0], span[1], keywords, p.case_sensitive, p.word_boundary):
                yield lo, hi, "keyword", False
        return
    if kind == "count_in_range":
        pattern = re.escape(p.pattern) if p.literal else p.pattern
        matches = list(re.finditer(pattern, text, _flags(list(p.flags))))
        for k, m in enumerate(matches, 1):
            if m.end() > m.start():
                yield m.start(), m.end(), f"match {k}/{len(matches)}", False
    elif kind == "regex_format":
        compiled = re.compile(p.pattern, _flags(list(p.flags)))
        m = getattr(compiled, p.mode)(text)
        if m is not None and m.end() > m.start():
            yield m.start(), m.end(), f"{p.mode} of the format", True
    elif kind == "tag_count":
        for item in p.items:
            marker = getattr(item, "text", None)
            if marker is not None:
                at = text.find(marker)
                while at >= 0:
                    yield at, at + len(marker), f"{marker.strip()!s} (wanted {item.times}×)", False
                    at = text.find(marker, at + len(marker))
            after = getattr(item, "after", None) or getattr(getattr(item, "penalty", None), "after", None)
            if after:
                cut = text.rfind(after)
                lo = cut + len(after) if cut >= 0 else 0
                if lo < len(text) and text[lo:].strip():
                    yield lo, len(text), f"trailing text after {after.strip()}", True
    elif kind == "length":
        budget = p.max_length - p.buffer
        if p.unit == "chars" and len(text) > budget:
            yield budget, len(text), f"past {budget} characters", True
        elif p.unit == "words":
            words = list(re.finditer(r"\S+", text))
            if len(words) > budget:
                yield words[budget].start(), len(text), f"past {budget} words", True
    elif kind == "repetition":
        words = list(re.finditer(r"\S+", text))
        seen: set[tuple[str, ...]] = set()
        n = p.ngram
        for i in range(len(words) - n + 1):
            gram = tuple(w.group().lower() for w in words[i:i + n])
            if gram in seen:
                yield words[i].start(), words[i + n - 1].end(), "repeated n-gram", False
            seen.add(gram)


def rule_spans(rule: Rule, completion: Any, refs: dict[str, Any] | None = None) -> list[Span]:
    """The spans `rule` matched in `completion`, in the turns of `turns_of(completion)`.

    A rule whose params cannot be mirrored here (an invalid regex left by hand) gives no spans.
    """
    scope = getattr(rule.params, "scope", "last")
    text, offsets = _scoped(completion, scope)
    turns = turns_of(completion)
    out: list[Span] = []
    try:
        for lo, hi, note, region in _raw_spans(rule, text, refs or {}):
            out.extend(_to_turns(rule.name, lo, hi, note, region, offsets, turns))
    except re.error:
        return []
    return out
