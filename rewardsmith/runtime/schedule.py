"""Lengths and schedules the field's standard rewards use: token ids, a cosine by correctness, lengths
relative to the other completions of the same prompt, words of languages without spaces, proportional counts.

A rule that picks its value by correctness scores each completion as a pair (value if right, value if
wrong); ``_chosen`` takes one of the two by its gate's verdict.
"""

from __future__ import annotations

import math
import re

from .mathlib import _gold_aliases, _math_normalize, _math_value, _math_verify_available
from .text import _text

__all__ = [
    "_FILLED",
    "_JIEBA",
    "_chosen",
    "_completion_ids",
    "_cosine_pair",
    "_filled_pattern",
    "_ids_completions",
    "_math_gold_parses",
    "_relative_pairs",
    "_repetition_ids",
    "_row_value",
    "_sizes",
    "_words",
]

_JIEBA = []


def _ids_completions(completions, kwargs):
    """The completions, or one empty text per row of `completion_ids` when the call passed only the ids."""
    if completions is None:
        ids = kwargs.get("completion_ids")
        if ids is None:
            raise TypeError("this reward needs `completions` or `completion_ids` (TRL passes both)")
        return [""] * len(ids)
    return completions


def _completion_ids(kwargs, i, text):
    """The token ids TRL passes for completion i; where the call has none (a sample file), the text's UTF-8 bytes."""
    ids = kwargs.get("completion_ids")
    if ids is None:
        return list(text.encode("utf-8"))
    return list(ids[i])


def _words(text, splitter):
    """The words of `text`: split at whitespace, or cut by jieba for Chinese (imported when first used)."""
    if splitter == "zh":
        if not _JIEBA:
            import jieba  # this rule needs jieba: pip install jieba

            _JIEBA.append(jieba)
        return [w for w in _JIEBA[0].lcut(text) if w.strip()]
    return text.split()


def _sizes(completions, scope, unit, splitter, kwargs):
    """The length of every completion of the call in `unit`: chars, words (by `splitter`) or token ids."""
    out = []
    for i, completion in enumerate(completions):
        text = _text(completion, scope)
        if unit == "completion_ids":
            out.append(len(_completion_ids(kwargs, i, text)))
        elif unit == "words":
            out.append(len(_words(text, splitter)))
        else:
            out.append(len(text))
    return out


def _cosine_pair(size, max_len, min_correct, max_correct, min_wrong, max_wrong, clamp):
    """(score if right, score if wrong) on a cosine from length 0 to `max_len`.

    Right: max_correct at length 0 falling to min_correct at max_len (shorter is better). Wrong: min_wrong
    at length 0 rising to max_wrong at max_len (a long wrong attempt is punished less). With `clamp` a
    length past max_len stays at the max_len value (the cosine would climb back up).
    """
    progress = size / max_len
    if clamp:
        progress = min(progress, 1.0)
    cosine = math.cos(progress * math.pi)
    right = min_correct + 0.5 * (max_correct - min_correct) * (1.0 + cosine)
    wrong = max_wrong + 0.5 * (min_wrong - max_wrong) * (1.0 + cosine)
    return float(right), float(wrong)


def _relative_pairs(prompts, sizes):
    """Per completion, (score if right, score if wrong) against the other completions of its prompt.

    Kimi 1.5's length reward: lambda = 0.5 - (len - shortest) / (longest - shortest) within the group
    (the completions with the same prompt; the whole call when there are no prompts); right scores
    lambda, wrong min(0, lambda); a group whose completions are all one length scores 0.0.
    """
    keys = [repr(p) for p in prompts] if prompts is not None and len(prompts) == len(sizes) else [""] * len(sizes)
    bounds = {}
    for key, size in zip(keys, sizes):
        low, high = bounds.get(key, (size, size))
        bounds[key] = (min(low, size), max(high, size))
    pairs = []
    for key, size in zip(keys, sizes):
        low, high = bounds[key]
        if high == low:
            pairs.append((0.0, 0.0))
            continue
        value = 0.5 - (size - low) / (high - low)
        pairs.append((float(value), float(min(0.0, value))))
    return pairs


def _chosen(pairs, passed):
    """For each completion the first of its pair where its gate passed, the second where it failed, None where
    either does not apply."""
    return [None if pair is None or ok is None else (pair[0] if ok else pair[1]) for pair, ok in zip(pairs, passed)]


def _repetition_ids(ids, n, max_penalty):
    """max_penalty times the share of repeated n-grams of token ids (0.0 for fewer than n tokens)."""
    grams = [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]
    if not grams:
        return 0.0
    return max_penalty * (1.0 - len(set(grams)) / len(grams)) + 0.0


_FILLED = {}


def _row_value(kwargs, name, i, default):
    """Row i of the column `name` as text, or `default` where the call has no such column (or a None there)."""
    values = kwargs.get(name)
    if values is None or isinstance(values, (str, bytes)):
        return default if values is None else str(values)
    value = values[i]
    return default if value is None else str(value)


def _filled_pattern(pieces, value, flags):
    """The pattern `pieces` joined by `value` regex-escaped (a column's text never acts as regex), compiled once."""
    key = (tuple(pieces), value, flags)
    pattern = _FILLED.get(key)
    if pattern is None:
        if len(_FILLED) > 256:
            _FILLED.clear()
        pattern = _FILLED[key] = re.compile(re.escape(value).join(pieces), flags)
    return pattern


def _math_gold_parses(gold):
    """Whether the gold reads as mathematics: a value the stdlib path reads, or (installed) math-verify's parse.

    TRL and open-r1 skip a row whose gold math-verify cannot parse ("forty two"); the stdlib path alone
    would compare such a gold as text.
    """
    aliases = [alias for alias in _gold_aliases(gold) if alias]
    if any(_math_value(_math_normalize(alias)) is not None for alias in aliases):
        return True
    if not _math_verify_available():
        return False
    from math_verify import parse

    # no signal-based timeout: it only works on the main thread
    return any(parse(alias, parsing_timeout=None) for alias in aliases)
