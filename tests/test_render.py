"""The rendered module: golden files, standalone import, TRL's contract, hostile spec text, names, determinism.

(a) every golden module under tests/golden/ equals a fresh render;
(b) every rendered module compiles and imports in a subprocess that cannot see rewardsmith (nor any
    site-packages) and pulls in only standard-library modules, then scores str, message-list and
    {"messages": [...]} completions;
(c) TRL's contract: REWARD_FUNCS / REWARD_WEIGHTS / VERIFIERS / __all__, module-level picklable functions;
(d) spec text, however hostile, cannot change the module's structure;
(e) rule names that are keywords, builtins, invalid or clashing are refused;
(f) rendering is deterministic, also across processes with different hash seeds.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from rewardsmith.errors import RenderError, SpecError
from rewardsmith.kinds import KINDS
from rewardsmith.kinds.base import Extract
from rewardsmith.kinds.format import RegexFormatParams
from rewardsmith.render import render_module
from rewardsmith.spec import Provenance, RewardSpec, Rule, parse_spec

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
REGEN = "python scripts/regen.py golden"


def _load_regen() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("_rewardsmith_regen", ROOT / "scripts" / "regen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regen = _load_regen()
SPECS: dict[str, RewardSpec] = regen.golden_specs()
SOURCES: dict[str, str] = regen.golden_modules()  # file name -> fresh render
NAMES = sorted(SPECS)  # module names


def _exec(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


# ------------------------------------------------------------------ (a) golden files


@pytest.mark.parametrize("file_name", sorted(SOURCES))
def test_golden_file_equals_a_fresh_render(file_name: str) -> None:
    path = GOLDEN / file_name
    assert path.is_file(), f"tests/golden/{file_name} is missing: run `{REGEN}` and review the new file"
    on_disk = path.read_bytes().decode("utf-8")
    if on_disk != SOURCES[file_name]:
        diff = regen.text_diff(f"tests/golden/{file_name}", path.read_bytes(), SOURCES[file_name].encode("utf-8"))
        pytest.fail(
            f"tests/golden/{file_name} differs from a fresh render: the templates, kinds or specs changed "
            f"the generated code. Run `{REGEN}` and review the diff before committing{diff[:4000]}",
            pytrace=False,
        )


def test_no_stale_golden_files() -> None:
    stale = sorted({p.name for p in GOLDEN.glob("*.py")} - set(SOURCES))
    assert not stale, f"golden files no preset or spec renders: {stale}; run `{REGEN}`"


def test_goldens_cover_every_kind_extraction_and_role() -> None:
    rules = [rule for spec in SPECS.values() for rule in spec.rules]
    assert {r.kind for r in rules} == set(KINDS), "add the missing kinds to a spec in tests/golden/specs/"
    methods = {r.params.extract.method for r in rules if isinstance(getattr(r.params, "extract", None), Extract)}
    all_methods = set(Extract.model_fields["method"].annotation.__args__)
    assert methods == all_methods, f"extraction methods not in any golden spec: {all_methods - methods}"
    assert {r.role for r in rules} == {"reward", "verifier", "metric"}
    assert {r.params.scope for r in rules if hasattr(r.params, "scope")} == {"first", "last", "assistant", "transcript"}


# ------------------------------------------------------------------ (b) standalone import and run

_RUNNER = r"""
import importlib, importlib.util, json, pickle, sys
name, skip = sys.argv[1], set(sys.argv[2].split(",")) - {""}
case = json.loads(sys.stdin.read())
report = {"rewardsmith_findable": importlib.util.find_spec("rewardsmith") is not None}
sys.path.insert(0, ".")
before = set(sys.modules)
module = importlib.import_module(name)
report["file"] = module.__file__
report["imported"] = sorted(set(sys.modules) - before - {name})
calls = dict(prompts=case["prompts"], completions=case["completions"], **case["columns"])
report["scores"] = {f.__name__: f(**calls) for f in module.REWARD_FUNCS if f.__name__ not in skip}
report["verdicts"] = {k: v(**calls) for k, v in module.VERIFIERS.items() if k not in skip}
report["async"] = sorted(f.__name__ for f in module.REWARD_FUNCS if f.__code__.co_flags & 0x80)
report["all_imported"] = sorted(set(sys.modules) - before - {name})
report["non_stdlib"] = [m for m in report["all_imported"] if m.split(".")[0] not in sys.stdlib_module_names]
report["rewardsmith_loaded"] = any(m.split(".")[0] == "rewardsmith" for m in sys.modules)
functions = list(module.REWARD_FUNCS) + list(module.VERIFIERS.values())
report["pickles"] = {f.__name__: pickle.loads(pickle.dumps(f)) is f for f in functions}
report["pickles_list"] = pickle.loads(pickle.dumps(module.REWARD_FUNCS)) == module.REWARD_FUNCS
print(json.dumps(report))
"""

_TEXTS = [
    "<think>\nI searched twice.\n</think>\n<answer>\n42\n</answer>\n",
    "Searching for: paris\nSearching for: île-de-france\nThe answer is \\boxed{42}.\nAnswer: 42\nFinal: B",
    "<think>\nleft, up\n</think>\n<|left|>|><|<|up|>",
    "<think>\nup, up, down\n</think>\n<|up|> <|up|><|down|>\n",
    "<answer>AB</answer> https://example.com <tool_call>x</tool_call> repeated repeated repeated repeated",
    "",
]
# 5 values against 3 completion forms per text: every text meets several references.
_COLUMN_VALUES = ["42", ["forty two", "42"], "<|left|>|><|<|up|>", None, "Paris"]
# Texts the kinds of later domains need, each with the one reference value that makes sense for it.
_PAIRED_TEXTS = [
    ("Between the two, the answer is (B).", "B"),
    ("The answer is (C), a safe bet.", "B"),
    ("The product is \\boxed{\\frac{84}{2}}.", "['\\\\boxed{42}']"),
    ("Here it is:\n```python\ndef add(a, b):\n    return a + b\n```\n", "42"),
]


def _case(columns: list[str]) -> dict:
    completions: list = []
    for text in [*_TEXTS, *(text for text, _ in _PAIRED_TEXTS)]:
        completions.append(text)
        completions.append([
            {"role": "assistant", "content": text},
            {"role": "tool", "content": "<tool_call>search</tool_call> Searching for: tool text"},
            {"role": "assistant", "content": [{"type": "text", "text": "Searching for: again\n" + text}]},
        ])
        completions.append({"messages": [{"role": "assistant", "content": text}, {"role": "tool", "content": "ok"}]})
    n = len(completions)
    return {
        "prompts": [[{"role": "user", "content": "What is 6 times 7?"}]] * n,
        "completions": completions,
        "columns": {c: [_COLUMN_VALUES[i % len(_COLUMN_VALUES)] for i in range(3 * len(_TEXTS))]
                       + [value for _, value in _PAIRED_TEXTS for _form in range(3)] for c in columns},
    }


def _run_standalone(tmp_path: Path, name: str, source: str, case: dict, skip: tuple[str, ...] = ()) -> dict:
    (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    # -I: no PYTHON* variables, no user site, no script directory on sys.path; -S: no site-packages,
    # so neither rewardsmith nor anything installed beside it can be imported.
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _RUNNER, name, ",".join(skip)],
        input=json.dumps(case), capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 0, f"{name} failed standalone:\n{proc.stderr}"
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", NAMES)
def test_module_runs_standalone_with_the_standard_library_only(name: str, tmp_path: Path) -> None:
    spec, source = SPECS[name], SOURCES[f"{name}.py"]
    compile(source, f"{name}.py", "exec")
    case = _case(spec.columns())
    # Async rules (the LLM judge) need the openai package and an endpoint: tests/llm/test_judge.py runs
    # them against a scripted server. Here they must still import with the standard library only.
    judged = tuple(r.name for r in spec.rules if KINDS[r.kind].asynchronous)
    report = _run_standalone(tmp_path, name, source, case, skip=judged)
    assert report["async"] == sorted(judged)
    assert not report["rewardsmith_findable"] and not report["rewardsmith_loaded"]
    assert Path(report["file"]).parent == tmp_path
    assert report["non_stdlib"] == [], f"{name} imports outside the standard library: {report['non_stdlib']}"
    assert all(report["pickles"].values()) and report["pickles_list"], report["pickles"]

    n = len(case["completions"])
    rules = {r.name: r for r in spec.rules if r.name not in judged}
    assert list(report["scores"]) == list(rules)
    for rule_name, scores in report["scores"].items():
        assert len(scores) == n, rule_name
        assert all(s is None or type(s) is float for s in scores), (rule_name, scores)
        if not rules[rule_name].columns() and rules[rule_name].gate is None:
            assert None not in scores, f"{rule_name} reads no column, so it always applies"
    for rule_name, verdicts in report["verdicts"].items():
        scores = report["scores"][rule_name]
        assert all(v is None or type(v) is bool for v in verdicts), (rule_name, verdicts)
        assert [v is None for v in verdicts] == [s is None for s in scores]
    # the subprocess (another hash seed, no rewardsmith) scores exactly like an in-process load
    module = _exec(source, name)
    here = {f.__name__: f(case["prompts"], case["completions"], **case["columns"]) for f in module.REWARD_FUNCS
            if f.__name__ not in judged}
    assert here == report["scores"]


def test_golden_scores_are_not_trivial() -> None:
    """The standalone cases reach both outcomes of every binary rule (a guard on the case texts)."""
    for name in NAMES:
        module, case = _exec(SOURCES[f"{name}.py"], name), _case(SPECS[name].columns())
        for rule_name, verify in module.VERIFIERS.items():
            if KINDS[SPECS[name].rule(rule_name).kind].asynchronous:
                continue  # the judge's verdicts need an endpoint: tests/llm/test_judge.py
            if SPECS[name].rule(rule_name).kind == "code_tests":
                continue  # passing needs real tests for real code: tests/test_kinds_domain.py runs HumanEval
            verdicts = {v for v in verify(case["prompts"], case["completions"], **case["columns"]) if v is not None}
            never = "passes" if True not in verdicts else "fails"
            assert verdicts == {True, False}, f"{name}.{rule_name} never {never} on the standalone cases"


def test_token_length_imports_transformers_only_when_called(tmp_path: Path) -> None:
    spec = parse_spec(json.dumps({
        "name": "tokens",
        "rules": [
            {"name": "overlong", "kind": "length", "params": {"unit": "tokens", "tokenizer": "gpt2", "max_length": 10}},
            {"name": "has_answer", "kind": "regex_format", "role": "verifier", "params": {"pattern": "<answer>"}},
        ],
    }))
    source = render_module(spec, module_name="tokens")
    assert "transformers" in source.split('"""', 2)[1], "the header must say the module needs transformers"
    report = _run_standalone(tmp_path, "tokens", source, _case([]), skip=("overlong",))
    assert report["non_stdlib"] == [] and all(report["pickles"].values())


