"""litellm, the one client: imported on first use, its errors sorted into what to do, its replies and prices read.

Nothing here keeps state between requests; :class:`rewardsmith.propose.session.LLMSession` decides
what to send, when to retry and what it may spend.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from typing import Any

from ..errors import LLMError, LLMUnavailable
from .settings import LLMSettings, scrub

__all__ = [
    "backoff",
    "classify",
    "cost_of",
    "endpoint_id",
    "litellm_module",
    "provider_key_or_placeholder",
    "read_response",
]


_litellm_lock = threading.Lock()


def litellm_module() -> Any:
    """litellm, imported on first use with its bundled cost map (no network fetch at import)."""
    with _litellm_lock:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        try:
            import litellm
        except ImportError as exc:
            raise LLMUnavailable(
                f"the LLM proposer needs litellm ({exc}); install it with: pip install 'rewardsmith[llm]'"
            ) from None
        litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on the user's terminal
        return litellm


def endpoint_id(api_base: str | None) -> str | None:
    """The endpoint as part of the cache key (answers differ per server); credentials never."""
    if not api_base:
        return None
    return re.sub(r"//[^/@]*@", "//", api_base.rstrip("/"))


def provider_key_or_placeholder(model: str) -> str:
    """The provider's own key variable (OPENAI_API_KEY for openai/…), else a placeholder.

    Only the variable of the model's provider: a key for one service is never sent to another's URL.
    """
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    name = re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_API_KEY"
    return os.environ.get(name) or "no-key"


def _status(exc: BaseException) -> int | None:
    """The HTTP status an error carries, on itself or on its response."""
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def classify(exc: BaseException, s: LLMSettings) -> tuple[str, str]:
    """(retry | timeout | request | format | other, a one-line message without secrets)."""
    litellm = litellm_module()
    text = scrub(" ".join(str(exc).split()), s.api_key)
    text = re.sub(r"^litellm\.\w+: ", "", text)[:400]
    if isinstance(exc, (asyncio.TimeoutError, litellm.Timeout)):
        return "timeout", f"no answer within {s.timeout:g} s"
    status = _status(exc)
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return "retry", f"rate limited (429): {text}"
    if isinstance(exc, (litellm.InternalServerError, litellm.ServiceUnavailableError, litellm.BadGatewayError,
                        litellm.APIConnectionError)) or (status is not None and status >= 500):
        return "retry", f"server error ({status or 'connection'}): {text}"
    if isinstance(exc, litellm.AuthenticationError) or status in (401, 403):
        return "request", f"the server refused the credentials ({status}); check the API key: {text}"
    if isinstance(exc, litellm.NotFoundError) or status == 404:
        return "request", f"not found (404): is the model name right for this server? {text}"
    if isinstance(exc, litellm.BadRequestError) or status in (400, 422):
        if "response_format" in text or "json_schema" in text:
            return "format", f"the server rejected structured output: {text}"
        return "request", f"bad request ({status}): {text}"
    if isinstance(exc, litellm.APIError) and status is None:
        return "retry", f"API error: {text}"
    return "other", f"{type(exc).__name__}: {text}"


def backoff(exc: BaseException, attempt: int, s: LLMSettings) -> float:
    """Retry-After when the server sends one, else backoff × 2^(attempt-1); capped at max_backoff."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or getattr(exc, "litellm_response_headers", None)
    if headers is not None:
        try:
            value = headers.get("retry-after")
            if value is not None:
                return max(0.0, min(float(value), s.max_backoff))
        except (TypeError, ValueError, AttributeError):
            pass
    return min(s.backoff * 2 ** (attempt - 1), s.max_backoff)


def read_response(response: Any) -> tuple[str, tuple[int | None, int | None], str | None]:
    """(content, (prompt tokens, completion tokens), finish reason) of a reply; None where it says nothing."""
    try:
        choice = response.choices[0]
        content = choice.message.content or ""
        finish = getattr(choice, "finish_reason", None)
    except (AttributeError, IndexError, TypeError):
        raise LLMError("the server's reply has no message (choices[0].message is missing)") from None
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None) if usage is not None else None
    completion = getattr(usage, "completion_tokens", None) if usage is not None else None
    return str(content), (prompt, completion), finish


def cost_of(model: str, prompt_tokens: int, completion_tokens: int) -> tuple[float, bool]:
    """USD from litellm's price table; (0.0, False) for a model it has no price for."""
    try:
        p, c = litellm_module().cost_per_token(model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        return float(p) + float(c), True
    except Exception:  # unmapped model (local servers): cost unknown
        return 0.0, False

