"""Proposers: turn samples (and a task) into a RewardSpec.

The offline proposer mines rules from the samples with no network and no LLM; it is the default.
"""

from __future__ import annotations

from .offline import propose_offline

__all__ = ["propose_offline"]
