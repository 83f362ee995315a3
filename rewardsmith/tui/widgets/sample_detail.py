"""One sample in full: prompt, completion turns, reference columns, and what each rule matched.

Highlights use the theme's colours (read from the app's CSS variables), one per rule, so the
legend, the spans and the score list agree whatever theme is active.
"""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule as RichRule
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...samples import Sample
from ...spec import Pin, Rule
from ...workbench.spans import Span, rule_spans, turns_of

__all__ = ["RULE_COLOURS", "DetailRule", "SampleDetail"]

# Theme variables cycled through for rules; the "-muted" variant is the span background.
RULE_COLOURS: tuple[str, ...] = ("primary", "secondary", "accent", "success", "warning", "error")
_REF_LIMIT = 400  # characters of a reference value shown before "…"


@dataclass
class DetailRule:
    rule: Rule
    score: float | None
    error: str | None
    status: str  # proposed / accepted


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


class SampleDetail(VerticalScroll, can_focus=True):
    """The detail pane. Call `show()` with a sample and the rules to explain it by."""

    DEFAULT_CSS = """
    SampleDetail { padding: 0 1; }
    SampleDetail > Static { width: 1fr; }
    """

    def compose(self):  # type: ignore[override]
        yield Static(id="detail-body")

    def show(
        self,
        sample: Sample | None,
        rules: Sequence[DetailRule] = (),
        *,
        pins: Sequence[Pin] = (),
        focus_rule: str | None = None,
        label_overridden: bool = False,
        marked: bool = False,
    ) -> None:
        body = self.query_one("#detail-body", Static)
        if sample is None:
            body.update(Text("No sample to show: the filter hides every row.", style="italic"))
            return
        body.update(self._build(sample, rules, pins, focus_rule, label_overridden, marked))

    # ------------------------------------------------------------------ rendering

    def _palette(self) -> dict[str, tuple[Style, Style, Style]]:
        """Theme colour name -> (swatch style, span style, region style).

        A span (an answer, a counted call) gets a background; a region a rule judged as a whole (a
        format match, text past a budget) only a coloured underline, so it never buries the spans.
        """
        variables = self.app.get_css_variables()
        out = {}
        for name in RULE_COLOURS:
            colour = variables.get(f"text-{name}", variables.get(name))
            out[name] = (
                Style(color=colour, bold=True),
                Style(bgcolor=variables.get(f"{name}-muted"), underline=True),
                Style(underline=True, color=colour),
            )
        return out

    def _build(self, sample: Sample, rules: Sequence[DetailRule], pins: Sequence[Pin], focus_rule: str | None,
                label_overridden: bool, marked: bool) -> RenderableType:
        palette = self._palette()
        colour = {d.rule.name: palette[RULE_COLOURS[k % len(RULE_COLOURS)]] for k, d in enumerate(rules)}
        parts: list[RenderableType] = []

        label = {None: "unlabelled", True: "good", False: "bad"}[sample.is_good]
        if sample.label is not None and sample.label not in (0.0, 1.0):
            label += f" ({sample.label:g})"
        head = Text.assemble((sample.id, "bold"), "  group ", (sample.group, "bold"), "  label ",
                             (label, "bold"))
        if label_overridden:
            head.append(" (set here)", style="italic")
        if marked:
            head.append("  ● marked", style="bold")
        parts.append(head)
        if sample.source:
            parts.append(Text(Path(sample.source).name, style="dim"))  # file:line; the folder is in the title

        pinned = {p.rule: p for p in pins}
        if rules:
            parts.append(RichRule("Scores (? proposed, not accepted yet)", align="left", characters="─"))
            width = min(28, max(len(d.rule.name) for d in rules))
            for d in rules:
                swatch = colour[d.rule.name][0]
                line = Text.assemble(("■ ", swatch), (f"{d.rule.name:<{width}}", "bold" if d.rule.name == focus_rule else ""),
                                     f" {_fmt(d.score):>8}  ", (d.rule.kind, "dim"))
                if d.status != "accepted":
                    line.append(" ?", style="dim italic")  # proposed, not yet in the spec
                if d.error:
                    line.append(f"  error: {d.error}", style="bold reverse")
                pin = pinned.get(d.rule.name)
                if pin is not None:
                    ok = (pin.score is None and d.score is None) or (
                        pin.score is not None and d.score is not None and abs(pin.score - d.score) <= pin.tolerance)
                    line.append(f"  pinned {_fmt(pin.score)}", style="bold" if ok else "bold reverse")
                parts.append(line)

        parts.append(RichRule("Prompt", align="left", characters="─"))
        parts.extend(self._prompt(sample.prompt))

        spans: list[Span] = []
        for d in rules:
            if focus_rule is None or d.rule.name == focus_rule:
                spans.extend(rule_spans(d.rule, sample.completion, sample.refs))
        turns = turns_of(sample.completion)
        parts.append(RichRule("Completion", align="left", characters="─"))
        for k, turn in enumerate(turns):
            text = Text(turn.text)
            # Regions first, spans over them: the precise evidence stays on top.
            for span in sorted(spans, key=lambda s: not s.region):
                if span.turn == k:
                    text.stylize(colour[span.rule][2 if span.region else 1], span.start, span.end)
            if len(turns) > 1 or turn.role != "assistant":
                parts.append(Text(f"[{k + 1}] {turn.role}", style="bold italic"))
            parts.append(text)

        if spans:
            parts.append(RichRule("Matched" + (f" by {focus_rule}" if focus_rule else ""), align="left",
                                  characters="─"))
            for span in spans:
                excerpt = turns[span.turn].text[span.start:span.end].replace("\n", "⏎")
                if len(excerpt) > 60:
                    excerpt = excerpt[:57] + "…"
                parts.append(Text.assemble(("■ ", colour[span.rule][0]), f"{span.rule}: {span.note}  ",
                                           (excerpt, colour[span.rule][2 if span.region else 1])))

        if sample.refs:
            parts.append(RichRule("References", align="left", characters="─"))
            for key, value in sample.refs.items():
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                if len(shown) > _REF_LIMIT:
                    shown = shown[:_REF_LIMIT] + "…"
                parts.append(Text.assemble((f"{key}: ", "bold"), shown))
        return Group(*parts)

    def _prompt(self, prompt: Any) -> list[RenderableType]:
        if prompt is None:
            return [Text("(no prompt)", style="dim")]
        if isinstance(prompt, str):
            return [Text(prompt)]
        out: list[RenderableType] = []
        for message in prompt:
            role = message.get("role", "?") if isinstance(message, dict) else "?"
            out.append(Text(f"{role}", style="bold italic"))
            out.append(Text(turns_of([message])[0].text))
        return out
