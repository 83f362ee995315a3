"""One reading of a batch, shared by the rules of a module.

TRL calls each reward function in turn with the same ``completions`` list. The first call reads each
completion once (its text under a scope, the answer an extraction takes, the count of a pattern) and keeps
the reading; the calls after it take it from there. A reading is found by the identity and length of the
list and then checked against a shallow copy of it, item by item by identity, so a list that was changed
(an item replaced, appended, removed) or reused (the same object refilled, or a new list at a freed
address) is read again. Only the last few batches are kept.

The rules skip the regex engine on texts that cannot match: what a pattern needs before it can match (a
literal the text must hold), and when counting its matches is counting a literal, are worked out at render
(rewardsmith.patterns) and written into the module as constants.
"""

from __future__ import annotations


from .extract import (
    _extract_after_tag,
    _extract_boxed,
    _extract_last_line,
    _extract_regex,
    _extract_xml_tag,
)
from .text import _text

__all__ = [
    "_BATCHES",
    "_BATCH_SLOTS",
    "_answers",
    "_batch",
    "_match_counts",
    "_has_border",
    "_split_answer",
    "_split_answers",
    "_texts",
    "_texts_at_c_speed",
]

_BATCH_SLOTS = 4  # batches kept: TRL scores one at a time; a few more cover a caller that interleaves two
_BATCHES = {}  # (id(list), len(list)) -> (copy of the list, the ids of its items, {reading key: a value per item})


def _batch(completions):
    """The readings of this batch so far (a dict to fill), new when the list is not the one read before."""
    key = (id(completions), len(completions))
    ids = list(map(id, completions))
    found = _BATCHES.get(key)
    if found is not None:
        _, known, readings = found
        if known == ids:
            return readings
        del _BATCHES[key]
    while len(_BATCHES) >= _BATCH_SLOTS:
        del _BATCHES[next(iter(_BATCHES))]
    readings = {}
    # the copy keeps the items alive, so no other object can take one's address (and id) meanwhile
    _BATCHES[key] = (list(completions), ids, readings)
    return readings


def _texts(readings, completions, scope):
    """The text of each completion under `scope`, as _text reads it (read once per batch)."""
    key = ("text", scope)
    texts = readings.get(key)
    if texts is None:
        texts = _texts_at_c_speed(completions, scope)
        if texts is None:
            first = scope == "first"
            # Read one by one, the common shapes directly: a string, or a message list whose scoped message
            # is a dict with string content (the first message, or the only one when it is the assistant's).
            texts = [
                c if c.__class__ is str
                else t if c.__class__ is list and c and c[0].__class__ is dict
                and (first or (len(c) == 1 and (scope == "transcript" or c[0].get("role", "assistant") == "assistant")))
                and (t := c[0].get("content")).__class__ is str
                else _text(c, scope)
                for c in completions
            ]
        readings[key] = texts
    return texts


def _texts_at_c_speed(completions, scope):
    """The texts of a batch of one common shape, read in one comprehension; else None (read one by one).

    All strings (the text under every scope), or, under scope "first", message lists whose first message
    holds string content: ``completion[0]["content"]``, as the hand-written rewards read it.
    """
    if completions and completions[0].__class__ is str:
        return list(completions) if set(map(type, completions)) == {str} else None
    if scope != "first":
        return None
    try:
        # `{}[None]` raises KeyError: the way out of the comprehension at the first completion of another shape
        return [t if c.__class__ is list and (t := c[0]["content"]).__class__ is str else {}[None] for c in completions]
    except (IndexError, KeyError, TypeError):  # an empty list, a message without content or not a dict
        return None


def _split_answer(text, start, end, index):
    """What _extract_split returns, without working out the span."""
    try:
        piece = text.split(start)[index]
    except IndexError:
        return ""
    if end:
        cut = piece.find(end)
        if cut >= 0:
            return piece[:cut]
    return piece


def _has_border(marker):
    """Whether a proper prefix of `marker` is also its suffix: only then can two occurrences overlap."""
    return any(marker[:k] == marker[-k:] for k in range(1, len(marker)))


def _split_answers(texts, start, end, index, strip):
    """_split_answer of each text, stripped when `strip`, in one comprehension for the common indices; else None.

    partition finds the first occurrence as split does; rpartition the last one, which is split's last piece
    when occurrences of `start` cannot overlap. A missing piece reads as "", as _split_answer's IndexError.
    """
    if index == 0:
        if end:
            return [t.partition(start)[0].partition(end)[0].strip() for t in texts] if strip else [
                t.partition(start)[0].partition(end)[0] for t in texts]
        return [t.partition(start)[0].strip() for t in texts] if strip else [t.partition(start)[0] for t in texts]
    if index == 1:
        if end:
            return [t.partition(start)[2].partition(start)[0].partition(end)[0].strip() for t in texts] if strip else [
                t.partition(start)[2].partition(start)[0].partition(end)[0] for t in texts]
        return [t.partition(start)[2].partition(start)[0].strip() for t in texts] if strip else [
            t.partition(start)[2].partition(start)[0] for t in texts]
    if index == -1 and not _has_border(start):
        if end:
            return [t.rpartition(start)[2].partition(end)[0].strip() for t in texts] if strip else [
                t.rpartition(start)[2].partition(end)[0] for t in texts]
        return [t.rpartition(start)[2].strip() for t in texts] if strip else [t.rpartition(start)[2] for t in texts]
    return None


def _answers(readings, completions, scope, how, strip):
    """The answer each completion's text gives under extraction `how`, stripped when `strip`; None where absent.

    how: ("whole",), ("split", start, end, index), ("xml_tag", pattern, need, last), ("after_tag", close, last),
    ("regex", pattern, need, group, last), ("boxed", last) or ("last_line",); `need` is the pattern's
    required literal (_required_literal), "" when it has none.
    """
    key = ("answer", scope, how, strip)
    answers = readings.get(key)
    if answers is not None:
        return answers
    texts = _texts(readings, completions, scope)
    method = how[0]
    if method == "whole":
        answers = texts
    elif method == "split":
        _, start, end, index = how
        answers = _split_answers(texts, start, end, index, strip)
        if answers is not None:
            readings[key] = answers
            return answers
        answers = [_split_answer(t, start, end, index) for t in texts]
    elif method == "xml_tag":
        _, pattern, need, last = how
        answers = [_extract_xml_tag(t, pattern, last) if need in t else None for t in texts]
    elif method == "after_tag":
        _, close, last = how
        answers = [_extract_after_tag(t, close, last) for t in texts]
    elif method == "regex":
        _, pattern, need, group, last = how
        answers = [_extract_regex(t, pattern, group, last) if need in t else None for t in texts]
    elif method == "boxed":
        answers = [_extract_boxed(t, how[1]) if "\\" in t else None for t in texts]
    else:
        answers = [_extract_last_line(t) for t in texts]
    if strip:
        answers = [a if a is None else a.strip() for a in answers]
    readings[key] = answers
    return answers


def _match_counts(readings, completions, scope, pattern, need, literal):
    """How many times `pattern` matches each completion's text (len of findall), read once per batch.

    `need` is the pattern's _required_literal and `literal` its _literal_count, worked out when the
    module was rendered.
    """
    key = ("count", scope, pattern)
    counts = readings.get(key)
    if counts is None:
        texts = _texts(readings, completions, scope)
        if literal is not None:
            counts = [t.count(literal) for t in texts]
        else:
            findall = pattern.findall
            counts = [len(findall(t)) if need in t else 0 for t in texts]
        readings[key] = counts
    return counts
