"""Spec → Python module source, through one Jinja environment.

Python prepares every literal as source (``repr``) and validates every identifier; the templates
only lay the code out. The output is deterministic: the same spec and header give the same bytes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import sys
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from . import __version__, runtime
from .errors import RenderError
from .kinds import get_kind, py
from .patterns import _literal_count, _literal_head, _literal_tail, _required_literal
from .spec import RewardSpec, Rule, check_rule_name

__all__ = ["TARGETS", "docstring_text", "make_environment", "render_module", "render_test_module", "templates_dir"]

# Where the module goes: TRL takes its REWARD_FUNCS as they are; the others get an adapter around the same
# rule functions (templates/targets/<target>.py.jinja), so every target scores alike.
TARGETS = ("trl", "verl", "verifiers")
# Names each target adds to the module (its __all__), beside the rule functions.
_TARGET_NAMES = {
    "trl": (),
    "verl": ("COLUMNS", "GROUND_TRUTH_COLUMN", "compute_score", "verl_inputs"),
    "verifiers": ("COLUMNS", "VF_METRICS", "VF_REWARDS", "task_config", "vf_inputs"),
}


def templates_dir() -> Path:
    """The built-in templates: ``templates/`` of a source checkout, or the installed copy."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if (candidate / "module.py.jinja").is_file():
            return candidate
    raise RenderError(f"rewardsmith's templates are missing (looked beside {here}); reinstall rewardsmith")


