"""Hostile text from a spec never changes the generated module's structure.

Every string a spec carries into the module — docstring text (rationale, description, provenance),
string params (keywords, split separators, a regex literal, the judge's prompt, model and verdict
words) and the names — is drawn from text built to break out: quotes, backslash runs, triple quotes,
Jinja delimiters, NUL, line and paragraph separators, lone surrogates, very long runs. The module
must compile and have exactly the top-level layout of the same spec with plain text: the same names,
the same kinds of statement, and in each function the same kinds of statement.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rewardsmith.errors import RenderError
from rewardsmith.render import render_module
from rewardsmith.spec import RewardSpec

PIECES = ['"', "'", '"""', "'''", "\\", "\\" * 49, "\\" * 50, "{{", "}}", "{%", "%}", "{#", "#}", "\x00",
          "\u2028", "\u2029", "\r", "\n", "\t", "\ud800", "\udfff", "\x85", "\x0c", "#", "import os", "):",
          "\n    ", " ", "x" * 97, "é", "\U0001F600"]


def _hostile(max_size: int = 60) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(PIECES), st.text(min_size=1, max_size=4))
    return st.lists(piece, max_size=max_size).map("".join)


LONG = st.builds(lambda unit, n: unit * n, st.sampled_from(["\\", '"', "x ", "\\ ", '" ']), st.integers(90, 1999))
TEXT = st.one_of(_hostile(), LONG)


def _spec(rationale: str, text: str, word: str, name: str) -> dict:
    """A spec whose every rendered string holds the hostile text (plain text when it is ``x``)."""
    keyword = text or "x"
    return {
        "name": "hostile",
        "description": text,
        "task": text,
        "provenance": {"proposer": text or "hand", "model": text or None, "persona": text or None},
        "rules": [
            {"name": name, "kind": "contains", "rationale": rationale,
             "params": {"keywords": [keyword, keyword + "'", re.escape(keyword[:1300])],
                        "extract": {"method": "split", "start": keyword, "end": text}}},
            {"name": "judged", "kind": "judge", "role": "verifier", "rationale": rationale,
             "params": {"model": (text or "m")[:200], "prompt": text + "{answer}", "yes_words": [word],
                        "no_words": [word + "n"]}},
        ],
    }


def _shape(tree: ast.Module) -> list[tuple]:
    """Each top-level statement's kind and the names it binds; each function's statement kinds."""
    out: list[tuple] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
            out.append((type(node).__name__, node.name, doc, tuple(type(s).__name__ for s in node.body)))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.append(("Assign", tuple(ast.unparse(t) for t in targets)))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append((type(node).__name__, tuple(a.name for a in node.names)))
        else:
            out.append((type(node).__name__,))
    return out


@lru_cache(maxsize=None)
def _expected(name: str) -> list[tuple]:
    """The shape of the same spec with plain text."""
    return _shape(ast.parse(render_module(RewardSpec.model_validate(_spec("why", "x", "yes", name)))))


def _check(rationale: str, text: str, word: str, name: str) -> None:
    word = word.strip().lower()[:30] or "yes"
    try:
        spec = RewardSpec.model_validate(_spec(rationale, text, word, name))
    except ValidationError:
        # Refused is fine (a name that is no identifier, a verdict word of spaces, a regex the vetting
        # refuses): the spec never renders. What renders must keep its shape.
        return
    try:
        source = render_module(spec)
    except RenderError:
        return
    tree = ast.parse(source)  # raises on a module that does not parse
    compile(tree, "<hostile>", "exec")
    assert _shape(tree) == _expected(name)


# Mostly a valid rule name, so most examples render; now and then hostile text, which must be refused.
NAMES = st.one_of(st.sampled_from(["short", "kw", "a_1", "x" * 64]), st.sampled_from(["short"]), _hostile(10))
HOSTILE = dict(rationale=TEXT.map(lambda s: s[:2000]), text=TEXT, word=_hostile(10), name=NAMES)


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(**HOSTILE)
def test_hostile_text_keeps_the_module_shape(rationale, text, word, name):
    _check(rationale, text, word, name)


@pytest.mark.slow
@settings(max_examples=40_000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(**HOSTILE)
def test_hostile_text_keeps_the_module_shape_at_length(rationale, text, word, name):
    _check(rationale, text, word, name)


@pytest.mark.parametrize("run", [1, 2, 47, 48, 49, 50, 95, 96, 97, 191, 192])
def test_backslash_runs_at_every_wrap_point(run):
    # The case: a run of backslashes breaking across a wrapped line used to escape the closing quotes.
    for prefix in ("", "a", "word " * 18, "x" * 94):
        _check(prefix + "\\" * run, prefix + "\\" * run + '"', "yes", "short")
