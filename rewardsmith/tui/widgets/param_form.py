"""A form generated from a pydantic params model, validated as the user types.

Each field becomes the widget its annotation calls for: bool → checkbox, Literal → select, a list
of Literals → a row of checkboxes, list[str] → one item per line, a nested params model → a titled
sub-form, numbers and strings → inputs (empty = None where None is allowed), anything richer
(lists of models) → JSON. After every change the whole model is validated and errors are shown
under the fields they belong to; `Changed` carries the valid params, or None and the errors.
"""

from __future__ import annotations

from rich.text import Text

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, TextArea

__all__ = ["FieldSpec", "ParamForm", "describe_fields"]

FieldKind = Literal["bool", "choice", "flags", "int", "float", "str", "text", "lines", "json", "model"]
Conditional = dict[type[BaseModel], tuple[str, dict[str, set[str]]]]


@dataclass
class FieldSpec:
    path: tuple[str, ...]
    kind: FieldKind
    optional: bool = False
    choices: tuple[Any, ...] = ()
    default: Any = PydanticUndefined
    description: str = ""
    model: type[BaseModel] | None = None  # kind == "model"

    @property
    def key(self) -> str:
        return "-".join(self.path)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return annotation, optional
    return annotation, False


def _default_of(info: Any) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        try:
            return info.default_factory()
        except TypeError:  # factories that take the validated data
            return PydanticUndefined
    return PydanticUndefined


def describe_fields(model: type[BaseModel], prefix: tuple[str, ...] = (),
                    defaults: BaseModel | None = None) -> Iterator[FieldSpec]:
    """The form fields for `model`, nested models flattened after their own entry.

    `defaults` is the nested model's default instance in its parent: a kind may default its
    `extract` to the whole text, and then `method: whole` is the default there, not the model's own.
    """
    for name, info in model.model_fields.items():
        annotation, optional = _strip_optional(info.annotation)
        origin = typing.get_origin(annotation)
        path = (*prefix, name)
        default = getattr(defaults, name) if defaults is not None else _default_of(info)
        common = {"optional": optional, "default": default, "description": info.description or ""}
        if annotation is bool:
            yield FieldSpec(path, "bool", **common)
        elif origin is Literal:
            yield FieldSpec(path, "choice", choices=typing.get_args(annotation), **common)
        elif annotation is int:
            yield FieldSpec(path, "int", **common)
        elif annotation is float:
            yield FieldSpec(path, "float", **common)
        elif annotation is str:
            # A multi-line default (a judge's prompt) needs a text area; an input would lose the newlines.
            multiline = isinstance(common["default"], str) and "\n" in common["default"]
            yield FieldSpec(path, "text" if multiline else "str", **common)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and not optional:
            yield FieldSpec(path, "model", model=annotation, **common)
            nested_default = common["default"] if isinstance(common["default"], BaseModel) else None
            yield from describe_fields(annotation, path, nested_default)
        elif origin is list:
            (item,) = typing.get_args(annotation) or (Any,)
            if typing.get_origin(item) is Literal:
                yield FieldSpec(path, "flags", choices=typing.get_args(item), **common)
            elif item is str:
                yield FieldSpec(path, "lines", **common)
            else:
                yield FieldSpec(path, "json", **common)
        else:
            yield FieldSpec(path, "json", **common)


