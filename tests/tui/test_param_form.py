"""The editor's form is generated from each kind's params model: every rule the project ships
must come back out of its form unchanged, and bad input must be caught field by field."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Label, TextArea

from rewardsmith.kinds import KINDS, get_kind
from rewardsmith.presets import load_preset, preset_names
from rewardsmith.spec import Rule, load_spec
from rewardsmith.tui.screens.editor import CONDITIONAL
from rewardsmith.tui.widgets.param_form import ParamForm

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "specs"


def _shipped_rules() -> list[Rule]:
    rules = [r for name in preset_names() for r in load_preset(name).rules]
    rules += [r for path in sorted(GOLDEN.glob("*.yaml")) for r in load_spec(path).rules]
    rules += [r for r in load_spec(Path(__file__).parent / "fixtures" / "spec.yaml").rules]
    return rules


class FormApp(App[None]):
    def __init__(self, model, initial) -> None:
        super().__init__()
        self.model, self.initial = model, initial

    def compose(self) -> ComposeResult:
        yield ParamForm(self.model, self.initial, conditional=CONDITIONAL, id="form")


def test_the_shipped_rules_cover_most_kinds():
    kinds = {r.kind for r in _shipped_rules()}
    assert len(kinds) >= len(KINDS) - 2, sorted(set(KINDS) - kinds)


@pytest.mark.parametrize("rule", _shipped_rules(), ids=lambda r: f"{r.kind}-{r.name}")
async def test_a_rule_comes_back_out_of_its_form_unchanged(rule):
    app = FormApp(get_kind(rule.kind).Params, rule.params)
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.pause()
        form = app.query_one(ParamForm)
        assert form.errors == []
        params = form.validate_now(post=False)
        assert params is not None
        assert params.model_dump(mode="json") == rule.params.model_dump(mode="json")
        # Fields the spec left out stay out, so a spec saved after an edit stays as terse as written.
        assert set(params.model_dump(exclude_unset=True)) <= set(rule.params_dict())


async def test_errors_land_on_the_field_that_caused_them():
    app = FormApp(get_kind("count_in_range").Params, {"pattern": "<search>", "literal": True, "min_count": 1,
                                                       "max_count": 4})
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.pause()
        form = app.query_one(ParamForm)
        assert form.params is not None
        app.query_one("#f-max_count", Input).value = "0"  # below min_count: a model-level rule
        await pilot.pause()
        assert form.params is None
        assert "below min_count" in str(app.query_one("#form-errors", Label).render())
        app.query_one("#f-max_count", Input).value = "three"
        await pilot.pause()
        assert "whole number" in str(app.query_one("#err-max_count", Label).render())
        app.query_one("#f-max_count", Input).value = "3"
        app.query_one("#f-literal").value = False
        app.query_one("#f-pattern", Input).value = "(a+)+"  # catastrophic backtracking
        await pilot.pause()
        assert "backtrack catastrophically" in str(app.query_one("#form-errors", Label).render())


async def test_only_the_fields_the_method_uses_are_shown():
    app = FormApp(get_kind("exact_match").Params, {"reference": "answer"})
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.pause()
        shown = {f for f in ("tag", "start", "pattern") if app.query_one(f"#field-extract-{f}").display}
        assert shown == {"tag"}  # the default method is xml_tag
        app.query_one("#f-extract-method").value = "regex"
        await pilot.pause()
        shown = {f for f in ("tag", "start", "pattern") if app.query_one(f"#field-extract-{f}").display}
        assert shown == {"pattern"}
        assert app.query_one(ParamForm).params is None  # regex needs a pattern
        app.query_one("#f-extract-pattern", Input).value = r"answer: (\w+)"
        await pilot.pause()
        assert app.query_one(ParamForm).params.extract.pattern == r"answer: (\w+)"


async def test_a_multiline_prompt_keeps_its_lines():
    kind = KINDS.get("judge")
    if kind is None:
        pytest.skip("no judge kind in this build")
    rule = next(r for r in _shipped_rules() if r.kind == "judge")
    app = FormApp(kind.Params, rule.params)
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.pause()
        area = app.query_one("#f-prompt", TextArea)
        assert area.text == rule.params.prompt and "\n" in area.text
