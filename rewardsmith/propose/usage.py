"""Tokens and cost: one record per chat request, summed per session (cached answers flagged: they cost nothing now)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CallRecord", "Usage"]


@dataclass
class CallRecord:
    """One chat request: what it cost and how it went (no prompt text, no key)."""

    purpose: str
    model: str
    key: str  # the cache key (a hash of the request)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cost_known: bool = True
    cached: bool = False
    seconds: float = 0.0
    attempts: int = 0
    finish_reason: str | None = None
    structured: str = "none"

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_data(self) -> dict[str, Any]:
        return {**asdict(self), "tokens": self.tokens}


@dataclass
class Usage:
    """Tokens and cost of a session: every call, cached ones flagged (they cost nothing now)."""

    calls: list[CallRecord] = field(default_factory=list)

    @property
    def http_calls(self) -> int:
        return sum(1 for c in self.calls if not c.cached)

    @property
    def cached_calls(self) -> int:
        return sum(1 for c in self.calls if c.cached)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls if not c.cached)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls if not c.cached)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.calls if not c.cached)

    @property
    def cost_known(self) -> bool:
        return all(c.cost_known for c in self.calls)

    def since(self, start: int) -> Usage:
        """The calls made after the first `start` (one round's share of a session)."""
        return Usage(self.calls[start:])

    def summary(self) -> str:
        cached = f" + {self.cached_calls} from the cache" if self.cached_calls else ""
        cost = f"${self.cost:.4f}"
        if not self.cost_known:
            models = sorted({c.model for c in self.calls if not c.cost_known})
            cost += f" (litellm has no price for {', '.join(models)}: counted as $0)"
        return (f"{self.http_calls} call(s){cached}, {self.tokens:,} tokens "
                f"({self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion), {cost}")

    def to_data(self) -> dict[str, Any]:
        return {
            "http_calls": self.http_calls,
            "cached_calls": self.cached_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens": self.tokens,
            "cost_usd": self.cost,
            "cost_known": self.cost_known,
            "cost_note": None if self.cost_known else "litellm has no price for this model (a local server?): counted as $0",
            "calls": [c.to_data() for c in self.calls],
        }
