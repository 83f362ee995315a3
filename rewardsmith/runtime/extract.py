"""Answer extraction. Each method has a ``_span`` form and a string form that slices it.

A span is ``(start, end, block_start, block_end)``: where the answer starts and ends in the text,
and the block around it (the answer with its markup: the tag pair, ``\\boxed{...}``, the whole
regex match). The TUI highlights ``start:end``; the diagnostics rewrite the block; the generated
module reads ``text[start:end]``, so all three see the same characters.
"""

from __future__ import annotations

import re

__all__ = [
    "_BOXED",
    "_extract_after_tag",
    "_extract_after_tag_span",
    "_extract_boxed",
    "_extract_boxed_span",
    "_extract_last_line",
    "_extract_last_line_span",
    "_extract_regex",
    "_extract_regex_span",
    "_extract_split",
    "_extract_split_span",
    "_extract_xml_tag",
    "_extract_xml_tag_span",
    "_strip_span",
    "_whole_span",
]

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def _extract_xml_tag_span(text, pattern, last):
    """The span of group 1 of `pattern` (``<tag>(.*?)</tag>``) at its first or last match, else None."""
    match = None
    for match in pattern.finditer(text):
        if not last:
            break
    if match is None:
        return None
    return match.start(1), match.end(1), match.start(), match.end()


def _extract_xml_tag(text, pattern, last):
    """The text inside the first or last tag pair `pattern` matches, else None."""
    span = _extract_xml_tag_span(text, pattern, last)
    return None if span is None else text[span[0] : span[1]]


def _extract_after_tag_span(text, close, last):
    """The span of the text after the first or last `close` marker, else None."""
    at = text.rfind(close) if last else text.find(close)
    if at < 0:
        return None
    at += len(close)
    return at, len(text), at, len(text)


def _extract_after_tag(text, close, last):
    """The text after the first or last `close` marker (``</think>``), else None."""
    span = _extract_after_tag_span(text, close, last)
    return None if span is None else text[span[0] : span[1]]


def _extract_split_span(text, start, end, index):
    """The span of ``text.split(start)[index]`` cut at `end`; None when `index` is out of range.

    The block takes in the `start` marker before the piece and the `end` marker after it.
    """
    pieces = text.split(start)
    try:
        k = range(len(pieces))[index]
    except IndexError:
        return None
    begin = sum(len(p) + len(start) for p in pieces[:k])
    piece = pieces[k]
    cut = piece.find(end) if end else -1
    stop = begin + (cut if cut >= 0 else len(piece))
    block_start = begin - len(start) if k > 0 else begin
    return begin, stop, block_start, stop + len(end) if cut >= 0 else stop


def _extract_split(text, start, end, index):
    """text.split(start)[index], cut at end: the lenient idiom (no start -> the whole text).

    An index past the pieces reads as an empty answer, as the idiom's caller would catch it.
    """
    span = _extract_split_span(text, start, end, index)
    return "" if span is None else text[span[0] : span[1]]


def _extract_regex_span(text, pattern, group, last):
    """The span of capture `group` at the first or last match of `pattern`; None when absent."""
    match = None
    if last:
        for match in pattern.finditer(text):
            pass
    else:
        match = pattern.search(text)
    if match is None or match.start(group) < 0:
        return None
    return match.start(group), match.end(group), match.start(), match.end()


def _extract_regex(text, pattern, group, last):
    """Capture `group` of the first or last match of `pattern`, else None."""
    span = _extract_regex_span(text, pattern, group, last)
    return None if span is None else text[span[0] : span[1]]


def _extract_boxed_span(text, last):
    """The span of the content of the first or last ``\\boxed{...}``; None when absent or unclosed."""
    heads = list(_BOXED.finditer(text))
    if not heads:
        return None
    head = heads[-1] if last else heads[0]
    depth = 1
    for j in range(head.end(), len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return head.end(), j, head.start(), j + 1
    return None


def _extract_boxed(text, last):
    """The content of \\boxed{...}, nested braces included; None when absent or unclosed."""
    span = _extract_boxed_span(text, last)
    return None if span is None else text[span[0] : span[1]]


def _extract_last_line_span(text):
    """The span of the last line that is not blank (lines as ``str.splitlines`` cuts them), else None."""
    span = None
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.splitlines()[0]
        if body.strip():
            span = (pos, pos + len(body), pos, pos + len(body))
        pos += len(line)
    return span


def _extract_last_line(text):
    """The last line that is not blank, else None."""
    span = _extract_last_line_span(text)
    return None if span is None else text[span[0] : span[1]]


def _whole_span(text):
    """The whole text as a span."""
    return 0, len(text), 0, len(text)


def _strip_span(text, span):
    """`span` with the whitespace ``str.strip`` would remove taken off the answer (the block stays)."""
    if span is None:
        return None
    start, end, block_start, block_end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end, block_start, block_end
