"""The text of a completion as a rule reads it, for code outside the generated module.

These are the generated module's own helpers (rewardsmith.runtime.text), typed for the proposer,
the diagnostics and the workbench: one implementation of reading scopes.
"""

from __future__ import annotations

from typing import Any

from .runtime.text import _content, _messages, _text

__all__ = ["message_text", "messages_of", "scoped_text"]


def message_text(message: Any) -> str:
    """The text of one chat message: string content, or the text parts of a content list."""
    return _content(message)


def messages_of(completion: Any) -> list[Any] | None:
    """The messages of a conversational completion (a list, or {"messages": [...]}); None for a string."""
    return _messages(completion)


def scoped_text(completion: Any, scope: str) -> str:
    """The text a rule with `scope` reads (first / last / assistant / transcript)."""
    return _text(completion, scope)
