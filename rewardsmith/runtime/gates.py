"""Gates: a rule that pays only where a verifier passes, so shaping cannot be farmed by wrong answers."""

from __future__ import annotations

__all__ = ["_gated"]


def _gated(scores, passed):
    """Each score where its gate passed, 0.0 where it failed, None where either does not apply."""
    return [None if score is None or ok is None else (score if ok else 0.0) for score, ok in zip(scores, passed)]
