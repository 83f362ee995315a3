"""The two arms of a trial side by side: a table of first/last/mean per curve and terminal plots."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .trial import CURVES, ArmResult

__all__ = ["curve_keys", "print_trial", "trial_plot"]


def curve_keys(a: ArmResult, b: ArmResult) -> list[str]:
    """The curves both tables show: the totals, then each rule's mean reward as TRL logs it."""
    rules = list(dict.fromkeys([r.name for r in a.spec.rules] + [r.name for r in b.spec.rules]))
    return [*CURVES, *(f"rewards/{name}/mean" for name in rules)]


def _stats(values: list[float | None]) -> tuple[str, str, str]:
    seen = [v for v in values if v is not None]
    if not seen:
        return "-", "-", "-"
    return f"{seen[0]:.3f}", f"{seen[-1]:.3f}", f"{sum(seen) / len(seen):.3f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def print_trial(a: ArmResult, b: ArmResult, out: Console, *, plot: bool = True) -> None:
    """Print the comparison table, the held-out pass rates and (unless `plot` is off) the curves."""
    table = Table(title=f"A = {a.spec.name}   B = {b.spec.name}", title_justify="left")
    table.add_column("logged by TRL")
    for arm in ("A", "B"):
        for what in ("first", "last", "mean"):
            table.add_column(f"{arm} {what}", justify="right")
    for key in curve_keys(a, b):
        table.add_row(key, *_stats(a.curve(key)), *_stats(b.curve(key)))
    out.print(table)
    graders = list(a.heldout)
    if graders:
        held = Table(title="held-out pass rate (graded by A's rules)", title_justify="left")
        held.add_column("rule")
        held.add_column("A", justify="right")
        held.add_column("B", justify="right")
        for name in graders:
            held.add_row(name, _rate(a.heldout.get(name)), _rate(b.heldout.get(name)))
        out.print(held)
    else:
        out.print("no held-out pass rate: the spec has no verifier and no binary rule that reads a reference column",
                  markup=False, highlight=False)
    if plot:
        for key in ("reward", "frac_reward_zero_std"):
            out.print(Text.from_ansi(trial_plot(a, b, key)))


def trial_plot(a: ArmResult, b: ArmResult, key: str, width: int = 80, height: int = 14) -> str:
    """One logged curve of both arms as a terminal plot (plotext), as text."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    for arm, label in ((a, "A"), (b, "B")):
        points: list[tuple[int, Any]] = [(i + 1, v) for i, v in enumerate(arm.curve(key)) if v is not None]
        if points:
            plt.plot([p[0] for p in points], [p[1] for p in points], label=f"{label} {arm.spec.name}",
                     marker="braille")
    plt.title(key)
    plt.xlabel("step")
    return plt.build()
