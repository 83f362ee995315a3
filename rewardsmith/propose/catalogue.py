"""The rule library as a model reads it, and the answer schema a guided decoder can enforce.

Both come from the kinds' own params models (:mod:`rewardsmith.kinds`), so the prompt, the schema
and the validator cannot disagree:

- per kind: its text, each param with its type, default and range on one line (shared blocks
  such as ``extract`` inlined, no ``$ref`` to chase), the defaults that surprise said out loud (a
  score that defaults to 0.5, not 1), and one worked example rule;
- only the kinds the samples can use: a kind that compares with a reference column is left out
  of a file that has none, and the prompt says which were left out;
- :func:`answer_schema`: a JSON schema with ``$ref`` resolved and only the keywords guided
  decoders (vLLM's, llama.cpp's grammar converter, OpenAI's) accept — ``type``, ``properties``,
  ``required``, ``additionalProperties: false``, ``items``, ``enum``, ``anyOf``, ``minItems``,
  ``maxItems``, ``pattern`` — so it can be sent with ``strict: true``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from ..kinds import KINDS
from ..spec import MAX_RULES
from .examples import example_rule

__all__ = [
    "KindEntry",
    "LLM_EXCLUDED_KINDS",
    "MAX_RULES_SHOWN",
    "RULE_NAME_PATTERN",
    "answer_schema",
    "catalogue_for_prompt",
    "inline_refs",
    "kinds_for",
    "params_of_kinds",
    "shared_blocks",
]

# Kinds an LLM proposal may not use; each kind declares it (a judge calls a model at training time,
# which a user adds on purpose, not something a proposer slips in).
LLM_EXCLUDED_KINDS = frozenset(name for name, kind in KINDS.items() if not kind.llm_proposable)
RULE_NAME_PATTERN = "^[a-z][a-z0-9_]{0,63}$"
MAX_RULES_SHOWN = MAX_RULES  # the one limit on rules, stated once in the prompt and in the schema

# Keywords every guided decoder we target understands; the rest are dropped from the schema.
_GUIDED_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "items", "enum",
                              "anyOf", "minItems", "maxItems", "pattern", "description"})
_SCORE_DEFAULTS_THAT_READ_AS_FULL = (1.0, 0.0)


@dataclass
class KindEntry:
    """One kind as the prompt shows it."""

    kind: str
    binary: bool
    text: str
    params: list[str]  # one line per param: name, type, default, range, description
    surprises: list[str]  # defaults a model would guess wrong
    example: str  # one rule of this kind, as JSON


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every local ``$ref`` replaced by its definition and ``$defs`` dropped.

    A definition that refers to itself (an extraction's `then` step is another extraction) is inlined once;
    below that it is null, so the schema stays finite and a model can still write one further step.
    """
    defs = schema.get("$defs", {})

    def walk(node: Any, expanding: frozenset[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name in expanding:
                    return {"type": "null"}
                merged = {**copy.deepcopy(defs[name]), **{k: v for k, v in node.items() if k != "$ref"}}
                return walk(merged, expanding | {name})
            return {k: walk(v, expanding) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v, expanding) for v in node]
        return node

    return walk(schema, frozenset())


def _guided(node: Any) -> Any:
    """A schema cut down to the keywords guided decoders take; objects closed (additionalProperties false)."""
    if isinstance(node, list):
        return [_guided(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _guided(v) for k, v in node.items() if k in _GUIDED_KEYWORDS and k != "properties"}
    if "const" in node:
        out["enum"] = [node["const"]]
    if "properties" in node:
        out["properties"] = {name: _guided(sub) for name, sub in node["properties"].items()}
        out["additionalProperties"] = False
        out.setdefault("required", [])
        out.setdefault("type", "object")
    return out


def _type_text(node: dict[str, Any]) -> str:
    """A param's type in a few characters: "xml_tag"|"whole", number, list of string, {a: …, b: …}."""
    if "enum" in node:
        return "|".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    if "anyOf" in node:
        return " or ".join(_type_text(v) for v in node["anyOf"])
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type_text(node.get('items', {}))}"
    if kind == "object" and "properties" in node:
        return "{" + ", ".join(_field_text(n, s) for n, s in node["properties"].items()) + "}"
    if kind == "null":
        return "null"
    return str(kind or "any")


def _field_text(name: str, node: dict[str, Any]) -> str:
    """A field of a block in a few characters: the default shows the type, an enum its choices."""
    default = f" = {json.dumps(node['default'], ensure_ascii=False)}" if "default" in node else ""
    if "enum" in node or not default:
        return f"{name}: {_type_text(node)}{default}"
    return f"{name}{default}"


def _range_text(node: dict[str, Any]) -> str:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is None and high is None:
        return ""
    return f", {'' if low is None else low}..{'' if high is None else high}"


def _param_lines(schema: dict[str, Any], *, skip: frozenset[str]) -> tuple[list[str], list[str]]:
    """(one line per param, the surprising defaults) of a kind's inlined params schema."""
    required = set(schema.get("required", []))
    lines, surprises = [], []
    for name, node in schema.get("properties", {}).items():
        if name in skip:
            continue
        if name == "scope" and "default" in node:  # what each scope reads is said once, above the kinds
            lines.append(f"`scope` (default {json.dumps(node['default'])})")
            continue
        if name in required:
            state = "required"
        elif "default" in node:
            state = f"default {json.dumps(node['default'], ensure_ascii=False)}"
        elif node.get("type") == "object":
            state = "defaults as shown"
        else:
            state = "optional"
        # A shared block's explanation (a docstring of many lines) is printed once by the caller.
        description = str(node.get("description") or "").strip().split("\n")[0]
        note = f": {description}" if description else ""
        lines.append(f"`{name}` ({_type_text(node)}{_range_text(node)}; {state}){note}")
        default = node.get("default")
        if (name.startswith("score") and isinstance(default, (int, float)) and not isinstance(default, bool)
                and default not in _SCORE_DEFAULTS_THAT_READ_AS_FULL):
            surprises.append(f"`{name}` defaults to {default:g}, not 1: set it when a pass should earn full credit")
    return lines, surprises


def kinds_for(columns: list[str]) -> tuple[list[str], dict[str, str]]:
    """(kinds a proposal may use for a file with these reference columns, left-out kind -> why)."""
    allowed, left_out = [], {}
    for name, kind in KINDS.items():
        if name in LLM_EXCLUDED_KINDS:
            left_out[name] = "calls a model at training time; add it by hand if you want one"
            continue
        ref = kind.Params.model_fields.get("reference")
        if ref is not None and isinstance(ref.default, str) and ref.default and not columns:
            left_out[name] = "compares with a reference column, and the samples have none"
            continue
        allowed.append(name)
    return allowed, left_out


def shared_blocks(kinds: list[str]) -> dict[str, str]:
    """Param blocks several of `kinds` take (``extract``, ``normalize``): name -> their full explanation."""
    seen: dict[str, list[str]] = {}
    for name in kinds:
        for param, node in inline_refs(KINDS[name].json_schema()).get("properties", {}).items():
            text = str(node.get("description") or "").strip()
            if node.get("type") == "object" and "\n" in text:
                seen.setdefault(param, []).append(text)
    return {param: texts[0] for param, texts in seen.items() if len(texts) > 1}


def catalogue_for_prompt(columns: list[str] | None = None, *, plain_strings: bool = False) -> tuple[
        list[KindEntry], dict[str, str]]:
    """(the kinds the prompt offers, the kinds it leaves out with why).

    Args:
        columns: the samples' reference columns; None offers every kind a proposal may use.
        plain_strings: completions are strings, so `scope` (which message a rule reads) does not matter
            and is not listed.
    """
    if columns is None:
        allowed, left_out = [n for n in KINDS if n not in LLM_EXCLUDED_KINDS], {}
    else:
        allowed, left_out = kinds_for(columns)
    skip = frozenset({"scope"}) if plain_strings else frozenset()
    entries = []
    for name in allowed:
        kind = KINDS[name]
        schema = inline_refs(kind.json_schema())
        lines, surprises = _param_lines(schema, skip=skip)
        entries.append(KindEntry(name, kind.binary, kind.catalogue, lines, surprises,
                                 json.dumps(example_rule(kind), ensure_ascii=False)))
    return entries, left_out


def params_of_kinds() -> dict[str, set[str]]:
    """Each param name -> the kinds that take it (a repair hint names the kind a stray param belongs to)."""
    out: dict[str, set[str]] = {}
    for name, kind in KINDS.items():
        for field in kind.Params.model_fields:
            out.setdefault(field, set()).add(name)
    return out


def answer_schema(kinds: list[str] | None = None) -> dict[str, Any]:
    """JSON schema of the answer: description and rules, each rule's params per kind, for guided decoding.

    Args:
        kinds: the kinds offered (default: every kind a proposal may use).
    """
    names = kinds if kinds is not None else [n for n in KINDS if n not in LLM_EXCLUDED_KINDS]
    variants = []
    for name in names:
        params = _guided(inline_refs(KINDS[name].json_schema()))
        variants.append({
            "type": "object",
            "properties": {
                "name": {"type": "string", "pattern": RULE_NAME_PATTERN},
                "kind": {"type": "string", "enum": [name]},
                "role": {"type": "string", "enum": ["reward", "verifier", "metric"]},
                "weight": {"type": "number"},
                "params": params,
                "rationale": {"type": "string"},
            },
            "required": ["name", "kind", "role", "weight", "params", "rationale"],
            "additionalProperties": False,
        })
    return {
        "type": "object",
        "properties": {
            "description": {"type": "string"},
            "rules": {"type": "array", "minItems": 1, "maxItems": MAX_RULES_SHOWN, "items": {"anyOf": variants}},
        },
        "required": ["description", "rules"],
        "additionalProperties": False,
    }
