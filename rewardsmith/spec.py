"""The reward spec: rules (kind + params + weight + role), expectations, provenance; YAML I/O.

The spec is what people edit by hand and what proposers write. Loading validates every rule's
params against its kind; saving goes back into the YAML document that was loaded, so comments
and key order the user wrote survive a load/save cycle.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import keyword
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import SpecError
from .kinds import KindParams, get_kind

__all__ = [
    "SCHEMA_VERSION",
    "Expectations",
    "Pin",
    "Provenance",
    "RewardSpec",
    "Role",
    "Rule",
    "dump_spec",
    "load_spec",
    "parse_spec",
    "save_spec",
]

SCHEMA_VERSION = 1
Role = Literal["reward", "verifier", "metric"]

# Bounds on what a spec may be. A spec is untrusted input (an LLM may have written it): these keep
# validation, rendering and the generated module small whatever it holds.
MAX_SPEC_BYTES = 1_000_000
MAX_RULES = 64
MAX_DEPTH = 24  # nesting of mappings and lists
MAX_ALIASES = 64  # YAML aliases, counted before anything is expanded (an alias bomb is a few lines)
# Text a spec may put into one generated module (keywords, patterns, prompts … in UTF-8 bytes): each
# string is bounded, but 64 rules of 256 keywords of 4,000 characters would still be a 65 MB module.
MAX_LITERAL_BYTES = 1_000_000

# Names a rule may not take: they would shadow what the generated module defines or uses.
# (collections / math / re / unicodedata are the modules it may import; annotations is bound by its
# `from __future__ import annotations`.)
_RESERVED = {
    "re", "math", "collections", "unicodedata", "annotations",
    "REWARD_FUNCS", "REWARD_WEIGHTS", "VERIFIERS", "RULES", "SPEC_HASH",
}


def check_rule_name(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
        raise ValueError(
            f"{name!r}: a rule name is lower-case letters, digits and _, starting with a letter "
            "(it becomes the Python function name TRL logs as rewards/<name>/mean)"
        )
    if keyword.iskeyword(name) or name in dir(builtins) or name in _RESERVED:
        raise ValueError(f"{name!r} is a Python keyword, builtin or reserved name; pick another")
    return name


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str
    kind: str
    role: Role = "reward"
    weight: float = 1.0
    params: KindParams
    rationale: str = Field("", max_length=2000)
    provenance: dict[str, str] = Field(default_factory=dict)
    gate: str | None = Field(
        None, description="a verifier of this spec: the rule pays only where it passes (0 where it fails)"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_rule_name(value)

    @model_validator(mode="before")
    @classmethod
    def _params_of_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kind_name = data.get("kind")
        if not isinstance(kind_name, str):
            raise ValueError("every rule needs `kind`")
        try:
            kind = get_kind(kind_name)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        params = data.get("params", {})
        if not isinstance(params, kind.Params):
            data = {**data, "params": kind.Params.model_validate(params if params is not None else {})}
        return data

    @model_validator(mode="after")
    def _role_fits(self) -> Rule:
        if self.role == "metric" and self.weight != 0.0:
            raise ValueError("a metric is logged, not optimised: its weight must be 0")
        if self.role == "verifier" and not get_kind(self.kind).binary:
            raise ValueError(f"kind {self.kind} gives graded scores; a verifier must be a pass/fail kind")
        if not (-1e6 <= self.weight <= 1e6) or self.weight != self.weight:
            raise ValueError("weight must be a finite number")
        return self

    @property
    def effective_weight(self) -> float:
        """The weight the trainer applies: a metric is logged, never optimised, so its weight is 0."""
        return 0.0 if self.role == "metric" else float(self.weight)

    def params_dict(self) -> dict[str, Any]:
        """The params as written: fields never set stay out, so a hand-written spec round-trips."""
        return self.params.model_dump(mode="json", exclude_unset=True)

    def columns(self) -> list[str]:
        return get_kind(self.kind).columns(self.params)


def _literal_bytes(value: Any) -> int:
    """UTF-8 bytes of every string in `value` (params as plain data), without recursion."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, dict):
            stack.extend(item.values())  # the keys are field names, not text the module holds
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total


def _over_budget(params: list[KindParams]) -> tuple[int, int] | None:
    """(index of the rule whose params pass MAX_LITERAL_BYTES, bytes so far), or None when the spec fits."""
    total = 0
    for i, p in enumerate(params):
        total += _literal_bytes(p.model_dump(mode="python"))
        if total > MAX_LITERAL_BYTES:
            return i, total
    return None


def _budget_message(total: int) -> str:
    return (f"the spec's text reaches {total:,} bytes by this rule; a module holds at most {MAX_LITERAL_BYTES:,} "
            "bytes of keywords, patterns and prompts — read long lists from a reference column of the samples, "
            "or split the spec")


