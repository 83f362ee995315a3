"""The event loop every LLM request runs on, and how sync and async callers reach it and cancel."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

from ..errors import LLMCancelled

__all__ = ["gather_or_cancel", "on_llm_loop", "run_sync"]

T = TypeVar("T")


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


async def gather_or_cancel(coros: list[Awaitable[T]]) -> list[T]:
    """asyncio.gather that cancels the others when one fails (no request outlives its run)."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
