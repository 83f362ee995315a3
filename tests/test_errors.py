"""The exceptions: all in rewardsmith.errors, drawn as they are in its docstring, public from the package."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import rewardsmith
from rewardsmith import errors
from rewardsmith.excerpt import CUT_MARKER

PACKAGE = Path(rewardsmith.__file__).resolve().parent
# The runtime is copied into generated modules, which must run without rewardsmith installed:
# whatever it raises cannot come from rewardsmith.errors.
SELF_CONTAINED = ("runtime",)
BUILTIN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                      if isinstance(value, type) and issubclass(value, BaseException)}
TREE_LINE = re.compile(r"^(?P<indent>[\s│├└─]*?)(?P<name>[A-Z]\w+)\s{2,}\S")


def _exception_classes(path: Path) -> list[tuple[int, str]]:
    """(line, name) of each class in `path` whose base is an exception by name."""
    known = BUILTIN_EXCEPTIONS | set(errors.__all__)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                     for b in node.bases}
            if bases & known or any(b.endswith(("Error", "Exception")) for b in bases):
                found.append((node.lineno, node.name))
    return found


def _tree() -> dict[str, str | None]:
    """Each class the docstring draws, with the class drawn as its parent (None at the roots)."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        match = TREE_LINE.match(line)
        if not match or match["name"] not in errors.__all__:
            continue
        depth = len(match["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((depth, match["name"]))
    return parents


def test_every_exception_class_is_defined_in_errors():
    elsewhere = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel == Path("errors.py") or rel.parts[0] in SELF_CONTAINED:
            continue
        elsewhere += [f"rewardsmith/{rel.as_posix()}:{line}: class {name}" for line, name in _exception_classes(path)]
    assert not elsewhere, ("move these to rewardsmith/errors.py (and draw them in its docstring):\n"
                           + "\n".join(elsewhere))


def test_the_docstring_draws_the_hierarchy_as_it_is():
    drawn = _tree()
    assert set(drawn) == set(errors.__all__), "draw every class of errors.__all__ in its docstring"
    for name, parent in drawn.items():
        cls = getattr(errors, name)
        (base,) = cls.__bases__
        expected = None if base in (Exception, BaseException) else base.__name__
        assert parent == expected, f"{name} is drawn under {parent}, but its base is {base.__name__}"


def test_every_user_facing_error_is_public_from_the_package():
    public = {name for name in errors.__all__ if issubclass(getattr(errors, name), errors.RewardsmithError)}
    assert public <= set(rewardsmith.__all__)
    assert "InvalidAnswer" not in rewardsmith.__all__  # internal: it never reaches the user
    assert rewardsmith.__all__ == sorted(rewardsmith.__all__)
    assert errors.__all__ == sorted(errors.__all__)
    for name in rewardsmith.__all__:
        assert getattr(rewardsmith, name) is getattr(errors, name, rewardsmith.__version__)


def test_llm_output_error_keeps_the_answer_and_quotes_its_ends():
    answer = "HEAD " + "x" * 6000 + " TAIL"
    exc = errors.LLMOutputError("the answer is not a valid spec:", output=answer, problems=["rules: missing"])
    text = str(exc)
    assert exc.output == answer and exc.problems == ["rules: missing"] and exc.first_problems == []
    assert text.startswith("the answer is not a valid spec:\n  - rules: missing\nwhat came back:\nHEAD ")
    assert text.endswith(" TAIL") and CUT_MARKER.split("{")[0] in text and len(text) < 2200
    assert isinstance(exc, errors.LLMError) and isinstance(exc, rewardsmith.RewardsmithError)
    empty = errors.LLMOutputError("no candidate gave a valid spec:", output="  ", problems=["a", "b"])
    assert str(empty).endswith("what came back:\n(an empty answer)")