def _check_gates(rules: list[Rule]) -> None:
    """Each gate names another rule of the spec that is a verifier, and no chain of gates comes back on itself."""
    by_name = {rule.name: rule for rule in rules}
    for rule in rules:
        if rule.gate is None:
            if get_kind(rule.kind).chooses_by_gate:
                raise ValueError(f"rule {rule.name!r} ({rule.kind}) picks its value by correctness: set `gate` to "
                                 "the verifier that says whether the answer is right")
            continue
        where = f"rule {rule.name!r}: gate {rule.gate!r}"
        if rule.gate == rule.name:
            raise ValueError(f"{where} is the rule itself; gate it on a verifier that checks something else")
        gate = by_name.get(rule.gate)
        if gate is None:
            raise ValueError(f"{where} is not a rule of this spec; name a verifier ({', '.join(sorted(by_name))})")
        if gate.role != "verifier":
            raise ValueError(f"{where} has role {gate.role}; a gate must be a verifier (a pass/fail rule with "
                             "role: verifier)")
        if get_kind(gate.kind).asynchronous and not get_kind(rule.kind).asynchronous:
            raise ValueError(f"{where} calls a model ({gate.kind}); a rule that does not cannot wait for it: gate "
                             "on a deterministic verifier")
        seen = [rule.name]
        current: Rule | None = rule
        while current is not None and current.gate is not None:
            if current.gate in seen:
                raise ValueError(f"gates go round in a circle: {' -> '.join([*seen, current.gate])}; "
                                 "one of them must pay without a gate")
            seen.append(current.gate)
            current = by_name.get(current.gate)


class Pin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sample: str
    rule: str
    score: float | None
    tolerance: float = Field(1e-9, ge=0.0)