# ------------------------------------------------------------------ (c) TRL's contract


@pytest.mark.parametrize("name", NAMES)
def test_trl_contract(name: str) -> None:
    spec, module = SPECS[name], _exec(SOURCES[f"{name}.py"], name)
    funcs, weights, verifiers = module.REWARD_FUNCS, module.REWARD_WEIGHTS, module.VERIFIERS
    assert len(weights) == len(funcs) == len(spec.rules)
    assert all(type(w) is float for w in weights)
    assert weights == [0.0 if r.role == "metric" else r.weight for r in spec.rules]
    assert [f.__name__ for f in funcs] == [r.name for r in spec.rules]
    assert sorted(verifiers) == sorted(r.name for r in spec.rules if r.role == "verifier")
    exported = set(module.__all__)
    assert module.__all__ == sorted(module.__all__)
    assert {"REWARD_FUNCS", "REWARD_WEIGHTS", "VERIFIERS"} <= exported
    for f in [*funcs, *verifiers.values()]:
        assert f.__name__ in exported and getattr(module, f.__name__) is f
        assert f.__qualname__ == f.__name__ and f.__module__ == name, "reward functions must be module-level"
        params = inspect.signature(f).parameters
        assert list(params)[:2] == ["prompts", "completions"]
        assert params["completions"].default is None and params["prompts"].default is None
        assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for rule_name, verify in verifiers.items():
        assert verify.__name__ == f"verify_{rule_name}"
    assert all(hasattr(module, n) for n in module.__all__)
    assert module.SPEC_HASH == spec.fingerprint() and module.SPEC_NAME == spec.name


