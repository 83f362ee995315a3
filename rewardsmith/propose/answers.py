"""A model's answer into a spec: find the JSON, report every problem at once, up to N repair rounds.

Nothing the model returns is executed. The answer is checked all at once
(:mod:`rewardsmith.propose.validate`: unknown kinds, bad or catastrophic regexes, params out of
range or of another kind, names that are not identifiers, a metric with a weight), then validated
by the spec's own models as a last net. An invalid answer gets a repair round that quotes every
problem with its hint; up to ``LLMSettings.repair_rounds`` rounds (default 2), after which an
:class:`~rewardsmith.errors.LLMOutputError` shows what came back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..errors import InvalidAnswer, LLMOutputError, SpecError
from ..spec import Expectations, RewardSpec, parse_spec
from .catalogue import answer_schema
from .prompts import Prompt, repair_messages
from .session import LLMSession
from .validate import answer_problems, find_json, lenient_json

__all__ = ["ask_for_spec", "spec_from_answer"]

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
        data = find_json(text)
    except InvalidAnswer as exc:
        if finish_reason == "length":
            exc.problems.append("the answer was cut off at the token limit: write a shorter spec (fewer rules, "
                                "shorter rationales)")
        # Single backslashes are the usual cause: read the rules as if they were doubled, so their
        # problems come in this round too instead of the next.
        lenient = lenient_json(text)
        if lenient is not None:
            exc.problems += [p for p in answer_problems(lenient) if p not in exc.problems]
        raise
    problems = answer_problems(data)
    if problems:
        raise InvalidAnswer(problems)
    description = data.get("description", "")
    document = {
        "schema_version": 1,
        "name": name,
        "description": description[:500],
        "task": task,
        "provenance": {k: v for k, v in provenance.items() if v is not None},
        "rules": [{k: v for k, v in rule.items() if k != "provenance"} for rule in data["rules"]],
    }
    if expectations is not None:
        document["expectations"] = expectations.model_dump(mode="json", exclude_defaults=True)
    try:
        spec = parse_spec(json.dumps(document, ensure_ascii=False), source="the model's answer")
    except SpecError as exc:
        # Line numbers would point into our re-serialisation, not the model's text: field paths only.
        raise InvalidAnswer([_LINE_PREFIX.sub("", p) for p in exc.problems] or [str(exc)]) from None
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
    """Ask, validate, and on an invalid answer ask again quoting every problem, up to the repair rounds.

    Returns the spec and what happened: ``repaired`` (a repair was needed), ``repairs`` (how many),
    ``problems`` (the first answer's), ``rounds`` (every invalid answer's problems, in order).
    """
    schema = answer_schema(prompt.kinds)
    limit = session.settings.repair_rounds
    rounds: list[list[str]] = []
    messages = prompt.messages
    for attempt in range(limit + 1):
        label = purpose if attempt == 0 else f"{purpose} (repair {attempt})"
        start = len(session.usage.calls)
        text = await session.acomplete(messages, purpose=label, schema=schema)
        finish = session.usage.calls[-1].finish_reason if len(session.usage.calls) > start else None
        try:
            spec = build(text, finish)
        except InvalidAnswer as invalid:
            rounds.append(invalid.problems)
            if attempt == limit:
                after = {0: "with no repair round allowed", 1: "even after one repair round"}.get(
                    limit, f"even after {limit} repair rounds")
                raise LLMOutputError(
                    f"{session.settings.model}'s answer is not a valid spec, {after}:",
                    output=text, problems=invalid.problems, first_problems=rounds[0] if attempt else [],
                ) from None
            session.say(f"{purpose}: the answer is not a valid spec ({len(invalid.problems)} problem(s)); "
                        f"asking for repair {attempt + 1} of {limit}")
            messages = repair_messages(prompt, text, invalid.problems, round_no=attempt + 1, rounds=limit)
            continue
        return spec, {"repaired": attempt > 0, "repairs": attempt, "problems": rounds[0] if rounds else [],
                      "rounds": rounds}
    raise AssertionError("unreachable: the loop returns or raises")
