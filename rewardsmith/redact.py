"""One place that keeps secrets out of everything rewardsmith writes or prints.

A key the process holds (an LLM provider's, a judge's) is registered here when it is read; every file written
through :mod:`rewardsmith.fsutil` and every line the CLI prints passes through :func:`redact`, so a key echoed back
by a remote server in an error body (an endpoint that repeats the ``Authorization`` header, say) is masked too,
not only the messages rewardsmith builds itself.
"""

from __future__ import annotations

import sys
import threading
import urllib.parse
from typing import Any

__all__ = ["MASK", "RedactingStream", "forget_secrets", "redact", "register_secret"]

MASK = "***"
_MIN_LENGTH = 6  # shorter values would mask ordinary words
_lock = threading.Lock()
_forms: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Mask `value` (and its URL-encoded form) in everything written or printed from now on."""
    global _forms
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        found = set(_forms) | {value, urllib.parse.quote(value, safe="")}
        _forms = tuple(sorted(found, key=len, reverse=True))


def forget_secrets() -> None:
    """Drop every registered secret (for tests)."""
    global _forms
    with _lock:
        _forms = ()


def redact(text: str) -> str:
    """`text` with every registered secret replaced by :data:`MASK`."""
    for form in _forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


class RedactingStream:
    """``sys.stdout`` or ``sys.stderr``, looked up at each write (tests swap them), with secrets masked."""

    def __init__(self, name: str) -> None:
        self._name = name

    def write(self, text: str) -> int:
        getattr(sys, self._name).write(redact(text))
        return len(text)

    def __getattr__(self, attr: str) -> Any:  # isatty, fileno, flush, encoding … as the real stream has them
        return getattr(getattr(sys, self._name), attr)
