"""Behaviour across a completion: repetition."""

from __future__ import annotations

__all__ = ["_repetition"]


def _repetition(text, n, max_penalty):
    """max_penalty times the share of repeated word n-grams (0.0 for text shorter than n words)."""
    words = text.lower().split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return max_penalty * (1.0 - len(set(grams)) / len(grams)) + 0.0
