"""Audit reward functions rewardsmith did not write: the diagnostics on them, and the equivalent spec."""

from __future__ import annotations

from .run import Audit, answer_markup, audit, pseudo_spec
from .source import AuditError, AuditSource, FunctionFacts, analyse, build_source, locate

__all__ = ["Audit", "AuditError", "AuditSource", "FunctionFacts", "analyse", "answer_markup", "audit",
           "build_source", "locate", "pseudo_spec"]
