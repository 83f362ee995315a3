"""The LLM judge: one verdict word per answer, asked of an OpenAI-compatible endpoint (openai imported lazily)."""

from __future__ import annotations

import re

__all__ = ["_JUDGE_CACHE", "_JUDGE_FIELDS", "_JUDGE_TRIM", "_judge_batch", "_judge_verdict"]

_JUDGE_FIELDS = re.compile(r"\{(question|reference|answer)\}")
_JUDGE_TRIM = " \t\r\n\"'`*_"
_JUDGE_CACHE = {}


def _judge_verdict(reply, yes_words, no_words):
    """True or False when the whole reply is one verdict word, else None.

    Strict on purpose: quotes, markdown emphasis and a final period aside, nothing else may be said,
    so "Yes and no", "not yes" or "eyes" are not a yes.
    """
    word = reply.strip(_JUDGE_TRIM).rstrip(".!").strip(_JUDGE_TRIM).lower()
    if word in yes_words:
        return True
    if word in no_words:
        return False
    return None


async def _judge_batch(items, *, base_url, model, api_key_env, prompt, yes_words, no_words, score_match,
                       score_miss, on_failure, timeout, max_retries, max_tokens, temperature, concurrency):
    """Judge (answer, reference, question) items concurrently: one score per item.

    No answer found: score_miss, without a request. Identical requests are sent once, and a verdict
    is cached for the process; a failure (timeout, HTTP error, a reply that is not a verdict) scores
    on_failure and is not cached, so a later call may succeed. An endpoint that refuses connections
    fails the rest of the batch at once instead of once per completion.
    """
    import asyncio
    import os

    keys = []  # per item: the request key, or None when there is no answer to judge
    contents = {}
    for answer, reference, question in items:
        if answer is None:
            keys.append(None)
            continue
        if isinstance(reference, (list, tuple)):
            reference = " / ".join(str(r) for r in reference)
        values = {"question": question, "reference": "" if reference is None else str(reference), "answer": answer}
        content = _JUDGE_FIELDS.sub(lambda m: values[m.group(1)], prompt)
        key = (base_url, model, temperature, max_tokens, content)
        keys.append(key)
        contents.setdefault(key, content)
    todo = [key for key in contents if key not in _JUDGE_CACHE]
    if todo:
        try:
            import openai
        except ImportError:
            raise ImportError("this reward asks an LLM judge and needs the openai package: pip install openai") from None
        client = openai.AsyncOpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "no-key",
                                    timeout=timeout, max_retries=max_retries)
        limit = asyncio.Semaphore(concurrency)
        unreachable = []  # set by the first refused connection: the rest of the batch fails at once

        async def ask(key):
            async with limit:
                if unreachable:
                    return
                try:
                    response = await asyncio.wait_for(
                        client.chat.completions.create(
                            model=model, messages=[{"role": "user", "content": contents[key]}],
                            temperature=temperature, max_tokens=max_tokens),
                        timeout * (max_retries + 1) + 1.0,
                    )
                    reply = response.choices[0].message.content or ""
                except openai.APIConnectionError as exc:
                    if not isinstance(exc, openai.APITimeoutError):  # a slow answer is not a dead endpoint
                        unreachable.append(exc)
                    return
                except Exception:  # the declared failure policy covers every way a request can fail
                    return
            verdict = _judge_verdict(reply, yes_words, no_words)
            if verdict is not None:
                _JUDGE_CACHE[key] = verdict

        try:
            await asyncio.gather(*(ask(key) for key in todo))
        finally:
            await client.close()
    scores = []
    for key in keys:
        verdict = None if key is None else _JUDGE_CACHE.get(key)
        if key is None:
            scores.append(score_miss)
        elif verdict is None:
            scores.append(on_failure)
        else:
            scores.append(score_match if verdict else score_miss)
    return scores
