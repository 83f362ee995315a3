"""The LLM session: settings, cache, token caps, retries and accounting for one propose / refine run.

- litellm is imported on first use, never at rewardsmith's import (startup stays fast), with its
  cost map read from the installed package (no network fetch at import);
- every request runs on the one LLM event loop (:mod:`rewardsmith.propose.loop`), so several
  candidates run concurrently, a sync caller can cancel (a ``threading.Event`` the TUI sets) and the
  request is really aborted;
- per-request timeout; retries with exponential backoff (or the server's Retry-After) on 429, 5xx,
  timeouts and dropped connections; other 4xx fail at once with the server's message;
- hard caps on tokens per request (estimated before sending) and per session (reserved before
  sending, so concurrent candidates cannot overrun it together);
- an on-disk cache keyed by the request: the same request a second time makes no HTTP call;
- tokens and cost per call and per session from litellm's cost data (0 and flagged "unknown" for
  models litellm has no price for, such as a local server's).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..errors import BudgetExceeded, LLMCancelled, LLMError, LLMRequestError, LLMServerError, LLMTimeout
from .cache import RequestCache, request_key
from .loop import on_llm_loop, run_sync
from .settings import LLMSettings, resolve_settings
from .transport import (
    backoff,
    classify,
    cost_of,
    endpoint_id,
    litellm_module,
    provider_key_or_placeholder,
    read_response,
)
from .usage import CallRecord, Usage

__all__ = ["CHARS_PER_TOKEN", "MIN_COMPLETION_TOKENS", "LLMSession", "Progress", "settings_from"]

T = TypeVar("T")
Progress = Callable[..., Any]

CHARS_PER_TOKEN = 4  # for the pre-flight estimate; the reply's usage is what is counted
MIN_COMPLETION_TOKENS = 256  # below this a spec cannot be written: refuse rather than get a cut answer


def settings_from(settings: LLMSettings | None, model: str | None, api_base: str | None) -> LLMSettings:
    """`settings` with `model` / `api_base` put over it when given, else the settings resolved from them."""
    if settings is not None:
        if model or api_base:
            return settings.replace(**{k: v for k, v in (("model", model), ("api_base", api_base)) if v})
        return settings
    return resolve_settings(model=model, api_base=api_base)


class LLMSession:
    """Settings, cache, caps and accounting for one propose / refine run.

    Args:
        settings: model, endpoint, key and limits (see :mod:`rewardsmith.propose.settings`).
        cancel: set it (from any thread) to abort what is running and refuse new requests.
        progress: called with short status strings ("asking openai/gpt-4o-mini …").
    """

    def __init__(self, settings: LLMSettings, *, cancel: threading.Event | None = None,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self.cancel = cancel or threading.Event()
        self.progress = progress
        self.usage = Usage()
        self.cache = RequestCache(settings.cache_dir, enabled=settings.cache)
        self._reserved = 0  # tokens promised to requests in flight (the session cap counts them)
        self._structured: str | None = None

    # -- public
    def complete(self, messages: list[dict[str, str]], *, purpose: str, schema: dict[str, Any] | None = None) -> str:
        """One chat completion, sync; raises LLMCancelled when `cancel` is set meanwhile."""
        return run_sync(self.acomplete(messages, purpose=purpose, schema=schema), self.cancel)

    async def acomplete(self, messages: list[dict[str, str]], *, purpose: str,
                        schema: dict[str, Any] | None = None) -> str:
        """One chat completion on the LLM loop (await it from any loop)."""
        return await on_llm_loop(self._complete(messages, purpose, schema))

    def run(self, coro: Awaitable[T]) -> T:
        """Run a coroutine of this session's requests (several candidates, say) from sync code."""
        return run_sync(coro, self.cancel)

    def say(self, text: str) -> None:
        """Report progress, if someone listens."""
        if self.progress is not None:
            try:
                self.progress(text)
            except Exception:  # a broken progress display must not break the proposal
                pass

    # -- internals
    def _structure(self, schema: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
        """How to ask for JSON: the provider's json_schema where litellm knows it works, else the prompt."""
        if schema is None:
            return "none", None
        mode = self.settings.structured
        if mode == "auto":
            if self._structured is None:
                # A server of one's own (vLLM, llama.cpp, SGLang …) decodes to a schema; a hosted model
                # does where litellm knows it. A server that refuses is asked again without one.
                try:
                    known = bool(litellm_module().supports_response_schema(model=self.settings.model))
                except Exception:  # unknown model strings raise in some litellm versions
                    known = False
                self._structured = "json_schema" if known or self.settings.api_base else "none"
            mode = self._structured
        if mode == "json_schema":
            # Strict where a guided decoder enforces the schema (a server of one's own); OpenAI's strict
            # mode also wants every param required, which params with defaults are not.
            strict = bool(self.settings.api_base) and not self.settings.model.startswith(("azure/", "anthropic/"))
            return mode, {"type": "json_schema", "json_schema": {"name": "reward_spec", "schema": schema,
                                                                 "strict": strict}}
        if mode == "json_object":
            return mode, {"type": "json_object"}
        return "none", None

    def _estimate(self, messages: list[dict[str, str]]) -> int:
        return sum(len(m.get("content") or "") for m in messages) // CHARS_PER_TOKEN + 8 * len(messages)

    async def _complete(self, messages: list[dict[str, str]], purpose: str, schema: dict[str, Any] | None) -> str:
        s = self.settings
        if self.cancel.is_set():
            raise LLMCancelled("cancelled before the request was sent")
        mode, response_format = self._structure(schema)
        request: dict[str, Any] = {
            "model": s.model,
            "api_base": endpoint_id(s.api_base),
            "messages": messages,
            "response_format": response_format,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        }
        key = request_key(request)
        record = CallRecord(purpose=purpose, model=s.model, key=key, structured=mode)
        hit = self.cache.get(key)
        if hit is not None:
            record.cached = True
            record.prompt_tokens = int(hit.get("prompt_tokens", 0))
            record.completion_tokens = int(hit.get("completion_tokens", 0))
            record.cost = float(hit.get("cost", 0.0))
            record.cost_known = bool(hit.get("cost_known", True))
            record.finish_reason = hit.get("finish_reason")
            self.usage.calls.append(record)
            self.say(f"{purpose}: answered from the cache")
            return str(hit["content"])

        estimate = self._estimate(messages)
        if estimate + MIN_COMPLETION_TOKENS > s.max_request_tokens:
            raise BudgetExceeded(
                f"{purpose}: the prompt is about {estimate:,} tokens, over the per-request cap of "
                f"{s.max_request_tokens:,}; send fewer or shorter samples, or raise max_request_tokens"
            )
        completion_budget = min(s.max_tokens, s.max_request_tokens - estimate)
        remaining = s.max_session_tokens - self.usage.tokens - self._reserved
        if remaining - estimate < MIN_COMPLETION_TOKENS:
            raise BudgetExceeded(
                f"{purpose}: the session has used {self.usage.tokens:,} of its {s.max_session_tokens:,} "
                f"tokens ({self._reserved:,} more are promised to requests in flight); this request needs "
                f"about {estimate:,} + its answer. Raise max_session_tokens to go on"
            )
        completion_budget = min(completion_budget, remaining - estimate)
        reserved = estimate + completion_budget
        self._reserved += reserved
        began = time.perf_counter()
        try:
            response, attempts = await self._send(messages, response_format, completion_budget, purpose)
        finally:
            self._reserved -= reserved
        record.seconds = time.perf_counter() - began
        record.attempts = attempts
        content, usage, finish = read_response(response)
        record.prompt_tokens = usage[0] if usage[0] is not None else estimate
        record.completion_tokens = usage[1] if usage[1] is not None else len(content) // CHARS_PER_TOKEN
        record.finish_reason = finish
        record.cost, record.cost_known = cost_of(s.model, record.prompt_tokens, record.completion_tokens)
        self.usage.calls.append(record)
        self.cache.put(key, {
            "model": s.model,
            "content": content,
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
            "cost": record.cost,
            "cost_known": record.cost_known,
            "finish_reason": finish,
        })
        self.say(f"{purpose}: {record.tokens:,} tokens in {record.seconds:.1f} s")
        return content

    async def _send(self, messages: list[dict[str, str]], response_format: dict[str, Any] | None,
                    max_tokens: int, purpose: str) -> tuple[Any, int]:
        """One request with retries; returns (litellm response, attempts)."""
        litellm = litellm_module()
        s = self.settings
        kwargs: dict[str, Any] = {
            "model": s.model,
            "messages": messages,
            "temperature": s.temperature,
            "max_tokens": max_tokens,
            "timeout": s.timeout,
            "max_retries": 0,  # retries are ours: counted, backed off, cancellable
            "drop_params": True,  # providers that lack a parameter (temperature on o1 …) get it dropped
        }
        if s.api_base:
            kwargs["api_base"] = s.api_base
        if s.api_key is not None:
            kwargs["api_key"] = s.api_key.reveal()
        elif s.api_base:
            # An OpenAI-compatible server without auth still needs some key for the openai client;
            # a provider key from the environment wins if litellm finds one.
            kwargs["api_key"] = provider_key_or_placeholder(s.model)
        if response_format is not None:
            kwargs["response_format"] = response_format
        attempt = 0
        while True:
            attempt += 1
            self.say(f"{purpose}: asking {s.model}" + (f" (attempt {attempt})" if attempt > 1 else "") + " …")
            try:
                # The client's timeout covers connect and read; wait_for also bounds a server that
                # trickles bytes forever.
                response = await asyncio.wait_for(litellm.acompletion(**kwargs), timeout=s.timeout + 5)
                return response, attempt
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # litellm maps provider errors onto openai's classes
                verdict, message = classify(exc, s)
                if verdict == "format" and "response_format" in kwargs:
                    # The server rejects structured output: ask again with the JSON instructions only.
                    del kwargs["response_format"]
                    self._structured = "none"
                    attempt -= 1
                    continue
                if verdict in ("retry", "timeout") and attempt <= s.max_retries:
                    delay = backoff(exc, attempt, s)
                    self.say(f"{purpose}: {message}; retrying in {delay:.1f} s")
                    await asyncio.sleep(delay)
                    continue
                tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                if verdict == "timeout":
                    raise LLMTimeout(f"{s.model} did not answer within {s.timeout:g} s{tries}; "
                                     "raise the timeout or try again later") from None
                if verdict == "retry":
                    raise LLMServerError(f"{s.model}: {message}{tries}") from None
                if verdict in ("request", "format"):
                    raise LLMRequestError(f"{s.model}: {message}") from None
                raise LLMError(f"{s.model}: {message}") from None
