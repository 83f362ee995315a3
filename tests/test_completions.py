"""The library's reading of a completion agrees with the generated module's, scope by scope."""

from __future__ import annotations

import types

import pytest

from rewardsmith.completions import scoped_text
from rewardsmith.render import render_module
from rewardsmith.spec import RewardSpec, Rule

COMPLETIONS = [
    "plain text",
    "",
    [{"role": "assistant", "content": "one"}],
    [{"role": "assistant", "content": "a"}, {"role": "tool", "content": "t"}, {"role": "assistant", "content": "b"}],
    [{"role": "tool", "content": "t first"}, {"role": "assistant", "content": [{"type": "text", "text": "parts"}]}],
    {"messages": [{"role": "assistant", "content": "x"}, {"role": "tool", "content": None}]},
    [],
]


@pytest.mark.parametrize("scope", ["first", "last", "assistant", "transcript"])
def test_scoped_text_matches_the_generated_module(scope):
    spec = RewardSpec(name="s", rules=[Rule(name="r", kind="regex_format",
                                            params={"pattern": "x", "scope": scope})])
    module = types.ModuleType("m")
    exec(compile(render_module(spec), "m.py", "exec"), module.__dict__)
    for completion in COMPLETIONS:
        assert scoped_text(completion, scope) == module._text(completion, scope)