# ------------------------------------------------------------------ (d) hostile spec text

HOSTILE = (
    '"""' + "'''" + "\n import os\nimport os; os.system('echo pwned')\n" + '")\nprint("x")\n#'
    + "{{ 7 * 7 }} {% if x %}{% endif %} {# note #} {%- raw -%} "
    + "\\ \\n \\x41 \\u0041 \\N{BULLET} \\\\ \\" + "\x01\x07\x08\x0b\x0c\x1b\x7f\r\t\v"
    + "\u2028\u0085\ufeff é ² ٣ " + "'\"'''\"\"\"\\"
)
BENIGN = "benign text"


def _spec_data(t: str) -> dict:
    """A spec that puts `t` everywhere spec text can go; `_spec_data(BENIGN)` is its twin."""
    pattern = re.escape(t)

    def rule(name: str, kind: str, role: str = "reward", **params) -> dict:
        weight = {"weight": 0.0} if role == "metric" else {}
        return {"name": name, "kind": kind, "role": role, **weight, "params": params, "rationale": t}

    split = {"method": "split", "start": t, "end": t}
    tiers = [{"test": "numeric", "score": 1.0}, {"test": "f1", "score": 0.5}]
    tag_items = [{"text": t, "value": 0.5, "penalty": {"after": t, "per_char": 0.01, "offset": 2}},
                 {"after": t, "per_char": 0.001}]
    return {
        "name": "hostile",
        "description": t,
        "task": t,
        "provenance": {"proposer": t, "model": t, "persona": t, "samples": t, "other": t},
        "rules": [
            rule("kw", "contains", keywords=[t, t[:3]], extract=split),
            rule("kw_ref", "contains", reference="aliases", mode="fraction"),
            rule("exact", "exact_match", "verifier",
                 extract={"method": "regex", "pattern": "(" + pattern + ")"}, normalize={"lower": True}),
            rule("f1", "token_f1", extract={"method": "after_tag", "tag": "answer"}),
            rule("num", "numeric", extract={"method": "boxed"}),
            rule("tiers", "tiered", extract={"method": "last_line"}, tiers=tiers),
            rule("steps", "step_scaled_match", separator=t, extract={"method": "split", "start": t, "index": 1}),
            rule("shape", "answer_shape", "metric", check="one_of", options=[t, "a"],
                 extract={"method": "xml_tag", "tag": "answer"}),
            rule("shape_re", "answer_shape", check="fullmatch", pattern=pattern, extract={"method": "whole"}),
            rule("fmt", "regex_format", pattern=pattern, flags=["DOTALL", "IGNORECASE"]),
            rule("tags", "tag_count", items=tag_items),
            rule("tokens", "allowed_tokens", tokens=[t, "<|up|>"], ignore_whitespace=False),
            rule("searches", "count_in_range", pattern=t, literal=True, min_count=1, max_count=2),
            rule("searches_re", "count_in_range", pattern=pattern, min_count=1, max_count=2),
            rule("loops", "repetition"),
            rule("size", "length", unit="tokens", tokenizer=t, max_length=100),
        ],
    }


