"""Long text shortened for a reader: its head and tail, with a marker where the middle was cut.

Prompts show samples this way, and error messages show what a model sent back; both sit low in
the layers (:mod:`rewardsmith.errors` imports this), so it is its own module.
"""

from __future__ import annotations

__all__ = ["CUT_MARKER", "excerpt"]

CUT_MARKER = "[… {n} characters cut …]"


def excerpt(text: str, limit: int) -> str:
    """`text`, or its head and tail with a marker where the middle was cut.

    The tail is kept because answers sit at the end of completions; the head, because tags and
    the first reasoning steps show the format.
    """
    if len(text) <= limit:
        return text
    head = int(limit * 0.55)
    tail = limit - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n{CUT_MARKER.format(n=cut)}\n{text[-tail:]}"
