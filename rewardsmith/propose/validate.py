"""A model's answer checked all at once: every problem of every rule in one list, each with a hint.

Validation in stages (JSON, then the first rule's params, then the cross-rule checks) makes a model
fix one problem per round and run out of rounds; here the JSON is found in surrounding prose and
code fences, then every rule is checked on its own (name, kind, role, weight, each param) and the
rules together (unique names, a metric's weight), so one repair message names everything. The
common faults get a hint that says what to write instead:

- a single backslash in a JSON string (``"\\s"`` is an invalid escape; ``"\\b"`` is a backspace):
  double it;
- a hyphen or capital in a rule name: the name it should be;
- a param of another kind (``pattern`` on exact_match): the kinds it belongs to, or the block
  (``extract``) it belongs in;
- a metric with a weight: set it to 0, or make the rule a reward.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InvalidAnswer
from ..kinds import KINDS
from ..spec import MAX_RULES, check_rule_name
from .catalogue import LLM_EXCLUDED_KINDS, params_of_kinds

__all__ = ["RULE_KEYS", "answer_problems", "find_json", "lenient_json", "rule_problems"]

RULE_KEYS = ("name", "kind", "role", "weight", "params", "rationale")
ROLES = ("reward", "verifier", "metric")
_FENCE = re.compile(r"```[A-Za-z]*[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)
_BAD_ESCAPE = re.compile(r"Invalid \\escape")
# Valid JSON escapes that turn a regex's \b (word boundary) and \f into control characters.
_SWALLOWED = {"\b": "\\b", "\f": "\\f"}


def _decode_problem(text: str, exc: json.JSONDecodeError) -> str:
    """One JSON syntax error as a person would say it, with the fix for the usual causes."""
    snippet = text[max(0, exc.pos - 30): exc.pos + 30].replace("\n", " ")
    where = f"line {exc.lineno}, column {exc.colno} (near `{snippet}`)"
    if _BAD_ESCAPE.search(exc.msg):
        return (f"the JSON is invalid at {where}: a backslash in a JSON string must be written twice; "
                'for the regex \\s write "\\\\s", for \\d write "\\\\d", for \\. write "\\\\."')
    if exc.pos >= len(text.rstrip()) - 1 or "Unterminated" in exc.msg:
        return f"the JSON is invalid at {where}: {exc.msg}; the answer seems cut off: send the whole object"
    if "property name" in exc.msg or "delimiter" in exc.msg:
        return (f"the JSON is invalid at {where}: {exc.msg}; JSON needs double-quoted keys and strings, "
                "commas between items and no trailing comma")
    return f"the JSON is invalid at {where}: {exc.msg}"


def find_json(text: str) -> Any:
    """The JSON object in an answer: bare, in a code fence, or after (and before) prose.

    Raises:
        InvalidAnswer: no JSON object was found; the problem says where the JSON broke and how to fix it.
    """
    try:
        return _find_json(text)
    except RecursionError:  # nested past the parser's stack: no spec is that deep
        raise InvalidAnswer(["the answer nests lists or objects over a thousand levels deep; send only the "
                             "spec's JSON object"]) from None


def _find_json(text: str) -> Any:
    stripped = text.strip()
    candidates = [stripped] + [m.group(1) for m in _FENCE.finditer(text)]
    first_error: tuple[str, json.JSONDecodeError] | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            if first_error is None and candidate.lstrip().startswith("{"):
                first_error = (candidate, exc)
    # Prose around the object: decode from each "{" and keep the first object that holds rules.
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError as exc:
            if first_error is None:
                first_error = (text, exc)
            continue
        if isinstance(value, dict) and "rules" in value:
            return value
    if first_error is not None:
        raise InvalidAnswer([_decode_problem(*first_error)])
    raise InvalidAnswer(["the answer holds no JSON object; send only the JSON object, starting with {"])


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)  # a backslash and what follows it, pair by pair


def lenient_json(text: str) -> Any:
    """The answer decoded with its lone backslashes doubled, or None: only to report the rules'
    problems beside the JSON's in the same round (the answer itself stays invalid until fixed)."""
    try:
        return find_json(_ESCAPE.sub(lambda m: m.group(0) if m.group(1) in '\\"/bfnrtu' else "\\" + m.group(0), text))
    except InvalidAnswer:
        return None


