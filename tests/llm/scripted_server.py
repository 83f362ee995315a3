"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions protocol from a script.

The LLM tests point the real clients (litellm, openai) at it, so everything above the socket is the
code users run: request building, retries, timeouts, JSON parsing. Nothing is mocked.

A script is a queue of :class:`Reply` objects, one per request, in order; a ``responder`` callable
answers when the queue is empty (a judge that reads the question, say). Every request is recorded
(path, headers, JSON body), so a test can count calls (the cache must make none) and read what was
sent (the prompt, the response_format, the key in the Authorization header — and nowhere else).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Recorded", "Reply", "ScriptedServer", "chat_body"]


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    content: str | None = None  # the assistant message (a chat completion)
    body: Any = None  # a JSON body sent as is (overrides content)
    raw: bytes | None = None  # bytes sent as is (overrides body)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering: longer than the client's timeout is a hang
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def chat(cls, content: str, *, prompt_tokens: int | None = None, completion_tokens: int | None = None,
             delay: float = 0.0) -> Reply:
        return cls(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, delay=delay)

    @classmethod
    def json(cls, data: Any, **kw: Any) -> Reply:
        """An assistant message whose content is `data` as JSON text."""
        return cls.chat(json.dumps(data), **kw)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", *, headers: dict[str, str] | None = None) -> Reply:
        kind = {429: "rate_limit_exceeded", 400: "invalid_request_error"}.get(status, "server_error")
        return cls(status=status, body={"error": {"message": message, "type": kind, "code": kind}},
                   headers=dict(headers or {}))

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        """Answer nothing for `seconds` (cut short when the server stops)."""
        return cls.chat("(too late)", delay=seconds)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages") or [])

    def text(self) -> str:
        """Every message's content, joined: what a test greps the prompt in."""
        return "\n".join(str(m.get("content")) for m in self.messages)


def chat_body(content: str, model: str, n: int, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-scripted-{n}",
        "object": "chat.completion",
        "created": 1_700_000_000 + n,
        "model": model,
        "system_fingerprint": "fp_scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop",
                     "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


Responder = Callable[[Recorded], Reply]


class ScriptedServer:
    """Start with start() or a `with` block; stop() shuts the listener and joins its thread."""

    def __init__(self, script: Iterable[Reply] = (), responder: Responder | None = None) -> None:
        self._script: deque[Reply] = deque(script)
        self.responder = responder
        self.requests: list[Recorded] = []
        self.errors: list[str] = []  # responder failures (a test asserts there are none when it matters)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read server.requests
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                record = server._record(self, None)
                if record.path.rstrip("/").endswith("/models"):
                    self._send(200, json.dumps({"object": "list", "data": []}).encode(), {})
                else:
                    self._send(404, b'{"error": {"message": "not found"}}', {})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                record = server._record(self, body)
                reply = server._next(record)
                if reply.delay and server._stopping.wait(reply.delay):
                    return  # stopping: drop the request
                payload, headers = server._payload(reply, record)
                self._send(reply.status, payload, headers)

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="scripted-openai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- script
    @property
    def port(self) -> int:
        assert self._httpd is not None, "start the server first"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The api_base to give a client (OpenAI style, with /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def _record(self, handler: BaseHTTPRequestHandler, body: Any) -> Recorded:
        record = Recorded(handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)
        with self._lock:
            self.requests.append(record)
        return record

    def _next(self, record: Recorded) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            try:
                return self.responder(record)
            except Exception as exc:  # a broken test responder: say so in the reply and in .errors
                self.errors.append(f"{type(exc).__name__}: {exc}")
                return Reply.error(500, f"the test's responder failed: {type(exc).__name__}: {exc}")
        return Reply.error(500, "the script is exhausted: the test sent more requests than it scripted")

    def _payload(self, reply: Reply, record: Recorded) -> tuple[bytes, dict[str, str]]:
        if reply.raw is not None:
            return reply.raw, reply.headers
        if reply.body is not None:
            return json.dumps(reply.body).encode(), reply.headers
        content = reply.content or ""
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else max(1, len(record.text()) // 4)
        done = reply.completion_tokens if reply.completion_tokens is not None else max(1, len(content) // 4)
        model = str((record.body or {}).get("model") or "scripted")
        with self._lock:
            n = len(self.requests)
        return json.dumps(chat_body(content, model, n, prompt, done)).encode(), reply.headers
