"""Normalisation and comparison: canonical numbers, token F1, the tiers of partial credit, keywords."""

from __future__ import annotations

import collections
import math
import re
import unicodedata

from .numbers import _parse_number

__all__ = [
    "_ARTICLES",
    "_NUMBER_TOKEN",
    "_WHITESPACE",
    "_canonical_number",
    "_contains_keyword",
    "_normalize",
    "_tier_passes",
    "_token_f1",
]

_ARTICLES = re.compile(r"\b(?:a|an|the)\b", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?")
_WHITESPACE = re.compile(r"\s+")


def _canonical_number(match):
    """A number token written one way: "1,000.50" -> "1000.5", "$3" -> "3" (a re.sub callback)."""
    raw = match.group(0).replace("$", "").replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return match.group(0)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _normalize(text, options):
    """Normalise for comparison.

    options = (strip, lower, whitespace, punctuation, articles, numbers, no_whitespace).
    """
    strip, lower, whitespace, punctuation, articles, numbers, no_whitespace = options
    if numbers:
        text = _NUMBER_TOKEN.sub(_canonical_number, text)
    if lower:
        text = text.lower()
    if punctuation:
        text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    if articles:
        text = _ARTICLES.sub(" ", text)
    if whitespace:
        text = " ".join(text.split())
    if no_whitespace:
        text = "".join(text.split())
    if strip:
        text = text.strip()
    return text


def _token_f1(prediction, reference):
    """SQuAD-style F1 over whitespace tokens of two already-normalised strings."""
    pred, ref = prediction.split(), reference.split()
    if not pred or not ref:
        return float(pred == ref)
    same = sum((collections.Counter(pred) & collections.Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def _tier_passes(test, min_f1, answer, reference, options):
    """Whether `answer` passes one tier (exact, normalized, contains, numeric, f1) against `reference`."""
    if test == "exact":
        return answer.strip() == reference.strip()
    got, want = _normalize(answer, options), _normalize(reference, options)
    if test == "normalized":
        return got == want
    if test == "contains":
        return bool(want) and f" {want} " in f" {' '.join(got.split())} "
    if test == "numeric":
        x, y = _parse_number(answer), _parse_number(reference)
        return x is not None and y is not None and math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)
    return _token_f1(got, want) >= min_f1


def _contains_keyword(text, keyword, case_sensitive, word_boundary):
    """Whether `keyword` occurs in `text` (as a whole word when `word_boundary`)."""
    if not case_sensitive:
        text, keyword = text.lower(), keyword.lower()
    if not word_boundary:
        return keyword in text
    return re.search(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", text) is not None
