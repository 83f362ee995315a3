"""One worked example rule per kind, for the catalogue a model reads.

A kind may declare its own (a ``example`` class attribute holding a rule as data); until the kinds
carry one, the examples live here, each checked against its kind's params model by the tests. A
kind with neither gets an example built from its params model: the required params, filled from
their types, with the defaults left out.
"""

from __future__ import annotations

from typing import Any

from ..kinds import Kind

__all__ = ["EXAMPLES", "example_rule"]

_ANSWER_TAG = {"method": "xml_tag", "tag": "answer"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "exact_match": {"name": "correct_answer", "role": "reward", "weight": 1.0, "params": {
        "extract": _ANSWER_TAG, "reference": "answer",
        "normalize": {"strip": True, "lower": True, "remove_punctuation": True}, "score_match": 1.0}},
    "contains": {"name": "mentions_units", "role": "reward", "weight": 0.1, "params": {
        "keywords": ["km", "kilometres"], "mode": "any"}},
    "token_f1": {"name": "answer_overlap", "role": "reward", "weight": 1.0, "params": {
        "extract": _ANSWER_TAG, "reference": "answer"}},
    "numeric": {"name": "correct_number", "role": "reward", "weight": 1.0, "params": {
        "extract": _ANSWER_TAG, "reference": "answer", "rel_tol": 1e-6}},
    "tiered": {"name": "graded_answer", "role": "reward", "weight": 1.0, "params": {
        "extract": _ANSWER_TAG, "reference": "answer",
        "tiers": [{"test": "exact", "score": 1.0}, {"test": "f1", "score": 0.3, "min_f1": 0.5}]}},
    "step_scaled_match": {"name": "path_steps", "role": "reward", "weight": 1.0, "params": {
        "extract": {"method": "after_tag", "tag": "think"}, "reference": "answer", "separator": "|><|",
        "per_step": 0.2}},
    "answer_shape": {"name": "answer_is_short", "role": "verifier", "weight": 0.2, "params": {
        "extract": _ANSWER_TAG, "check": "short_text", "max_words": 5, "score_match": 1.0}},
    "regex_format": {"name": "format_tags", "role": "reward", "weight": 0.2, "params": {
        "pattern": "<think>.*?</think>\\s*<answer>.*?</answer>\\s*$", "mode": "search", "flags": ["DOTALL"],
        "score_match": 1.0}},
    "tag_count": {"name": "one_answer_block", "role": "reward", "weight": 0.2, "params": {
        "items": [{"text": "<answer>", "value": 0.5, "times": 1}, {"text": "</answer>", "value": 0.5, "times": 1}]}},
    "allowed_tokens": {"name": "only_moves", "role": "verifier", "weight": 0.2, "params": {
        "extract": _ANSWER_TAG, "tokens": ["<|up|>", "<|down|>", "<|left|>", "<|right|>"]}},
    "count_in_range": {"name": "searches_capped", "role": "reward", "weight": 0.2, "params": {
        "pattern": "<search>", "literal": True, "min_count": 1, "max_count": 5, "score_in": 1.0,
        "score_out": 0.0, "scope": "assistant"}},
    "repetition": {"name": "no_loops", "role": "reward", "weight": 0.1, "params": {"ngram": 3, "max_penalty": -0.5}},
    "not_empty": {"name": "answered", "role": "verifier", "weight": 0.1, "params": {"extract": _ANSWER_TAG}},
    "length": {"name": "length_budget", "role": "reward", "weight": 0.1, "params": {
        "unit": "words", "max_length": 300, "buffer": 50, "penalty": 0.5}},
}


def _placeholder(node: dict[str, Any]) -> Any:
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    return {"string": "text", "integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(kind, "")


def example_rule(kind: type[Kind]) -> dict[str, Any]:
    """A rule of `kind` as a model should write it: name, kind, role, weight, params, rationale ("…")."""
    declared = getattr(kind, "example", None)
    rule = dict(declared if isinstance(declared, dict) else EXAMPLES.get(kind.name, {}))
    if not rule:
        schema = kind.json_schema()
        params = {name: _placeholder(schema["properties"][name]) for name in schema.get("required", [])}
        rule = {"name": f"my_{kind.name}", "role": "verifier" if kind.binary else "reward", "weight": 1.0,
                "params": params}
    return {"name": rule["name"], "kind": kind.name, "role": rule["role"], "weight": rule["weight"],
            "params": rule["params"], "rationale": rule.get("rationale", "…")}
