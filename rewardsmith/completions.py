"""The text of a completion as a rule reads it, for code outside the generated module.

The generated module carries its own copy (templates/_runtime.jinja: `_content`, `_text`) because
it must run without rewardsmith; this is the same reading for the proposer, the diagnostics and the
workbench. tests/test_completions.py holds the two to the same answers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["message_text", "messages_of", "scoped_text"]


def message_text(message: Any) -> str:
    """The text of one chat message: string content, or the text parts of a content list."""
    content = message.get("content") if isinstance(message, dict) else message
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join((p.get("text") or "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def messages_of(completion: Any) -> list[Any] | None:
    """The messages of a conversational completion (a list, or {"messages": [...]}); None for a string."""
    if isinstance(completion, str):
        return None
    if isinstance(completion, dict):
        return list(completion.get("messages", [completion]))
    return list(completion)


def scoped_text(completion: Any, scope: str) -> str:
    """The text a rule with `scope` reads (first / last / assistant / transcript)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = completion.get("messages", [completion])
    if not completion:
        return ""
    if scope == "first":
        return message_text(completion[0])
    if scope == "transcript":
        return "\n".join(message_text(m) for m in completion)
    turns = [m for m in completion if not isinstance(m, dict) or m.get("role", "assistant") == "assistant"]
    if scope == "assistant":
        return "\n".join(message_text(m) for m in turns)
    return message_text(turns[-1]) if turns else ""
