"""The LLM proposer: a model (any provider litellm speaks) writes a reward *spec*; rewardsmith validates it.

Nothing the model returns is executed. Its answer is JSON, parsed and validated with the spec's own
models (:func:`rewardsmith.spec.parse_spec`): unknown kinds, bad or catastrophic regexes, params out
of range, names that are not identifiers are rejected with reasons. An invalid answer gets exactly
one repair round that quotes those reasons; a second invalid answer is an :class:`LLMOutputError`
that shows what came back. A valid spec is rendered by the same templates as any other spec, where
every literal goes through ``repr``.

Transport (:class:`LLMSession`):

- litellm is imported on first use, never at rewardsmith's import (startup stays fast), with its
  cost map read from the installed package (no network fetch at import);
- every request runs on one background event loop thread, so several candidates run concurrently,
  a sync caller can cancel (a ``threading.Event`` the TUI sets) and the request is really aborted;
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
import concurrent.futures
import json
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from ..checks import Report, build_report
from ..errors import (
    BudgetExceeded,
    InvalidAnswer,
    LLMCancelled,
    LLMConfigError,
    LLMError,
    LLMOutputError,
    LLMRequestError,
    LLMServerError,
    LLMTimeout,
    LLMUnavailable,
    SpecError,
)
from ..samples import SampleSet
from ..spec import Expectations, RewardSpec, check_rule_name, parse_spec
from .cache import RequestCache, request_key
from .prompts import (
    LLM_EXCLUDED_KINDS,
    Prompt,
    answer_schema,
    propose_messages,
    repair_messages,
)
from .settings import LLMSettings, resolve_settings, scrub

__all__ = [
    "CallRecord",
    "Candidate",
    "LLMSession",
    "Proposal",
    "Usage",
    "apropose_llm",
    "propose_llm",
    "rank_key",
    "run_proposal",
    "spec_from_answer",
]

T = TypeVar("T")
Progress = Callable[..., Any]

CHARS_PER_TOKEN = 4  # for the pre-flight estimate; the reply's usage is what is counted
MIN_COMPLETION_TOKENS = 256  # below this a spec cannot be written: refuse rather than get a cut answer
PROPOSER = "llm"


# -------------------------------------------------------------------------------------- accounting


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


# ----------------------------------------------------------------------------------------- litellm


_litellm_lock = threading.Lock()


def _litellm() -> Any:
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


class _LoopThread:
    """One event loop on a daemon thread for every LLM request of the process.

    litellm binds its async clients and logging worker to the loop they first ran on; one loop for
    the process keeps them valid, and lets sync callers (CLI, TUI worker threads) run concurrent
    requests and cancel them.
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._thread is None or not cls._thread.is_alive():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=run, name="rewardsmith-llm", daemon=True)
                thread.start()
                ready.wait(10)
                cls._loop, cls._thread = loop, thread
            return cls._loop


def run_sync(coro: Awaitable[T], cancel: threading.Event | None = None) -> T:
    """Run `coro` on the LLM loop and wait; setting `cancel` aborts it (LLMCancelled)."""
    future = asyncio.run_coroutine_threadsafe(coro, _LoopThread.loop())  # type: ignore[arg-type]
    try:
        while True:
            try:
                return future.result(timeout=0.05)
            except concurrent.futures.TimeoutError:
                if cancel is not None and cancel.is_set():
                    future.cancel()
                    _settle(future)
                    raise LLMCancelled("cancelled: the request was aborted; nothing was changed") from None
            except concurrent.futures.CancelledError:
                raise LLMCancelled("cancelled: the request was aborted; nothing was changed") from None
    except KeyboardInterrupt:
        future.cancel()
        _settle(future)
        raise


def _settle(future: concurrent.futures.Future[Any]) -> None:
    """Give a cancelled request a moment to close its connection."""
    try:
        future.result(timeout=2)
    except BaseException:  # it was cancelled: any outcome is fine
        pass


async def on_llm_loop(coro: Awaitable[T]) -> T:
    """Await `coro` from any event loop while it runs on the LLM loop (cancelling propagates)."""
    if asyncio.get_running_loop() is _LoopThread.loop():
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, _LoopThread.loop()))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- session


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
                try:
                    known = bool(_litellm().supports_response_schema(model=self.settings.model))
                except Exception:  # unknown model strings raise in some litellm versions
                    known = False
                self._structured = "json_schema" if known else "none"
            mode = self._structured
        if mode == "json_schema":
            return mode, {"type": "json_schema", "json_schema": {"name": "reward_spec", "schema": schema, "strict": False}}
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
            "api_base": _endpoint_id(s.api_base),
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
        content, usage, finish = _read_response(response)
        record.prompt_tokens = usage[0] if usage[0] is not None else estimate
        record.completion_tokens = usage[1] if usage[1] is not None else len(content) // CHARS_PER_TOKEN
        record.finish_reason = finish
        record.cost, record.cost_known = _cost(s.model, record.prompt_tokens, record.completion_tokens)
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
        litellm = _litellm()
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
            kwargs["api_key"] = _provider_key_or_placeholder(s.model)
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
                verdict, message = _classify(exc, s)
                if verdict == "format" and "response_format" in kwargs:
                    # The server rejects structured output: ask again with the JSON instructions only.
                    del kwargs["response_format"]
                    self._structured = "none"
                    attempt -= 1
                    continue
                if verdict in ("retry", "timeout") and attempt <= s.max_retries:
                    delay = _backoff(exc, attempt, s)
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