_ALLOWED_IMPORTS = {"collections", "math", "re", "unicodedata"}


def _is_flags(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "re" and node.attr.isupper()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_flags(node.left) and _is_flags(node.right)
    return False


def _check_top_level(source: str) -> list[str]:
    """The module's top level: a docstring, the allowed imports, assignments, plain function defs.

    The only call allowed at the top level is re.compile(<string literal>, <flags>). Returns the
    names of the functions defined, in order.
    """
    tree = ast.parse(source)
    first, *rest = tree.body
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    functions = []
    for node in rest:
        where = f"line {node.lineno}: {ast.unparse(node)[:200]}"
        if isinstance(node, ast.ImportFrom):
            assert node.module == "__future__" and [a.name for a in node.names] == ["annotations"], where
        elif isinstance(node, ast.Import):
            assert all(a.name in _ALLOWED_IMPORTS and a.asname is None for a in node.names), where
        elif isinstance(node, ast.Assign):
            assert len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), where
            calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]
            if calls:
                call = node.value
                assert calls == [call] and isinstance(call.func, ast.Attribute), where
                assert isinstance(call.func.value, ast.Name) and call.func.value.id == "re", where
                assert call.func.attr == "compile", where
                assert not call.keywords and len(call.args) in (1, 2), where
                assert isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str), where
                assert len(call.args) == 1 or _is_flags(call.args[1]), where
        elif isinstance(node, ast.FunctionDef):
            assert not node.decorator_list and not node.returns, where
            assert all(isinstance(d, ast.Constant) for d in node.args.defaults + node.args.kw_defaults if d), where
            functions.append(node.name)
        else:
            pytest.fail(f"unexpected top-level statement at {where}")
    return functions


