"""Plots people would rather look at than read: score distributions by label, flat GRPO groups.

Drawn with textual-plotext; the series use plotext's named terminal colours (good green, bad red)
and the plot's background follows the app theme.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

__all__ = ["DistributionPlot", "GroupSpreadPlot", "ZeroSpreadPlot", "group_spreads", "score_bins"]


def score_bins(values: Sequence[float | None], labels: Sequence[bool | None],
               max_bins: int = 12) -> tuple[list[str], dict[str, list[int]]]:
    """Bin scores for a side-by-side bar chart: (bin labels, counts per class: good / bad / unlabelled).

    A rule with few distinct scores (most rules: 0/1, or a handful of tiers) gets one bar per score,
    so nothing is smeared across bins; a continuous one gets `max_bins` equal-width bins.
    """
    present = [(v, y) for v, y in zip(values, labels) if v is not None]
    distinct = sorted({v for v, _ in present})
    classes = {"good": True, "bad": False, "unlabelled": None}
    if not distinct:
        return [], {name: [] for name in classes}
    if len(distinct) <= max_bins:
        names = [f"{v:.3g}" for v in distinct]
        slot = {v: k for k, v in enumerate(distinct)}
        index = [slot[v] for v, _ in present]
    else:
        lo, hi = distinct[0], distinct[-1]
        step = (hi - lo) / max_bins
        names = [f"{lo + (k + 0.5) * step:.3g}" for k in range(max_bins)]
        index = [min(max_bins - 1, int((v - lo) / step)) for v, _ in present]
    counts = {name: [0] * len(names) for name in classes}
    for k, (_, y) in zip(index, present):
        counts[{True: "good", False: "bad", None: "unlabelled"}[y]][k] += 1
    return names, counts


class DistributionPlot(PlotextPlot):
    """One rule's scores as bars per score (or bin), good and bad side by side."""

    COLOURS = {"good": "green", "bad": "red", "unlabelled": "blue"}

    def show(self, title: str, values: Sequence[float | None], labels: Sequence[bool | None]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        names, counts = score_bins(values, labels)
        shown = [c for c in counts if any(counts[c])]
        if names and shown:
            plt.multiple_bar(names, [counts[c] for c in shown],
                             labels=[f"{c} ({sum(counts[c])})" for c in shown],
                             color=[self.COLOURS[c] for c in shown])
        plt.xlabel("score")
        plt.ylabel("samples")
        self.refresh()


class ZeroSpreadPlot(PlotextPlot):
    """Share of groups each rule (and the total) leaves without spread: no GRPO gradient there."""

    def show(self, shares: dict[str, float]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("groups with zero spread (%): no learning signal")
        if shares:
            names = list(shares)
            plt.bar(names, [round(100 * shares[n], 1) for n in names], color="orange", orientation="horizontal")
            plt.xlim(0, 100)
        self.refresh()


class GroupSpreadPlot(PlotextPlot):
    """How far apart the total puts the completions of each group (max − min)."""

    def show(self, spreads: Sequence[float], bins: int = 20) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"spread of the total within each group ({len(spreads)} groups)")
        if spreads:
            plt.hist(list(spreads), bins, color="cyan")
        plt.xlabel("max − min of the total")
        plt.ylabel("groups")
        self.refresh()


def group_spreads(total: Sequence[float | None], groups: dict[str, list[int]]) -> list[float]:
    out = []
    for idx in groups.values():
        if len(idx) < 2:
            continue
        values = [total[i] for i in idx if total[i] is not None]
        out.append(max(values) - min(values) if len(values) > 1 else 0.0)  # type: ignore[operator]
    return out