def make_environment(user_dir: str | Path | None = None) -> jinja2.Environment:
    """The one Environment: a user's template folder (if given) first, then the built-ins."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.FileSystemLoader(str(templates_dir())))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


@lru_cache(maxsize=4)
def _environment(user_dir: str | None) -> jinja2.Environment:
    return make_environment(user_dir)


_QUOTE_RUN = re.compile(r'"{3,}')


def docstring_text(text: str, indent: str = "    ", width: int = 96) -> str:
    """Text that is safe inside a triple-quoted docstring, wrapped and indented.

    Escaping comes after wrapping: escaping first let a line break land inside an escaped pair
    (a run of backslashes), so the pair came apart and the closing quotes were escaped.
    """
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    paragraphs = [textwrap.fill(p, width) for p in text.strip().split("\n") if p.strip()]
    out = "\n\n".join(paragraphs).replace("\n", "\n" + indent).replace(indent + "\n", "\n")
    # Every backslash doubled, every quote of a run of three or more escaped: the text cannot end the string.
    out = _QUOTE_RUN.sub(lambda m: '\\"' * len(m.group(0)), out.replace("\\", "\\\\"))
    return out + " " if out.endswith('"') else out


def _rule_context(env: jinja2.Environment, rule: Rule, gate_kinds: dict[str, str]) -> dict[str, Any]:
    """What module.py.jinja needs of one rule; `gate_kinds` maps each rule's name to its kind's."""
    kind = get_kind(rule.kind)
    try:
        check_rule_name(rule.name)
    except ValueError as exc:
        raise RenderError(str(exc)) from None
    out = kind.render(rule.params)
    prefix = "_RE_" + rule.name.upper()
    regex_names = {key: f"{prefix}_{key.upper()}" for key in out.regexes}
    for name in regex_names.values():
        if not name.isidentifier():
            raise RenderError(f"rule {rule.name!r}: cannot name a regex {name!r}")
    scope = py(kind.scope(rule.params))
    # What each pattern needs before it can match, and the literal its matches count when that is all they are:
    # worked out here, once, and written into the module as constants (the runtime's batch prefilters).
    plans = {key: _regex_plan(src, flags) for key, (src, flags) in out.regexes.items()}
    ctx = {"fn": rule.name, "lit": out.lit, "re": regex_names, "scope": scope,
           "literal": {key: py(plan[1]) for key, plan in plans.items()},
           "head": {key: py(plan[2]) for key, plan in plans.items()},
           "tail": {key: py(plan[3]) for key, plan in plans.items()}}
    macros = env.get_template(f"kinds/{kind.family}.jinja").module
    body = getattr(macros, kind.name)(ctx).strip("\n")
    # What the rule reads of the whole batch before its loop (shared with the module's other rules through
    # the runtime's batch cache): the answers of an extracting kind, then anything the kind's own
    # `<kind>_reading` macro asks for.
    reading = [env.get_template("_macros.jinja").module.reading(ctx).strip("\n")]
    if hasattr(macros, f"{kind.name}_reading"):
        reading.append(getattr(macros, f"{kind.name}_reading")(ctx).strip("\n"))
    # A kind may also give its scores as one comprehension over the batch (`<kind>_scores`, empty when its
    # params need the per-completion loop): no Python statement per completion.
    scores = ""
    if not kind.asynchronous and hasattr(macros, f"{kind.name}_scores"):
        scores = getattr(macros, f"{kind.name}_scores")(ctx).strip()
    finish = getattr(macros, f"{kind.name}_finish")(ctx).strip("\n") if kind.asynchronous else ""
    columns = kind.columns(rule.params)
    for column in columns:
        if not column.isidentifier():
            raise RenderError(f"rule {rule.name!r}: column {column!r} is not an identifier")
    if len(set(columns)) != len(columns):
        raise RenderError(f"rule {rule.name!r} reads the column {columns[0]!r} twice; give each role its own column")
    # The first column a kind reads arrives in its macro as `refs`, the next ones as `refs_1`, `refs_2` …
    column_defs = [("refs" if k == 0 else f"refs_{k}", py(column)) for k, column in enumerate(columns)]
    weight = 0.0 if rule.role == "metric" else float(rule.weight)
    doc = f"{kind.name}: {kind.summary}."
    if rule.rationale:
        doc += f"\n\nWhy: {rule.rationale}"
    return {
        "fn": rule.name,
        "fn_lit": py(rule.name),
        "kind": kind.name,
        "role": rule.role,
        "weight": py(weight),
        "scope": scope,
        "reading": "\n".join(line for line in reading if line),
        "scores": scores,
        "doc": docstring_text(doc),
        "columns": columns,
        "column_defs": column_defs,
        "unwrap": bool(columns) and kind.unwraps_reference(rule.params),
        "gate": rule.gate,
        "chooses": kind.chooses_by_gate,
        "reads_ids": kind.reads_completion_ids(rule.params),
        "gate_async": rule.gate is not None and get_kind(gate_kinds[rule.gate]).asynchronous,
        "regex_defs": [(regex_names[k], f"{src}, {flags}", py(plans[k][0])) for k, (src, flags) in out.regexes.items()],
        "body": body,
        "asynchronous": kind.asynchronous,
        "finish": finish,
        "pass_score": py(float(kind.pass_score(rule.params))) if rule.role == "verifier" else "None",
        "needs": kind.needs(rule.params),
    }


def _regex_plan(source: str, flags: str) -> tuple[str, str | None, str, tuple[str, ...] | None]:
    """(required literal, literal its matches count or None, literal its matches start with, endings a text
    needs or None) of a kind's pattern, given as Python source.

    The source is a string literal and the flags ``0`` or ``re.NAME | ...``, as the kinds write them; anything
    else gets no prefilter ("", None, "", None), which changes no score.
    """
    try:
        value = 0
        for part in flags.split("|"):
            part = part.strip()
            if part != "0":
                if not part.startswith("re.") or not part[3:].isidentifier():
                    return "", None, "", None
                value |= int(getattr(re, part[3:]))
        pattern = re.compile(ast.literal_eval(source), value)
    except (ValueError, SyntaxError, AttributeError, re.error):
        return "", None, "", None
    return _required_literal(pattern), _literal_count(pattern), _literal_head(pattern), _literal_tail(pattern)


# --------------------------------------------------------------------------- inlining the runtime


@dataclass(frozen=True)
class _Helper:
    """One module-level definition of rewardsmith.runtime: its source and the runtime names it uses."""

    name: str
    order: tuple[bool, str, int]  # text first, then by module name, then by line: a stable emit order
    source: str
    uses: frozenset[str]


def _names_in(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


@lru_cache(maxsize=1)
def _runtime_helpers() -> dict[str, _Helper]:
    """Every ``_name`` defined at module level in rewardsmith.runtime, read from the code itself."""
    found: dict[str, tuple[str, int, str, ast.AST]] = {}
    for info in sorted(pkgutil.iter_modules(runtime.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{runtime.__name__}.{info.name}")
        source = inspect.getsource(module)
        lines = source.splitlines()
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = node.name
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
            else:
                continue
            if not name.startswith("_") or name.startswith("__"):
                continue
            if name in found:
                raise RenderError(f"rewardsmith.runtime defines {name} twice ({found[name][0]} and {info.name}); "
                                  "rename one, the generated module holds a single namespace")
            text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            found[name] = (info.name, node.lineno, text, node)
    return {
        name: _Helper(name, (module != "text", module, line), text, frozenset(_names_in(node) & found.keys() - {name}))
        for name, (module, line, text, node) in found.items()
    }


def _inline(code: str) -> list[str]:
    """Sources of the runtime helpers `code` uses and the helpers they use in turn, dependencies first."""
    table = _runtime_helpers()
    emitted: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        done.add(name)
        for dep in sorted(table[name].uses, key=lambda n: table[n].order):
            visit(dep)
        emitted.append(name)

    # what the code reads (a helper is only ever called); parsed once, shared with _stdlib_imports
    for name in sorted(_loaded_and_bound(code)[0] & table.keys(), key=lambda n: table[n].order):
        visit(name)
    return [table[name].source for name in emitted]


@lru_cache(maxsize=512)
def _loaded_and_bound(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """The names `code` reads and the names it binds (cached: the inlined helpers recur in every module)."""
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return frozenset(loaded), frozenset(bound)


def _stdlib_imports(*chunks: str) -> list[str]:
    """The standard-library modules the code of `chunks` refers to by a name it does not bind itself, sorted."""
    loaded: set[str] = set()
    bound: set[str] = set()
    for chunk in chunks:
        reads, binds = _loaded_and_bound(chunk)
        loaded |= reads
        bound |= binds
    return sorted((loaded - bound) & sys.stdlib_module_names)


def render_module(
    spec: RewardSpec,
    *,
    module_name: str = "rewards",
    header: dict[str, str] | None = None,
    template_dir: str | Path | None = None,
    target: str = "trl",
) -> str:
    """The module source for `spec`.

    Args:
        spec: a validated spec.
        module_name: the import name shown in the usage note.
        header: extra provenance lines for the docstring (samples, validation summary …),
            in the order given. Nothing time-dependent is added, so output is reproducible.
        template_dir: a folder of templates that override the built-ins.
        target: the trainer the module is for (:data:`TARGETS`); every target holds the same rule functions.
    """
    if target not in TARGETS:
        raise RenderError(f"unknown export target {target!r}; choose one of {', '.join(TARGETS)}")
    if not module_name.isidentifier():
        raise RenderError(f"module name {module_name!r} is not a Python identifier")
    env = _environment(str(template_dir) if template_dir else None)
    kinds = {rule.name: rule.kind for rule in spec.rules}
    rules = [_rule_context(env, rule, kinds) for rule in spec.rules]
    verifiers = [r for r in rules if r["role"] == "verifier"]
    names = [r["fn"] for r in rules] + [f"verify_{r['fn']}" for r in verifiers]
    for r in rules:
        if r["gate"] is not None and r["gate"] not in {v["fn"] for v in verifiers}:
            raise RenderError(f"rule {r['fn']!r} is gated by {r['gate']!r}, which is not a verifier of this spec")
    names += ["REWARD_FUNCS", "REWARD_WEIGHTS", "VERIFIERS"]
    names += list(_TARGET_NAMES[target])
    if target == "verifiers":
        names += [f"vf_{r['fn']}" for r in rules]
    # verl logs each rule's score under the rule's name beside the total's "score" key
    taken = names + (["score"] if target == "verl" else [])
    clashes = sorted({n for n in taken if taken.count(n) > 1})
    if clashes:
        raise RenderError(f"the module would define {', '.join(clashes)} twice; rename the rules")
    prov = spec.provenance
    lines = [("Persona", prov.persona), ("Model", prov.model)]
    lines += list((header or {}).items())
    header_lines = [f"{k + ':':<12} {docstring_text(str(v), indent=' ' * 13)}" for k, v in lines if v]
    needs = "; ".join(["the standard library", *dict.fromkeys(n for r in rules for n in r["needs"])])
    columns = list(dict.fromkeys(c for r in rules for c in r["columns"]))
    context = dict(
        version=__version__,
        spec_name=spec.name,
        spec_name_lit=py(spec.name),
        spec_hash=spec.fingerprint(),
        spec_hash_lit=py(spec.fingerprint()),
        proposer=docstring_text(prov.proposer),
        header_lines=header_lines,
        needs=needs,
        module_name=module_name,
        all_names=py(sorted(names)),
        rules=rules,
        verifiers=verifiers,
        columns_lit=py(tuple(columns)),
        columns_note=", ".join(columns) or "none",
        ground_truth_lit=py(columns[0] if columns else None),
        ground_truth_note=f"{columns[0]!r} column" if columns else "unused (no rule reads a column)",
        extra_columns_note=", ".join(columns[1:]) or "none needed",
        any_async=any(r["asynchronous"] for r in rules),
        async_rules_lit=py(tuple(r["fn"] for r in rules if r["asynchronous"])),
    )
    template = env.get_template("module.py.jinja" if target == "trl" else f"targets/{target}.py.jinja")
    # What the rules call (bodies and the template's own calls) is read from the rendered code; the
    # imports are read from everything emitted, so a spec literal holding "math." imports nothing.
    bare = template.render(**context, helpers=[], imports=[])
    helpers = _inline(bare)
    imports = _stdlib_imports(*helpers, bare)
    return template.render(**context, helpers=helpers, imports=imports)


def render_test_module(spec: RewardSpec, *, test_file: str, import_name: str) -> str:
    """The pytest file shipped beside an exported module; it reads its cases from baseline.json."""
    if not import_name.isidentifier():
        raise RenderError(f"import name {import_name!r} is not a Python identifier")
    return _environment(None).get_template("test_module.py.jinja").render(
        spec_name=spec.name,
        version=__version__,
        test_file=test_file,
        module_import_name=py(import_name),
    )