def _suggest_name(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "rule_" + cleaned
    return cleaned[:64]


def _name_problem(where: str, name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return f"{where}.name: every rule needs a `name` (lower-case letters, digits and _)"
    try:
        check_rule_name(name)
    except ValueError as exc:
        suggestion = _suggest_name(name)
        if suggestion != name and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", suggestion):
            why = "hyphens are not allowed" if "-" in name else "names are lower-case letters, digits and _"
            return f"{where}.name: {exc}; {why}: call it {suggestion!r}"
        return f"{where}.name: {exc}"
    return None


def _nested_blocks(model: type[BaseModel]) -> dict[str, set[str]]:
    """The params of `model` that are blocks of their own (extract, normalize), with their fields."""
    out: dict[str, set[str]] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out[name] = set(annotation.model_fields)
    return out


def _stray_param_hint(kind: str, param: str) -> str:
    """Why `param` is not a param of `kind`, and where it does belong."""
    blocks = [block for block, fields in _nested_blocks(KINDS[kind].Params).items() if param in fields]
    inside = f"`{param}` goes inside `{blocks[0]}` ({blocks[0]}: {{\"{param}\": …}})" if blocks else ""
    owners = sorted(params_of_kinds().get(param, set()) - {kind} - LLM_EXCLUDED_KINDS)
    if owners and not (blocks and all(blocks[0] in KINDS[o].Params.model_fields for o in owners)):
        other = (f"`{param}` is a param of {', '.join(owners)}, not of {kind}: drop it, or use one of those kinds "
                 f"(the params of {kind}: {', '.join(KINDS[kind].Params.model_fields)})")
        return f"{inside}; or {other}" if inside else other
    if inside:
        return inside
    close = difflib.get_close_matches(param, list(KINDS[kind].Params.model_fields), n=1)
    if close:
        return f"`{param}` is not a param of {kind}; did you mean `{close[0]}`?"
    return f"`{param}` is not a param of {kind} (its params: {', '.join(KINDS[kind].Params.model_fields)})"


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p[:1].isupper():
            continue  # pydantic's union-member names ("TagRequirement"): noise to a reader
        else:
            out += f".{p}"
    return out


def _swallowed_escapes(value: Any, path: str) -> list[str]:
    """Strings holding a backspace or form feed: a regex's \\b or \\f written with one backslash."""
    out: list[str] = []
    if isinstance(value, str):
        for char, shown in _SWALLOWED.items():
            if char in value:
                out.append(f"{path}: the string holds a control character where JSON read {shown} as an escape; "
                           f"for the regex {shown} write \"\\{shown}\" (every backslash twice)")
    elif isinstance(value, dict):
        for k, v in value.items():
            out += _swallowed_escapes(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _swallowed_escapes(v, f"{path}[{i}]")
    return out


def _params_problems(where: str, kind: str, params: Any) -> list[str]:
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return [f"{where}.params: an object of {kind}'s params, not a {type(params).__name__}"]
    problems = _swallowed_escapes(params, f"{where}.params")
    try:
        KINDS[kind].Params.model_validate(params)
    except ValidationError as exc:
        for err in exc.errors():
            path = f"{where}.params{_loc(tuple(err['loc']))}"
            if err["type"] == "extra_forbidden" and len(err["loc"]) == 1:
                problems.append(f"{path}: {err['msg']}; {_stray_param_hint(kind, str(err['loc'][0]))}")
            else:
                problems.append(f"{path}: {err['msg'].removeprefix('Value error, ')}")
    return problems


def rule_problems(i: int, rule: Any) -> list[str]:
    """Every problem of the `i`-th rule on its own: keys, name, kind, role, weight, params."""
    where = f"rules[{i}]"
    if not isinstance(rule, dict):
        return [f"{where}: a rule is an object with {', '.join(RULE_KEYS)}"]
    problems: list[str] = []
    kind = rule.get("kind")
    name_problem = _name_problem(where, rule.get("name"))
    if name_problem:
        problems.append(name_problem)
    known = kind in KINDS and kind not in LLM_EXCLUDED_KINDS
    for key in rule:
        if key in RULE_KEYS or key == "provenance":
            continue
        if known and key in KINDS[kind].Params.model_fields:
            problems.append(f"{where}.{key}: `{key}` is a param: move it into `params`")
        else:
            problems.append(f"{where}.{key}: a rule has only {', '.join(RULE_KEYS)}")
    if not isinstance(kind, str) or not kind:
        problems.append(f"{where}.kind: every rule needs `kind`, one of the kinds in the rule library")
    elif kind in LLM_EXCLUDED_KINDS:
        problems.append(f"{where}.kind: {kind} calls a model at training time; the proposer only writes "
                        "rule-based kinds (add a judge by hand if you need one)")
    elif kind not in KINDS:
        offered = [k for k in KINDS if k not in LLM_EXCLUDED_KINDS]
        close = difflib.get_close_matches(kind, offered, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(f"{where}.kind: unknown kind {kind!r}{hint} (the kinds: {', '.join(offered)})")
    role = rule.get("role", "reward")
    if role not in ROLES:
        problems.append(f"{where}.role: {role!r} is not a role; use reward, verifier or metric")
    weight = rule.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
        problems.append(f"{where}.weight: a finite number (1.0 for the answer rule, 0.1-0.3 for shaping)")
        weight = None
    elif not -1e6 <= weight <= 1e6:
        problems.append(f"{where}.weight: {weight:g} is out of range; weights are small numbers like 1.0 or 0.2")
    if role == "metric" and weight not in (None, 0, 0.0):
        problems.append(f"{where}.weight: a metric is logged, not optimised, so its weight must be 0; set "
                        f"\"weight\": 0, or make it \"role\": \"reward\" to optimise it with weight {weight:g}")
    if known:
        if role == "verifier" and not KINDS[kind].binary:
            binary = ", ".join(k for k, c in KINDS.items() if c.binary and k not in LLM_EXCLUDED_KINDS)
            problems.append(f"{where}.role: {kind} gives graded scores; a verifier is a pass/fail kind "
                            f"({binary}); make it a reward")
        problems += _params_problems(where, kind, rule.get("params"))
    if not isinstance(rule.get("rationale", ""), str):
        problems.append(f"{where}.rationale: one sentence, as a string")
    return problems


def answer_problems(data: Any) -> list[str]:
    """Every problem of a decoded answer: its shape, each rule, and the rules together."""
    if not isinstance(data, dict):
        return [f"the answer is a JSON {type(data).__name__}; it must be an object with `description` and `rules`"]
    problems: list[str] = []
    for key in data:
        if key not in ("description", "rules", "name", "task", "expectations", "schema_version", "provenance"):
            problems.append(f"`{key}`: the answer has only `description` and `rules`")
    if not isinstance(data.get("description", ""), str):
        problems.append("description: one sentence, as a string")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        return problems + ["`rules` must be a non-empty list of rule objects"]
    if len(rules) > MAX_RULES:
        problems.append(f"`rules`: {len(rules)} rules; the limit is {MAX_RULES}")
    for i, rule in enumerate(rules):
        problems += rule_problems(i, rule)
    names = [r.get("name") for r in rules if isinstance(r, dict)]
    for name in sorted({n for n in names if isinstance(n, str) and names.count(n) > 1}):
        at = [f"rules[{i}]" for i, r in enumerate(rules) if isinstance(r, dict) and r.get("name") == name]
        problems.append(f"{', '.join(at)}: two rules are called {name!r}; names must be unique")
    for i, r in enumerate(rules):
        if isinstance(r, dict) and r.get("role") == "verifier" and f"verify_{r.get('name')}" in names:
            problems.append(f"rules[{i}]: verifier {r.get('name')!r} defines verify_{r.get('name')} in the generated "
                            f"module; rename the rule called verify_{r.get('name')}")
    return problems