class Expectations(BaseModel):
    """What `rewardsmith test` enforces beyond "no rule raised"."""

    model_config = ConfigDict(extra="forbid")
    min_auc: float | None = Field(None, ge=0.0, le=1.0, description="AUC of the weighted total")
    rule_min_auc: dict[str, float] = Field(default_factory=dict)
    max_zero_spread: float | None = Field(None, ge=0.0, le=1.0, description="share of groups")
    min_verifier_accuracy: float | None = Field(None, ge=0.0, le=1.0)
    pins: list[Pin] = Field(default_factory=list)
    correctness_waiver: str | None = Field(
        None, max_length=2000,
        description="why this reward needs no correctness rule; the only way past the correctness checks",
    )

    @field_validator("correctness_waiver")
    @classmethod
    def _waiver_says_why(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("correctness_waiver must say why this reward needs no correctness rule "
                             "(a reason in words), or be left out")
        return value


class Provenance(BaseModel):
    model_config = ConfigDict(extra="allow")
    proposer: str = "hand"
    model: str | None = None
    persona: str | None = None
    samples: str | None = Field(None, description="fingerprint of the samples it was designed on")


class RewardSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    schema_version: int = SCHEMA_VERSION
    name: str
    description: str = ""
    task: str = Field("", description="what the model is asked to do; proposers read it")
    provenance: Provenance = Field(default_factory=Provenance)
    rules: list[Rule] = Field(..., min_length=1, max_length=MAX_RULES)
    expectations: Expectations = Field(default_factory=Expectations)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", v):
            raise ValueError("a spec name is letters, digits, _ . - (it names the export folder)")
        return v

    @model_validator(mode="after")
    def _unique(self) -> RewardSpec:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are called {rule.name!r}; names must be unique")
            seen.add(rule.name)
        for rule in self.rules:
            if rule.role == "verifier" and f"verify_{rule.name}" in seen:
                raise ValueError(
                    f"verifier {rule.name!r} defines verify_{rule.name} in the generated module; "
                    f"rename the rule called verify_{rule.name}"
                )
        _check_gates(self.rules)
        over = _over_budget([rule.params for rule in self.rules])
        if over is not None:
            raise ValueError(f"rule {self.rules[over[0]].name!r}: {_budget_message(over[1])}")
        for name in self.expectations.rule_min_auc:
            if name not in seen:
                raise ValueError(f"expectations.rule_min_auc names {name!r}, which is not a rule")
        return self

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def columns(self) -> list[str]:
        return sorted({c for r in self.rules for c in r.columns()})

    def to_data(self) -> dict[str, Any]:
        """Plain data in the order people read a spec."""
        data: dict[str, Any] = {
            "schema_version": self.schema_version,
            "name": self.name,
        }
        if self.description:
            data["description"] = self.description
        if self.task:
            data["task"] = self.task
        provenance = self.provenance.model_dump(mode="json", exclude_none=True)
        if provenance != {"proposer": "hand"} or "provenance" in self.model_fields_set:
            data["provenance"] = provenance
        data["rules"] = []
        for r in self.rules:
            item: dict[str, Any] = {"name": r.name, "kind": r.kind}
            # Role and weight are written when set (or not the default), so hand-written specs stay terse.
            if r.role != "reward" or "role" in r.model_fields_set:
                item["role"] = r.role
            if r.weight != 1.0 or "weight" in r.model_fields_set:
                item["weight"] = r.weight
            item["params"] = r.params_dict()
            if r.gate is not None:
                item["gate"] = r.gate
            if r.rationale:
                item["rationale"] = r.rationale
            if r.provenance:
                item["provenance"] = dict(r.provenance)
            data["rules"].append(item)
        expectations = self.expectations.model_dump(mode="json", exclude_defaults=True)
        if expectations:
            data["expectations"] = expectations
        return data

    def fingerprint(self) -> str:
        """Hash of the behaviour-relevant content (not rationale or provenance)."""
        core = [
            {"name": r.name, "kind": r.kind, "role": r.role, "weight": r.weight, "params": r.params.model_dump(mode="json"),
             # only when set: specs without gates keep the hashes they always had
             **({"gate": r.gate} if r.gate is not None else {})}
            for r in self.rules
        ]
        blob = json.dumps(core, sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# ---------------------------------------------------------------- YAML


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _migrate(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Bring an older spec up to SCHEMA_VERSION. Version 1 is the first; later ones add steps here."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int):
        raise SpecError(f"schema_version must be a whole number, got {version!r}", path=source)
    if version > SCHEMA_VERSION:
        raise SpecError(
            f"this spec has schema_version {version}, newer than this rewardsmith understands "
            f"({SCHEMA_VERSION}); upgrade rewardsmith",
            path=source,
        )
    data.setdefault("schema_version", SCHEMA_VERSION)
    return data


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based YAML line of a pydantic error location, as deep as the document goes."""
    line = None
    node = doc
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            pos = node.lc.key(part)
            line = pos[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            pos = node.lc.item(part)
            line = pos[0] + 1
            node = node[part]
        else:
            break
    return line


def _validate_params(data: dict[str, Any], doc: Any) -> list[str]:
    """Validate each rule's params against its kind first, so errors carry the full field path.

    Valid params are replaced by their model instances in `data`.
    """
    rules = data.get("rules")
    if not isinstance(rules, list):
        return []
    problems: list[str] = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict) or not isinstance(rule.get("kind"), str):
            continue
        try:
            kind = get_kind(rule["kind"])
        except KeyError as exc:
            problems += _located(doc, ("rules", i, "kind"), exc.args[0])
            continue
        params = rule.get("params") or {}
        try:
            rule["params"] = kind.Params.model_validate(params)
        except ValidationError as exc:
            problems += _problems(exc, doc, prefix=("rules", i, "params"))
    return problems


def _located(doc: Any, loc: tuple[Any, ...], msg: str) -> list[str]:
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    line = _line_of(doc, loc)
    where = f"line {line}, " if line else ""
    return [f"{where}{field or 'spec'}: {msg}"]


def _problems(exc: ValidationError, doc: Any, prefix: tuple[Any, ...] = ()) -> list[str]:
    out = []
    for err in exc.errors():
        # pydantic adds union-member names like "TagRequirement" to the location; they are noise here.
        loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper()))
        out += _located(doc, loc, err["msg"].removeprefix("Value error, "))
    return out


def _depth(node: Any) -> int:
    """How deeply mappings and lists nest in `node`, without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _flow_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in `text` outside quoted strings (a cheap look before parsing:
    YAML parsers take seconds on thousands of nested brackets)."""
    depth = deepest = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
            while i < n and text[i] != "\n":
                i += 1
            continue
        i += 1
    return deepest


def _count_aliases(text: str) -> int:
    """YAML alias events in `text`, read by the parser without composing (expanding) anything."""
    from ruamel.yaml.events import AliasEvent

    count = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            count += 1
            if count > MAX_ALIASES:
                break
    return count


def _load_document(text: str, source: str) -> Any:
    """The YAML document (or JSON value) of a spec's text, refused with a reason when it is unsafe or broken."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is {len(text):,} characters; the limit is {MAX_SPEC_BYTES:,}. "
                        "A spec holds rules, not data: move large text into the samples", path=source)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SpecError(f"line {line}: the text holds a NUL character; is this really a spec file?", path=source)
    if _flow_depth(text) > MAX_DEPTH:
        raise SpecError(f"the spec nests deeper than {MAX_DEPTH} levels; a spec is a few levels deep", path=source)
    try:
        if text.lstrip().startswith(("{", "[")):
            # JSON, as json.dumps writes it (emoji as surrogate-pair escapes, which YAML refuses).
            return json.loads(text)
        if _count_aliases(text) > MAX_ALIASES:
            raise SpecError(f"the spec uses more than {MAX_ALIASES} YAML aliases (*name); write the values out",
                            path=source)
        return _yaml().load(text)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"the spec nests deeper than {MAX_DEPTH} levels; a spec is a few levels deep",
                        path=source) from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); fix the JSON, "
                        "or write the spec as YAML", path=source) from None
    except ValueError as exc:
        if "digits" in str(exc):  # Python's limit on converting very long integers
            raise SpecError("a number in the spec has thousands of digits; use a number of sensible size",
                            path=source) from None
        raise SpecError(f"not valid YAML: {exc}", path=source) from None
    except Exception as exc:  # ruamel raises several unrelated types for bad YAML
        raise SpecError(f"not valid YAML: {exc}", path=source) from None


