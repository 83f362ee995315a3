"""rewardsmith: design, test and export rule-based GRPO reward functions."""

from __future__ import annotations

from .errors import (
    AuditError,
    BenchError,
    BudgetExceeded,
    ExportError,
    LLMCancelled,
    LLMConfigError,
    LLMError,
    LLMOutputError,
    LLMRequestError,
    LLMServerError,
    LLMTimeout,
    LLMUnavailable,
    OutputError,
    PatternTimeout,
    PersonaError,
    RenderError,
    RewardsmithError,
    SampleError,
    SpecError,
    TrialError,
)

__version__ = "0.1.0"
__all__ = [
    "AuditError",
    "BenchError",
    "BudgetExceeded",
    "ExportError",
    "LLMCancelled",
    "LLMConfigError",
    "LLMError",
    "LLMOutputError",
    "LLMRequestError",
    "LLMServerError",
    "LLMTimeout",
    "LLMUnavailable",
    "OutputError",
    "PatternTimeout",
    "PersonaError",
    "RenderError",
    "RewardsmithError",
    "SampleError",
    "SpecError",
    "TrialError",
    "__version__",
]