def _value_at(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if isinstance(data, BaseModel):
            data = getattr(data, part, PydanticUndefined)
        elif isinstance(data, dict):
            data = data.get(part, PydanticUndefined)
        else:
            return PydanticUndefined
    return data


def _as_text(spec: FieldSpec, value: Any) -> str:
    if value is PydanticUndefined or value is None:
        return ""
    if spec.kind == "lines":
        return "\n".join(str(v) for v in value)
    if spec.kind == "json":
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", exclude_unset=True)
        elif isinstance(value, list):
            value = [v.model_dump(mode="json", exclude_unset=True) if isinstance(v, BaseModel) else v for v in value]
        return json.dumps(value, indent=1, ensure_ascii=False)
    return str(value)


class ParamForm(Vertical):
    """Fields for a params model. `initial` is an instance (or a dict) whose values fill the form."""

    DEFAULT_CSS = """
    ParamForm { height: auto; }
    ParamForm .field { height: auto; }
    ParamForm .field-row { height: auto; }
    ParamForm .field-name { color: $text-accent; width: 22; }
    ParamForm .field-row > Input, ParamForm .field-row > Select { width: 1fr; }
    ParamForm .field-help { color: $text-muted; padding-left: 22; }
    ParamForm .field-row > .field-help { padding-left: 0; }
    ParamForm .field-error { color: $text-error; height: auto; padding-left: 22; display: none; }
    ParamForm .field-error.-shown { display: block; }
    ParamForm .model { border: round $primary-muted; height: auto; padding: 0 1; }
    ParamForm .flags { height: auto; width: 1fr; }
    ParamForm .flags Checkbox { margin-right: 2; }
    ParamForm .field-row > Checkbox { width: 5; }
    ParamForm Input.-invalid { background: $error-muted; }
    ParamForm TextArea { height: 4; }
    ParamForm TextArea.-invalid { border: tall $error; }
    ParamForm #form-errors { color: $text-error; height: auto; display: none; }
    ParamForm #form-errors.-shown { display: block; }
    """

    class Changed(Message):
        def __init__(self, form: ParamForm, params: BaseModel | None, errors: list[str]) -> None:
            super().__init__()
            self.form = form
            self.params = params
            self.errors = errors

        @property
        def control(self) -> ParamForm:
            return self.form

    def __init__(self, model: type[BaseModel], initial: BaseModel | dict[str, Any] | None = None, *,
                 conditional: Conditional | None = None, id: str | None = None) -> None:
        """`conditional` maps a (nested) model to (switch field, {switch value: the fields it uses}):
        fields that some value uses are shown only under the values that use them."""
        super().__init__(id=id)
        self.model = model
        self.conditional = conditional or {}
        self.initial = initial
        self.fields = list(describe_fields(model))
        self._by_key = {f.key: f for f in self.fields}
        self._set = self._initially_set(initial)
        self.params: BaseModel | None = None
        self.errors: list[str] = []

    @staticmethod
    def _initially_set(initial: BaseModel | dict[str, Any] | None) -> set[tuple[str, ...]]:
        """Paths the initial value set explicitly: kept in the output even when equal to the default."""
        out: set[tuple[str, ...]] = set()

        def walk(value: Any, prefix: tuple[str, ...]) -> None:
            if isinstance(value, BaseModel):
                for name in value.model_fields_set:
                    out.add((*prefix, name))
                    walk(getattr(value, name), (*prefix, name))
            elif isinstance(value, dict):
                for name, item in value.items():
                    out.add((*prefix, name))
                    walk(item, (*prefix, name))

        walk(initial, ())
        return out

    # ------------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        yield Label("", id="form-errors")
        yield from self._compose_level(())

    def _compose_level(self, prefix: tuple[str, ...]) -> Iterator[Widget]:
        for spec in self.fields:
            if spec.path[:-1] != prefix:
                continue
            if spec.kind == "model":
                box = Vertical(*self._compose_level(spec.path), Label("", classes="field-error", id=f"err-{spec.key}"),
                               classes="model", id=f"box-{spec.key}")
                box.border_title = spec.path[-1]
                yield box
            else:
                yield self._field(spec)

    def _field(self, spec: FieldSpec) -> Widget:
        value = _value_at(self.initial, spec.path)
        if value is PydanticUndefined:
            value = spec.default
        key, name = spec.key, spec.path[-1]
        if spec.kind == "str" and isinstance(value, str) and "\n" in value:
            spec.kind = "text"  # this value has lines of its own: an input would flatten them
        if spec.kind == "lines" and isinstance(value, list) and any(
                not isinstance(v, str) or not v.strip() or "\n" in v or "\r" in v for v in value):
            spec.kind = "json"  # items that one-per-line cannot hold (a newline, a blank) need JSON
        required = spec.default is PydanticUndefined and not spec.optional
        title = Label(name + (" *" if required else ""), classes="field-name")
        below: list[Widget] = []
        if spec.kind == "bool":
            control: Widget = Checkbox("", bool(value) if value is not PydanticUndefined else False, id=f"f-{key}",
                                       compact=True)
        elif spec.kind == "choice":
            control = Select([(str(c), c) for c in spec.choices],
                             value=value if value in spec.choices else spec.choices[0],
                             allow_blank=False, id=f"f-{key}", compact=True)
        elif spec.kind == "flags":
            chosen = set(value) if isinstance(value, list) else set()
            control = Horizontal(*[Checkbox(str(c), c in chosen, id=f"f-{key}--{c}", compact=True) for c in spec.choices],
                                 classes="flags")
        elif spec.kind in ("lines", "json", "text"):
            hint = {"lines": "one per line", "json": "JSON", "text": "text"}[spec.kind]
            control = Label(hint, classes="field-help")
            below.append(TextArea(_as_text(spec, value), id=f"f-{key}", soft_wrap=True, tab_behavior="focus"))
        else:
            control = Input(_as_text(spec, value), placeholder="none" if spec.optional else "", id=f"f-{key}",
                            compact=True)
        parts: list[Widget] = [Horizontal(title, control, classes="field-row"), *below]
        if spec.description:
            parts.append(Label(spec.description, classes="field-help"))
        parts.append(Label("", classes="field-error", id=f"err-{key}"))
        return Vertical(*parts, classes="field", id=f"field-{key}")

    def _models(self) -> Iterator[tuple[tuple[str, ...], type[BaseModel]]]:
        yield (), self.model
        for spec in self.fields:
            if spec.kind == "model" and spec.model is not None:
                yield spec.path, spec.model

    def _apply_conditions(self) -> None:
        """Show only the fields the current choice uses (a regex pattern only for method: regex)."""
        for prefix, model in self._models():
            rule = self.conditional.get(model)
            if rule is None:
                continue
            switch, uses = rule
            try:
                value = self.query_one(f"#f-{'-'.join((*prefix, switch))}", Select).value
            except Exception:  # noqa: BLE001 - the switch field is not on this form
                continue
            conditional_fields = set().union(*uses.values())
            for name in conditional_fields:
                key = "-".join((*prefix, name))
                if key in self._by_key:
                    self.query_one(f"#field-{key}").display = name in uses.get(str(value), set())

    def focus_first(self) -> None:
        """Focus the first field the user can change (a container itself takes no focus)."""
        for widget in self.query("Input, Select, Checkbox, TextArea"):
            if widget.focusable:
                widget.focus()
                return

    def on_mount(self) -> None:
        self._apply_conditions()
        self.validate_now(post=False)

    # ------------------------------------------------------------------ reading

    def _read(self, spec: FieldSpec) -> Any:
        """The field's value as Python data; raises ValueError with a message for the field."""
        if spec.kind == "bool":
            return self.query_one(f"#f-{spec.key}", Checkbox).value
        if spec.kind == "choice":
            return self.query_one(f"#f-{spec.key}", Select).value
        if spec.kind == "flags":
            ticked = [c for c in spec.choices if self.query_one(f"#f-{spec.key}--{c}", Checkbox).value]
            # The spec's own order first (a rule out of an unchanged form is the rule that went in), then new ones.
            before = _value_at(self.initial, spec.path)
            kept = [c for c in before if c in ticked] if isinstance(before, list) else []
            return kept + [c for c in ticked if c not in kept]
        if spec.kind == "lines":
            return [line for line in self.query_one(f"#f-{spec.key}", TextArea).text.splitlines() if line.strip()]
        if spec.kind == "text":
            return self.query_one(f"#f-{spec.key}", TextArea).text
        if spec.kind == "json":
            text = self.query_one(f"#f-{spec.key}", TextArea).text.strip()
            if not text:
                return None if spec.optional else PydanticUndefined
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
        text = self.query_one(f"#f-{spec.key}", Input).value
        if text.strip() == "" and spec.kind != "str":
            if spec.optional:
                return None
            if spec.default is PydanticUndefined:
                return PydanticUndefined
            raise ValueError("needs a value")
        if spec.kind == "int":
            try:
                return int(text.strip())
            except ValueError:
                raise ValueError("a whole number") from None
        if spec.kind == "float":
            try:
                return float(text.strip())
            except ValueError:
                raise ValueError("a number (like 0.5 or 1e-6)") from None
        if spec.optional and text == "":
            return None
        return text

    def collect(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(data for model_validate, errors by field key from reading the widgets)."""
        data: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.fields:
            if spec.kind == "model":
                continue
            try:
                value = self._read(spec)
            except ValueError as exc:
                errors[spec.key] = str(exc)
                continue
            if value is PydanticUndefined:
                continue
            # Fields left at their default and never set stay out, so a spec stays as terse as written.
            if spec.path not in self._set and spec.default is not PydanticUndefined and value == spec.default:
                continue
            target = data
            for part in spec.path[:-1]:
                target = target.setdefault(part, {})
            target[spec.path[-1]] = value
        for path in self._set:  # a nested block the initial value set stays, even when emptied to defaults
            spec = self._by_key.get("-".join(path))
            if spec is not None and spec.kind == "model":
                target = data
                for part in path:
                    target = target.setdefault(part, {})
        return data, errors

    def validate_now(self, post: bool = True) -> BaseModel | None:
        data, errors = self.collect()
        messages: dict[str, str] = dict(errors)
        general: list[str] = []
        params = None
        if not errors:
            try:
                params = self.model.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = tuple(str(p) for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper()))
                    msg = err["msg"].removeprefix("Value error, ")
                    while loc and "-".join(loc) not in self._by_key:
                        loc = loc[:-1]
                    if loc:
                        key = "-".join(loc)
                        messages[key] = f"{messages[key]}; {msg}" if key in messages else msg
                    else:
                        general.append(msg)
        for spec in self.fields:
            text = messages.get(spec.key, "")
            error = self.query_one(f"#err-{spec.key}", Label)
            error.update(Text(text))
            error.set_class(bool(text), "-shown")
            if spec.kind not in ("bool", "choice", "flags", "model"):
                self.query_one(f"#f-{spec.key}").set_class(bool(text), "-invalid")
        summary = self.query_one("#form-errors", Label)
        summary.update(Text("\n".join(general)))
        summary.set_class(bool(general), "-shown")
        self.params = params
        self.errors = general + [f"{k.replace('-', '.')}: {v}" for k, v in messages.items()]
        if post:
            self.post_message(self.Changed(self, params, self.errors))
        return params

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        if isinstance(event, Select.Changed):
            self._apply_conditions()
        self.validate_now()
