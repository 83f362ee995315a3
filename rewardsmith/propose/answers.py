"""A model's answer into a spec: find the JSON, validate it with the spec's own models, one repair round.

Nothing the model returns is executed. Unknown kinds, bad or catastrophic regexes, params out of
range, names that are not identifiers are rejected with reasons; an invalid answer gets exactly one
repair round that quotes them, and a second invalid answer is an
:class:`~rewardsmith.errors.LLMOutputError` that shows what came back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..errors import InvalidAnswer, LLMOutputError, SpecError
from ..spec import Expectations, RewardSpec, check_rule_name, parse_spec
from .prompts import LLM_EXCLUDED_KINDS, Prompt, answer_schema, repair_messages
from .session import LLMSession

__all__ = ["ask_for_spec", "spec_from_answer"]


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
        except RecursionError:  # nested past the parser's stack: no spec is that deep
            raise InvalidAnswer(["the answer nests lists or objects over a thousand levels deep; send only the "
                                 "spec's JSON object"]) from None
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
