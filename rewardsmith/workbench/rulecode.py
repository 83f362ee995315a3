"""The rendered Python of one rule, cut from the module the bench runs (not a separate rendering)."""

from __future__ import annotations

import io
import re

from ruamel.yaml import YAML

from ..render import render_module
from ..spec import RewardSpec, Rule

__all__ = ["params_yaml", "rule_source", "slice_rule"]


def slice_rule(module: str, name: str) -> str:
    """The section of `module` that defines rule `name`: its regexes, function and verifier."""
    start = module.find(f"\n# --- {name}:")
    if start < 0:
        raise KeyError(f"rule {name!r} is not in the module")
    rest = module[start + 1:]
    # The section ends where the next rule's banner or the module's tables begin.
    end = re.search(r"\n\n\n(?=# --- |REWARD_FUNCS = )", rest)
    return rest[: end.start() if end else len(rest)].rstrip() + "\n"


def rule_source(rule: Rule, spec_name: str = "preview") -> str:
    """The code of one rule, rendered through the same templates as the whole module."""
    module = render_module(RewardSpec(name=spec_name, rules=[rule]))
    return slice_rule(module, rule.name)


def params_yaml(rule: Rule) -> str:
    """The rule's params as they appear in a spec file (fields left at their defaults omitted)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(rule.params_dict(), buf)
    return buf.getvalue()