class _BlankStrings(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant("") if isinstance(node.value, str) else node


def _shape(source: str) -> str:
    """The module's AST with every string literal blanked: its structure without its text."""
    return ast.dump(_BlankStrings().visit(ast.parse(source)))


def test_hostile_spec_text_cannot_change_the_module_structure() -> None:
    hostile = parse_spec(json.dumps(_spec_data(HOSTILE)))
    twin = parse_spec(json.dumps(_spec_data(BENIGN)))
    assert hostile.rules[0].params.keywords[0] == HOSTILE, "the YAML round trip must keep the text as is"
    header = {"Samples": HOSTILE, "Validation": HOSTILE}
    source = render_module(hostile, header=header)
    twin_source = render_module(twin, header={"Samples": BENIGN, "Validation": BENIGN})
    compile(source, "hostile.py", "exec")

    functions = _check_top_level(source)
    assert functions == _check_top_level(twin_source)
    rule_names = [r.name for r in hostile.rules]
    assert [f for f in functions if not f.startswith("_")] == [
        n for r in hostile.rules for n in ([r.name, f"verify_{r.name}"] if r.role == "verifier" else [r.name])
    ]
    assert _shape(source) == _shape(twin_source), "spec text changed the structure of the generated module"

    # The text arrives as data: the literals hold it exactly, and nothing ran at import.
    module = _exec(source, "hostile")
    assert module.__all__ == sorted([*rule_names, "verify_exact", "REWARD_FUNCS", "REWARD_WEIGHTS", "VERIFIERS"])
    completion = [{"role": "assistant", "content": "say " + HOSTILE}]
    assert module.fmt(completions=[completion]) == [1.0]
    assert module.searches(completions=[completion]) == [0.5]
    assert module.searches_re(completions=[completion]) == [0.5]
    assert module.shape_re(completions=[HOSTILE]) == [0.5]
    assert module.shape(completions=[f"<answer>{HOSTILE}</answer>"]) == [0.5]
    assert module.tokens(completions=["</think>" + HOSTILE + "<|up|>" + HOSTILE]) == [1.0]
    assert module.exact(completions=[HOSTILE], answer=[HOSTILE.lower()]) == [1.0]
    assert module.steps(completions=["x" + HOSTILE + "a"], answer=["a"]) == [0.2]
    assert module.kw(completions=["x" + HOSTILE + " " + HOSTILE[:3] + " "]) == [1.0]
    assert module.kw(completions=["x" + HOSTILE + " y "]) == [0.0]
    assert "import os" in module.kw.__doc__  # the rationale, as text
    tree = ast.parse(source)
    assert not any(isinstance(n, ast.Import) and any(a.name == "os" for a in n.names) for n in ast.walk(tree))


PIECES = ['"""', "'''", "\\", '"', "\\\"\"\"", "{{ x }}", "{% if %}", "\n import os\n", "\x1b[31m", "\u2028"]


@pytest.mark.parametrize("text", PIECES)
def test_each_hostile_piece_alone(text: str) -> None:
    spec = parse_spec(json.dumps(_spec_data(text)))
    source = render_module(spec, header={"Samples": text})
    twin = render_module(parse_spec(json.dumps(_spec_data(BENIGN))), header={"Samples": BENIGN})
    _check_top_level(source)
    assert _shape(source) == _shape(twin)


# ------------------------------------------------------------------ (e) rule names

BAD_NAMES = [
    "class", "def", "import", "lambda", "None", "True", "type", "print", "len", "list", "id", "open", "exec",
    "re", "math", "Foo", "FOO", "1abc", "_private", "a-b", "a b", "a.b", "ä", "x" * 65, "",
    "import os", "x\n", "x;y",
]


def _one_rule_spec(name: str) -> str:
    return json.dumps({"name": "names", "rules": [{"name": name, "kind": "regex_format", "params": {"pattern": "x"}}]})


def _constructed(*names_and_roles: tuple[str, str]) -> RewardSpec:
    """A spec built without validation, as a buggy proposer or a hand-edited object might."""
    rules = [
        Rule.model_construct(name=n, kind="regex_format", role=role, weight=1.0,
                             params=RegexFormatParams(pattern="x"), rationale="", provenance={})
        for n, role in names_and_roles
    ]
    return RewardSpec.model_construct(name="names", rules=rules, provenance=Provenance())


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_rule_names_are_refused(name: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(_one_rule_spec(name))
    assert "name" in str(info.value)
    with pytest.raises(RenderError):
        render_module(_constructed((name, "reward")))


@pytest.mark.parametrize("name", ["collections", "unicodedata", "annotations"])
def test_rule_names_that_shadow_the_module_imports_are_refused(name: str) -> None:
    """`def collections(...)` would replace the module the helpers call (token_f1 uses collections.Counter)."""
    with pytest.raises(SpecError):
        parse_spec(_one_rule_spec(name))
    with pytest.raises(RenderError):
        render_module(_constructed((name, "reward")))


def test_a_rule_named_like_a_verifier_wrapper_is_refused() -> None:
    """Rule `ok` as a verifier defines verify_ok; a second rule `verify_ok` would replace it."""
    data = {"name": "names", "rules": [
        {"name": "ok", "kind": "regex_format", "role": "verifier", "params": {"pattern": "x"}},
        {"name": "verify_ok", "kind": "regex_format", "params": {"pattern": "y"}},
    ]}
    with pytest.raises(SpecError):
        parse_spec(json.dumps(data))
    with pytest.raises(RenderError):
        render_module(_constructed(("ok", "verifier"), ("verify_ok", "reward")))
    with pytest.raises(RenderError):
        render_module(_constructed(("dup", "reward"), ("dup", "reward")))


def test_bad_module_name_is_refused() -> None:
    spec = parse_spec(_one_rule_spec("fine"))
    for bad in ["my-rewards", "1x", "a b", "", "x;import os"]:
        with pytest.raises(RenderError):
            render_module(spec, module_name=bad)


# ------------------------------------------------------------------ (f) determinism


@pytest.mark.parametrize("name", NAMES)
def test_rendering_twice_gives_the_same_bytes(name: str) -> None:
    spec = SPECS[name]
    first = render_module(spec, module_name=name, header=regen.HEADER)
    again = render_module(spec.model_copy(deep=True), module_name=name, header=dict(regen.HEADER))
    assert first == again == SOURCES[name + ".py"]


def test_rendering_is_the_same_under_another_hash_seed(tmp_path: Path) -> None:
    """A fresh interpreter with a different PYTHONHASHSEED renders the golden files byte for byte."""
    env = {"PYTHONHASHSEED": "4242", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "regen.py"), "--check", "golden"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