def _endpoint_id(api_base: str | None) -> str | None:
    """The endpoint as part of the cache key (answers differ per server); credentials never."""
    if not api_base:
        return None
    return re.sub(r"//[^/@]*@", "//", api_base.rstrip("/"))


def _provider_key_or_placeholder(model: str) -> str:
    """The provider's own key variable (OPENAI_API_KEY for openai/…), else a placeholder.

    Only the variable of the model's provider: a key for one service is never sent to another's URL.
    """
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    name = re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_API_KEY"
    return os.environ.get(name) or "no-key"


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def _classify(exc: BaseException, s: LLMSettings) -> tuple[str, str]:
    """(retry | timeout | request | format | other, a one-line message without secrets)."""
    litellm = _litellm()
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


def _backoff(exc: BaseException, attempt: int, s: LLMSettings) -> float:
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


def _read_response(response: Any) -> tuple[str, tuple[int | None, int | None], str | None]:
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


def _cost(model: str, prompt_tokens: int, completion_tokens: int) -> tuple[float, bool]:
    """USD from litellm's price table; (0.0, False) for a model it has no price for."""
    try:
        p, c = _litellm().cost_per_token(model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        return float(p) + float(c), True
    except Exception:  # unmapped model (local servers): cost unknown
        return 0.0, False


# --------------------------------------------------------------------------------- answer -> spec



_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def _json_object(text: str) -> Any:
    """The JSON object in an answer: bare, in a code fence, or between the first { and the last }."""
    candidates = [text.strip()]
    fenced = _FENCE.match(text)
    if fenced:
        candidates.insert(0, fenced.group(1))
    if "{" in text and "}" in text:
        candidates.append(text[text.index("{"): text.rindex("}") + 1])
    error: ValueError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError as exc:
            error = error or exc
    raise InvalidAnswer([f"the answer is not a JSON object ({error}); send only the JSON object"])


_LINE_PREFIX = re.compile(r"^line \d+, ")


def spec_from_answer(
    text: str,
    *,
    name: str,
    task: str,
    provenance: dict[str, Any],
    expectations: Expectations | None = None,
    finish_reason: str | None = None,
) -> RewardSpec:
    """Validate a model's answer into a spec, or raise InvalidAnswer with every problem found.

    The model writes description and rules only. Name, task, provenance and expectations are the
    user's: anything the model says about them is ignored (a model that may edit the checks could
    pass them by deleting them).
    """
    try:
        data = _json_object(text)
    except InvalidAnswer as exc:
        if finish_reason == "length":
            exc.problems.append("the answer was cut off at the token limit: write a shorter spec (fewer rules, "
                                "shorter rationales)")
        raise
    if not isinstance(data, dict):
        raise InvalidAnswer([f"the answer is a JSON {type(data).__name__}; it must be an object with `rules`"])
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise InvalidAnswer(["`rules` must be a non-empty list of rule objects"])
    problems: list[str] = []
    clean_rules = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            problems.append(f"rules[{i}]: a rule is an object with name, kind, role, weight, params, rationale")
            continue
        # Names are checked here too: parse_spec reports params problems first and stops there,
        # and the one repair round should hear about everything at once.
        try:
            check_rule_name(str(rule.get("name", "")))
        except ValueError as exc:
            problems.append(f"rules[{i}].name: {exc}")
        if rule.get("kind") in LLM_EXCLUDED_KINDS:
            problems.append(f"rules[{i}].kind: {rule['kind']} calls a model at training time; the proposer "
                            "only writes rule-based kinds (add a judge by hand if you need one)")
        clean_rules.append({k: v for k, v in rule.items() if k != "provenance"})
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append("description must be a string")
        description = ""
    document = {
        "schema_version": 1,
        "name": name,
        "description": description[:500],
        "task": task,
        "provenance": {k: v for k, v in provenance.items() if v is not None},
        "rules": clean_rules,
    }
    if expectations is not None:
        document["expectations"] = expectations.model_dump(mode="json", exclude_defaults=True)
    try:
        spec = parse_spec(json.dumps(document, ensure_ascii=False), source="the model's answer")
    except SpecError as exc:
        # Line numbers would point into our re-serialisation, not the model's text: field paths only.
        found = [_LINE_PREFIX.sub("", p) for p in exc.problems] or [str(exc)]
        raise InvalidAnswer(problems + [p for p in found if p not in problems]) from None
    if problems:  # every problem at once, so the one repair round can fix them all
        raise InvalidAnswer(problems)
    # Saved as a fresh block-style YAML document, not as the JSON it was parsed from.
    spec.__dict__.pop("_doc", None)
    return spec


async def ask_for_spec(
    session: LLMSession,
    prompt: Prompt,
    *,
    purpose: str,
    build: Callable[[str, str | None], RewardSpec],
) -> tuple[RewardSpec, dict[str, Any]]:
    """Ask, validate, and on an invalid answer ask once more quoting the problems.

    Returns the spec and what happened (repaired or not, the first answer's problems).
    """
    schema = answer_schema()
    start = len(session.usage.calls)
    text = await session.acomplete(prompt.messages, purpose=purpose, schema=schema)
    finish = session.usage.calls[-1].finish_reason if len(session.usage.calls) > start else None
    try:
        return build(text, finish), {"repaired": False, "problems": []}
    except InvalidAnswer as first:
        session.say(f"{purpose}: the answer is not a valid spec ({len(first.problems)} problem(s)); asking for a repair")
        messages = repair_messages(prompt, text, first.problems)
        start = len(session.usage.calls)
        again = await session.acomplete(messages, purpose=f"{purpose} (repair)", schema=schema)
        finish = session.usage.calls[-1].finish_reason if len(session.usage.calls) > start else None
        try:
            return build(again, finish), {"repaired": True, "problems": first.problems}
        except InvalidAnswer as second:
            raise LLMOutputError(
                f"{session.settings.model}'s answer is not a valid spec, even after one repair round:",
                output=again, problems=second.problems, first_problems=first.problems,
            ) from None


# --------------------------------------------------------------------------------------- proposing


@dataclass
class Candidate:
    """One proposal: its spec and test report, or why it failed."""

    index: int
    spec: RewardSpec | None = None
    report: Report | None = None
    error: str | None = None
    repaired: bool = False
    angle: str = ""

    def headline(self) -> dict[str, Any]:
        if self.report is None:
            return {"auc": None, "zero_spread": None, "failures": None}
        data = self.report.data
        return {
            "auc": data["total"].get("auc"),
            "zero_spread": data["groups"].get("zero_spread_share"),
            "failures": len(self.report.failures()),
        }


def rank_key(report: Report | None) -> tuple[float, float, float]:
    """Sort key, best first: fewer failed checks, higher AUC of the total, fewer zero-spread groups."""
    if report is None:
        return (float("inf"), 0.0, 1.0)
    data = report.data
    auc = data["total"].get("auc")
    zero = data["groups"].get("zero_spread_share")
    errors = sum(r.get("errors", 0) for r in data["rules"])
    return (len(report.failures()) + (1 if errors else 0), -(auc if auc is not None else 0.5),
            zero if zero is not None else 0.0)


@dataclass
class Proposal:
    """What run_proposal found: the chosen spec, every candidate ranked, and the session's usage."""

    spec: RewardSpec
    candidates: list[Candidate]
    usage: Usage
    persona: str
    settings: dict[str, Any]
    seconds: float

    def record(self) -> dict[str, Any]:
        return {
            "proposer": PROPOSER,
            "model": self.settings.get("model"),
            "persona": self.persona,
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
            "candidates": [
                {"index": c.index, "ok": c.spec is not None, "error": c.error, "repaired": c.repaired,
                 "spec_hash": c.spec.fingerprint() if c.spec else None, **c.headline()}
                for c in self.candidates
            ],
            "usage": self.usage.to_data(),
        }


def _settings(settings: LLMSettings | None, model: str | None, api_base: str | None) -> LLMSettings:
    if settings is not None:
        if model or api_base:
            return settings.replace(**{k: v for k, v in (("model", model), ("api_base", api_base)) if v})
        return settings
    return resolve_settings(model=model, api_base=api_base)


def evaluate(spec: RewardSpec, samples: SampleSet, *, time_limit: float = 2.0, diagnostics: bool = False,
             bench: Any = None) -> tuple[Report, Any]:
    """Score `spec` with its rendered module and build the report (with the diagnostics when asked)."""
    from ..bench import score_samples

    matrix = score_samples(spec, samples, time_limit=time_limit, bench=bench)
    report = build_report(spec, samples, matrix)
    if diagnostics:
        try:
            from ..diagnostics import diagnose
        except ImportError:  # an install without the diagnostics: the core report stands alone
            diagnose = None  # type: ignore[assignment]
        if diagnose is not None:
            diagnose(spec, samples, matrix, bench=bench).attach(report)
    return report, matrix


async def _propose_async(
    session: LLMSession,
    samples: SampleSet,
    *,
    name: str,
    task: str,
    persona: str | None,
    instructions: str,
    candidates: int,
    per_class: int,
    template_dir: Any,
) -> tuple[list[Candidate], str]:
    prompts = [
        propose_messages(samples, task=task, persona=persona, instructions=instructions, candidate=k,
                         candidates=candidates, per_class=per_class, template_dir=template_dir)
        for k in range(candidates)
    ]
    persona_name = prompts[0].persona
    provenance = {
        "proposer": PROPOSER,
        "model": session.settings.model,
        "persona": persona_name,
        "samples": samples.fingerprint(),
        "instructions": instructions.strip() or None,
    }

    async def one(k: int) -> Candidate:
        label = "proposal" if candidates == 1 else f"candidate {k + 1}/{candidates}"

        def build(text: str, finish: str | None) -> RewardSpec:
            return spec_from_answer(text, name=name, task=task, provenance=provenance, finish_reason=finish)

        try:
            spec, info = await ask_for_spec(session, prompts[k], purpose=label, build=build)
        except (LLMOutputError, LLMRequestError, LLMServerError, LLMTimeout) as exc:
            if candidates == 1:
                raise
            return Candidate(k, error=str(exc))
        return Candidate(k, spec=spec, repaired=info["repaired"])

    return await _gather_or_cancel([one(k) for k in range(candidates)]), persona_name


async def _gather_or_cancel(coros: list[Awaitable[T]]) -> list[T]:
    """asyncio.gather that cancels the others when one fails (no request outlives its run)."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def run_proposal(
    samples: SampleSet,
    *,
    model: str | None = None,
    api_base: str | None = None,
    settings: LLMSettings | None = None,
    name: str = "proposed",
    task: str = "",
    persona: str | None = None,
    instructions: str = "",
    candidates: int = 1,
    per_class: int = 4,
    evaluate_candidates: bool | None = None,
    time_limit: float = 2.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    session: LLMSession | None = None,
    template_dir: Any = None,
) -> Proposal:
    """Ask for `candidates` specs concurrently, validate each, test them and pick the best.

    Candidates are ranked by their report: failed checks, then the AUC of the weighted total, then
    the share of zero-spread groups. With one candidate the test is skipped unless
    `evaluate_candidates` is true. Raises LLMError subclasses; when every candidate fails, the first
    failure is raised.
    """
    if candidates < 1 or candidates > 8:
        raise LLMConfigError("candidates must be between 1 and 8")
    if len(samples) == 0:
        raise LLMConfigError("there are no samples to show the model")
    began = time.perf_counter()
    session = session or LLMSession(_settings(settings, model, api_base), cancel=cancel, progress=progress)
    found, persona_name = session.run(_propose_async(
        session, samples, name=name, task=task, persona=persona, instructions=instructions,
        candidates=candidates, per_class=per_class, template_dir=template_dir,
    ))
    good = [c for c in found if c.spec is not None]
    if not good:
        raise LLMOutputError("no candidate gave a valid spec:", output="",
                             problems=[c.error or "?" for c in found])
    if evaluate_candidates or (evaluate_candidates is None and len(good) > 1):
        from ..bench import Bench

        with Bench(time_limit=time_limit) as bench:
            for c in good:
                if session.cancel.is_set():
                    raise LLMCancelled("cancelled while testing the candidates")
                session.say(f"testing candidate {c.index + 1} …")
                c.report, _ = evaluate(c.spec, samples, time_limit=time_limit, bench=bench)  # type: ignore[arg-type]
        found.sort(key=lambda c: (c.spec is None, rank_key(c.report), c.index))
    best = next(c for c in found if c.spec is not None)
    assert best.spec is not None
    return Proposal(spec=best.spec, candidates=found, usage=session.usage, persona=persona_name,
                    settings=session.settings.public(), seconds=time.perf_counter() - began)


def propose_llm(samples: SampleSet, **kwargs: Any) -> RewardSpec:
    """The chosen spec of :func:`run_proposal` (same arguments): what the TUI's propose dialog calls."""
    return run_proposal(samples, **kwargs).spec


async def apropose_llm(samples: SampleSet, *, cancel: threading.Event | None = None, **kwargs: Any) -> RewardSpec:
    """:func:`propose_llm` for async callers; cancelling the awaiting task aborts the requests."""
    cancel = cancel or threading.Event()
    try:
        return await asyncio.to_thread(propose_llm, samples, cancel=cancel, **kwargs)
    except asyncio.CancelledError:
        cancel.set()  # the worker thread sees it within 50 ms and aborts its request
        raise
