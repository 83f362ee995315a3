"""Proposers: turn samples (and a task) into a RewardSpec.

The offline proposer mines rules from the samples with no network and no LLM; it is the default.
"""

from __future__ import annotations

from .offline import propose_offline
from .llm import propose_llm  # noqa: E402  (litellm itself is imported only when a request is made)
from .refine import RefineOptions, refine  # noqa: E402

__all__ = ["RefineOptions", "propose_llm", "propose_offline", "refine"]
