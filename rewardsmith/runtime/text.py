"""Text and scopes: what a rule reads from a completion, reference columns, the prompt's question."""

from __future__ import annotations

__all__ = ["_as_list", "_column", "_content", "_messages", "_prompt_question", "_scoped", "_text", "_text_turns"]


def _content(message):
    """The text of one chat message (string content, or the text parts of a content list)."""
    content = message.get("content") if isinstance(message, dict) else message
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text") or "" if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def _messages(completion):
    """The messages of a completion (a list, {"messages": [...]} or one message dict); None for a string."""
    if isinstance(completion, str):
        return None
    if not completion:
        return []
    if isinstance(completion, dict):
        return list(completion.get("messages", [completion]))
    return list(completion)


def _scoped(messages, scope):
    """Indices of the messages a scope reads.

    scope: "first" = completion[0]; "last" = the last assistant message; "assistant" = every
    assistant message; "transcript" = every message, tool turns included. A message without a
    role counts as the assistant's.
    """
    if not messages:
        return []
    if scope == "first":
        return [0]
    if scope == "transcript":
        return list(range(len(messages)))
    turns = [i for i, m in enumerate(messages) if not isinstance(m, dict) or m.get("role", "assistant") == "assistant"]
    return turns if scope == "assistant" else turns[-1:]


def _text(completion, scope):
    """The text a rule reads from a completion: a string, a message list or {"messages": [...]}.

    The messages its scope picks, joined by newlines; a string is the text under every scope.
    """
    messages = _messages(completion)
    if messages is None:
        return completion
    return "\n".join(_content(messages[i]) for i in _scoped(messages, scope))


def _text_turns(completion, scope):
    """The text `_text` reads, and (message index, offset of its text) for each message in it."""
    messages = _messages(completion)
    if messages is None:
        return completion, [(0, 0)]
    parts, offsets, pos = [], [], 0
    for i in _scoped(messages, scope):
        part = _content(messages[i])
        offsets.append((i, pos))
        parts.append(part)
        pos += len(part) + 1  # the newline between turns
    return "\n".join(parts), offsets


def _column(kwargs, name, count, rule):
    """A reference column as TRL passes it: one value per completion."""
    if name not in kwargs or kwargs[name] is None:
        raise KeyError(
            f"reward {rule!r} needs the dataset column {name!r}, but the call only had "
            f"{sorted(kwargs)}; TRL passes every dataset column to reward functions as a "
            f"keyword, so add a {name!r} column to the training dataset"
        )
    values = kwargs[name]
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        values = [values] * count
    if len(values) != count:
        raise ValueError(f"reward {rule!r}: column {name!r} has {len(values)} values for {count} completions")
    return list(values)


def _as_list(value):
    """A reference that may hold several accepted answers, as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _prompt_question(prompts, i):
    """The question a completion answers: the last user message of its prompt (or the prompt text)."""
    if prompts is None or i >= len(prompts):
        return ""
    prompt = prompts[i]
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, dict):
        prompt = prompt.get("messages", [prompt])
    users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
    return _content(users[-1]) if users else ""