def parse_spec(text: str, source: str = "<spec>") -> RewardSpec:
    """Validate YAML (or JSON) text into a spec; errors name line and field."""
    doc = _load_document(text, source)
    if not isinstance(doc, dict):
        raise SpecError("a spec is a mapping with `name` and `rules`", path=source)
    if _depth(doc) > MAX_DEPTH:
        raise SpecError(f"the spec nests deeper than {MAX_DEPTH} levels; a spec is a few levels deep", path=source)
    data = _migrate(_plain(doc), source)
    rules = data.get("rules")
    if isinstance(rules, list) and len(rules) > MAX_RULES:
        raise SpecError(f"the spec has {len(rules)} rules; the limit is {MAX_RULES}. A reward that needs more "
                        "is several rewards: split it", path=source)
    problems = _validate_params(data, doc)
    if problems:
        raise SpecError("the spec is not valid", path=source, problems=problems)
    over = _over_budget([r["params"] for r in rules if isinstance(r, dict) and isinstance(r.get("params"), KindParams)]
                        if isinstance(rules, list) else [])
    if over is not None:  # located here, on the rule's line; RewardSpec checks it too for specs built in code
        index = [i for i, r in enumerate(rules) if isinstance(r, dict) and isinstance(r.get("params"), KindParams)]
        raise SpecError("the spec is too large", path=source,
                        problems=_located(doc, ("rules", index[over[0]], "params"), _budget_message(over[1])))
    try:
        spec = RewardSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError("the spec is not valid", path=source, problems=_problems(exc, doc)) from None
    if isinstance(doc, CommentedMap):
        spec.__dict__["_doc"] = doc  # the round-trip document, for save_spec
    return spec


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def load_spec(path: str | Path) -> RewardSpec:
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read the spec: {exc.strerror}", path=str(p)) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"the file is over {MAX_SPEC_BYTES:,} bytes; a spec holds rules, not data", path=str(p))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(f"line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8; save the spec as UTF-8",
                        path=str(p)) from None
    return parse_spec(text, str(p))


def _merge(doc: Any, data: Any) -> Any:
    """Write `data` into the loaded document in place, keeping comments on what is unchanged."""
    if isinstance(doc, CommentedMap) and isinstance(data, dict):
        for key in [k for k in doc if k not in data]:
            del doc[key]
        for key, value in data.items():
            doc[key] = _merge(doc[key], value) if key in doc else value
        return doc
    if isinstance(doc, CommentedSeq) and isinstance(data, list):
        names = [item.get("name") if isinstance(item, CommentedMap) else None for item in doc]
        by_name = all(isinstance(d, dict) and "name" in d for d in data) and any(names)
        # Where each new item comes from, so comments attached to an item move with it.
        origin = [names.index(d["name"]) if by_name and d["name"] in names else (None if by_name else i)
                  for i, d in enumerate(data)]
        merged = [_merge(doc[o], d) if o is not None and o < len(doc) else d for o, d in zip(origin, data)]
        comments = {i: doc.ca.items[o] for i, o in enumerate(origin) if o is not None and o in doc.ca.items}
        if merged != list(doc) or comments != doc.ca.items:
            del doc[:]
            doc.extend(merged)
            doc.ca.items.clear()
            doc.ca.items.update(comments)
        return doc
    if _plain(doc) == data:
        return doc  # keep the original scalar (its quoting style)
    return data


def dump_spec(spec: RewardSpec) -> str:
    """YAML text of a spec: into the document it was loaded from when there is one."""
    data = spec.to_data()
    doc = spec.__dict__.get("_doc")
    target = _merge(doc, data) if doc is not None else data
    buf = io.StringIO()
    _yaml().dump(target, buf)
    return buf.getvalue()


def save_spec(spec: RewardSpec, path: str | Path) -> None:
    from .fsutil import write_atomic

    write_atomic(Path(path), dump_spec(spec))
