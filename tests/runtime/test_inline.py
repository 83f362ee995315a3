"""The runtime as render inlines it: module-level helpers, stdlib only, dependencies found from the code."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

from rewardsmith import runtime
from rewardsmith.render import _inline, _runtime_helpers, _stdlib_imports

MODULES = [importlib.import_module(f"rewardsmith.runtime.{m.name}") for m in pkgutil.iter_modules(runtime.__path__)]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_lists_every_helper_and_only_stdlib_is_imported(module):
    defined = {n for n in vars(module) if n.startswith("_") and not n.startswith("__")
               and getattr(vars(module)[n], "__module__", module.__name__) == module.__name__}
    assert set(module.__all__) <= set(vars(module))
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names)
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            assert node.module.split(".")[0] in sys.stdlib_module_names or node.module == "__future__"
    assert {n for n in module.__all__} >= {n for n in defined if callable(vars(module)[n])}


def test_dependencies_come_from_the_code():
    table = _runtime_helpers()
    assert table["_tier_passes"].uses == {"_normalize", "_parse_number", "_token_f1"}
    assert table["_text"].uses == {"_messages", "_scoped", "_content"}
    assert "_BOXED" in table["_extract_boxed_span"].uses


def test_inline_closes_over_dependencies_in_order():
    sources = _inline("x = _tier_passes(a, b, c, d, e)")
    names = [s.split("(")[0].split()[-1] if s.startswith("def") else s.split(" =")[0] for s in sources]
    assert names[-1] == "_tier_passes"
    assert {"_normalize", "_parse_number", "_token_f1", "_FRACTION", "_ARTICLES"} <= set(names)
    assert names.index("_normalize") < names.index("_tier_passes")
    assert _inline("x = _tier_passes(a, b, c, d, e)") == sources


def test_imports_are_read_from_the_code_not_from_text():
    assert _stdlib_imports("x = 'math.'\ny = re.compile('a')") == ["re"]
    assert _stdlib_imports("def f():\n    import os\n    return os.sep") == []
