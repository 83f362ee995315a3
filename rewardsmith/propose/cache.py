"""The on-disk request cache: an identical request is answered from disk, with no call at all.

The key is a SHA-256 of the request as sent — model, endpoint, messages, response format and
sampling parameters — in canonical JSON. The API key is not part of the request dict and never
reaches this module, so it is neither hashed nor stored. Entries hold the reply text, its token
usage and cost (so a cached answer still reports what it cost the first time), one JSON file each,
written atomically; a corrupt entry counts as a miss and is overwritten.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from ..fsutil import write_atomic

__all__ = ["CACHE_VERSION", "RequestCache", "request_key"]

CACHE_VERSION = 1  # part of every key: a change of entry layout starts a fresh cache


def request_key(request: dict[str, Any]) -> str:
    """The cache key of a request (a dict of what is sent, without credentials)."""
    blob = json.dumps({"v": CACHE_VERSION, **request}, sort_keys=True, ensure_ascii=True, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class RequestCache:
    """Reply cache under `directory`/llm/; a disabled cache answers nothing and stores nothing."""

    def __init__(self, directory: Path | None, *, enabled: bool = True) -> None:
        self.directory = Path(directory) / "llm" if directory is not None else None
        self.enabled = enabled and directory is not None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("content"), str):
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if not self.enabled:
            return
        data = {"key": key, "stored": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry}
        try:
            write_atomic(self._path(key), json.dumps(data, indent=1, sort_keys=True) + "\n")
        except OSError:
            # A read-only or full cache must not fail a proposal that already succeeded.
            self.enabled = False
