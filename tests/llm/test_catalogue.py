"""The catalogue a model reads and the schema a guided decoder enforces: inline, consistent, decodable."""

from __future__ import annotations

import json
from typing import Any

from rewardsmith.kinds import KINDS
from rewardsmith.propose.catalogue import (
    LLM_EXCLUDED_KINDS,
    answer_schema,
    catalogue_for_prompt,
    inline_refs,
    kinds_for,
)
from rewardsmith.propose.examples import example_rule
from rewardsmith.propose.llm import run_proposal
from rewardsmith.propose.prompts import propose_messages
from rewardsmith.samples import Sample, SampleSet
from rewardsmith.spec import MAX_RULES, Rule

from .conftest import LOCAL_MODEL, MATH_GOOD, Reply, make_settings, needs_litellm

# What vLLM's guided decoding (xgrammar / outlines) and llama.cpp's json-schema-to-grammar accept
# alike; `$ref`, `default`, `title`, `minimum`, `format`, `oneOf`, `allOf`, `const` are left out.
GUIDED = {"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "minItems",
          "maxItems", "pattern", "description"}


def _walk(node: Any, path: str = "$"):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    yield from _walk(sub, f"{path}.{name}")
            elif key not in ("enum", "required", "description", "pattern"):
                yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def test_the_schema_uses_only_keywords_guided_decoders_take():
    schema = answer_schema()
    for path, node in _walk(schema):
        assert set(node) <= GUIDED, f"{path}: {sorted(set(node) - GUIDED)}"
        if "properties" in node:
            assert node["additionalProperties"] is False, path
            assert set(node["required"]) <= set(node["properties"]), path
    assert "$defs" not in json.dumps(schema) and "$ref" not in json.dumps(schema)
    rules = schema["properties"]["rules"]
    assert rules["maxItems"] == MAX_RULES  # the one limit, the same as the spec's
    offered = [v["properties"]["kind"]["enum"][0] for v in rules["items"]["anyOf"]]
    assert set(offered) == set(KINDS) - LLM_EXCLUDED_KINDS and "judge" not in offered


def test_every_example_is_a_valid_rule_of_its_kind():
    for name, kind in KINDS.items():
        rule = example_rule(kind)
        assert rule["kind"] == name
        Rule.model_validate(rule)  # raises if the catalogue would teach a wrong example


def test_params_are_inline_with_types_defaults_and_the_surprising_defaults_said():
    entries, left_out = catalogue_for_prompt(["answer"])
    by_kind = {e.kind: e for e in entries}
    extract = next(line for line in by_kind["exact_match"].params if line.startswith("`extract`"))
    assert 'method: "xml_tag"|"after_tag"' in extract and 'tag = "answer"' in extract  # resolved, not a $ref
    assert any(line.startswith("`score_match` (number; default 1.0)") for line in by_kind["exact_match"].params)
    assert any("`score_in` defaults to 0.5, not 1" in s for s in by_kind["count_in_range"].surprises)
    assert any("`score_match` defaults to 0.5, not 1" in s for s in by_kind["answer_shape"].surprises)
    assert by_kind["exact_match"].surprises == []
    assert json.loads(by_kind["count_in_range"].example)["params"]["score_in"] == 1.0
    assert "judge" not in by_kind and "judge" in left_out


def _schema_kinds(samples: SampleSet) -> list[str]:
    """The kinds the answer schema of a prompt for `samples` allows."""
    prompt = propose_messages(samples, task="")
    return [v["properties"]["kind"]["enum"][0]
            for v in answer_schema(prompt.kinds)["properties"]["rules"]["items"]["anyOf"]]


def test_kinds_that_need_a_reference_are_left_out_of_a_file_without_one():
    allowed, left_out = kinds_for([])
    assert "exact_match" not in allowed and "numeric" not in allowed
    assert "regex_format" in allowed and "contains" in allowed  # contains can use keywords
    assert "a reference column" in left_out["exact_match"]
    samples = SampleSet([Sample(id=f"s{i}", prompt="Say hi.", completion=text, group="g", label=label)
                         for i, (text, label) in enumerate([("<answer>hi</answer>", 1.0), ("hello there", 0.0)])])
    prompt = propose_messages(samples, task="greet").messages[1]["content"]
    assert "## exact_match" not in prompt and "## regex_format" in prompt
    assert "Left out of this list (do not use them): exact_match (compares with a reference column" in prompt
    assert "Completions are plain strings" in prompt and "`scope`" not in prompt
    assert prompt.count("At most 64 rules") == 1 and "12" not in prompt.split("# Answer format")[1]
    assert _schema_kinds(samples) == kinds_for([])[0]  # the schema offers what the prompt offers


def test_inline_refs_resolves_nested_definitions():
    schema = {"$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
                        "B": {"type": "string", "enum": ["x"]}},
              "properties": {"a": {"$ref": "#/$defs/A", "description": "kept"}}}
    assert inline_refs(schema) == {"properties": {"a": {"type": "object", "description": "kept",
                                                        "properties": {"b": {"type": "string", "enum": ["x"]}}}}}


@needs_litellm
def test_a_server_of_ones_own_gets_the_strict_schema_of_the_kinds_offered(server, math_samples):
    server.push(Reply.json(MATH_GOOD))
    run_proposal(math_samples, settings=make_settings(server, model=LOCAL_MODEL), name="m")
    [request] = server.chat_requests()
    sent = request.body["response_format"]["json_schema"]
    assert sent["strict"] is True and sent["name"] == "reward_spec"
    assert sent["schema"] == answer_schema([k for k in KINDS if k not in LLM_EXCLUDED_KINDS])
