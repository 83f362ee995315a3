"""Gold answers as the accepted answers they stand for: wrappers (``\\boxed{}``, ``$…$``, ``####``, quotes, a
quoted list of aliases) removed.

One implementation for everyone who reads a gold column: the answer kinds' ``reference_unwrap`` param, the math
kinds (which always unwrap) and the offline proposer's answer slots (``rewardsmith.propose.slots``).
"""

from __future__ import annotations

import ast
import json
import re

__all__ = [
    "_BOXED_HEAD",
    "_GOLD_DELIMS",
    "_GOLD_DOLLARS",
    "_GOLD_QUOTES",
    "_GOLD_TEXT_WRAP",
    "_GSM8K_MARK",
    "_gold_aliases",
    "_gold_list",
    "_gold_peel",
    "_gold_reference",
    "_last_boxed",
    "_unwrap_gold",
]

_BOXED_HEAD = re.compile(r"\\(?:boxed|fbox)\s*")
_GSM8K_MARK = re.compile(r"####\s*")
_GOLD_DOLLARS = re.compile(r"^\$+(.*?)\$+$", re.S)
_GOLD_DELIMS = re.compile(r"^\\\((.*)\\\)$|^\\\[(.*)\\\]$", re.S)
_GOLD_TEXT_WRAP = re.compile(r"^\\(?:text|textbf|mathrm)\s*\{([^{}]*)\}$")
_GOLD_QUOTES = ('""', "''", "``", "\u201c\u201d", "\u2018\u2019")


def _last_boxed(text: str) -> str | None:
    """Return the content of the last ``\\boxed{...}`` (or ``\\fbox``) in ``text``, braces balanced, else None."""
    starts = [m.end() for m in _BOXED_HEAD.finditer(text)]
    for start in reversed(starts):
        if start < len(text) and text[start] == "{":
            depth = 0
            for i in range(start, len(text)):
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    depth -= 1
                    if depth == 0:
                        return text[start + 1:i].strip()
        else:
            # "\boxed 4": the argument is the next token
            token = text[start:].split(None, 1)
            if token and token[0] not in "{$":
                return token[0].rstrip(".,;$")
    return None


def _gold_list(text: str) -> list | None:
    """Read a cell holding a JSON or Python list of aliases (``"['\\\\boxed{4}']"``); None when it holds none.

    A list of several numbers is not a list of aliases: ``[1, 2]`` and ``(1,2,3)`` are math answers (an interval, a
    tuple).
    """
    if not (text[:1] in "[(" and text[-1:] in "])"):
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            continue
        if isinstance(parsed, (list, tuple)) and (len(parsed) == 1 or all(isinstance(i, str) for i in parsed)):
            return list(parsed)
    return None


def _gold_peel(text: str) -> str:
    """Peel wrappers off one gold text until none is left: ``$\\\\boxed{4}$`` -> ``4``, ``… #### 72`` -> ``72``."""
    for _ in range(8):
        before = text
        marks = list(_GSM8K_MARK.finditer(text))
        if marks:
            text = text[marks[-1].end():]
        boxed = _last_boxed(text)
        if boxed is not None:
            text = boxed
        stripped = text.strip()
        match = _GOLD_DOLLARS.match(stripped) or _GOLD_DELIMS.match(stripped) or _GOLD_TEXT_WRAP.match(stripped)
        if match:
            text = next(group for group in match.groups() if group is not None)
        elif len(stripped) >= 2 and any(stripped[0] == q[0] and stripped[-1] == q[1] for q in _GOLD_QUOTES):
            text = stripped[1:-1]
        text = text.strip()
        if text == before:
            break
    return text


def _gold_aliases(gold: object) -> list[str]:
    """Unwrap a gold column's value into its bare answers, best first.

    Accepts a string, a number, a list or tuple of aliases, or a string holding a JSON/Python list
    (``"['\\\\boxed{4}']"``); unwraps ``\\boxed{...}``, ``$...$``, ``\\(...\\)``, ``\\text{...}``, a GSM8K ``#### 4``
    tail and quotes. Empty aliases are dropped; a mapping or a bool is no answer.
    """
    if gold is None or isinstance(gold, (bool, dict)):
        return []
    if isinstance(gold, (int, float)):
        return [str(gold)]
    if isinstance(gold, (list, tuple)):
        return [alias for item in gold for alias in _gold_aliases(item)]
    text = str(gold).strip()
    items = _gold_list(text)
    if items is not None:
        return [alias for item in items for alias in _gold_aliases(item)]
    text = _gold_peel(text)
    return [text] if text else []


def _unwrap_gold(gold: object) -> str | None:
    """Return the first bare answer of a gold value (see :func:`_gold_aliases`), or None when there is none."""
    aliases = _gold_aliases(gold)
    return aliases[0] if aliases else None


def _gold_reference(gold: object) -> object:
    """A reference cell unwrapped for the answer kinds: one answer as a string, several as a list, none as None."""
    aliases = _gold_aliases(gold)
    if not aliases:
        return None
    return aliases[0] if len(aliases) == 1 else aliases
