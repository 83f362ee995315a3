"""Which samples the table shows, in which order: filters and sorts over plain lists.

Kept apart from the widget so it is tested without a terminal and measured at 100,000 rows:
one pass to filter, one `list.sort` with a precomputed key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..checks import best_threshold, zero_spread_groups
from ..samples import SampleSet
from .state import ViewState

__all__ = ["Analysis", "analyse", "row_order", "search_index"]


@dataclass
class Analysis:
    """What the filters need to know about the total: who is misclassified, which groups are flat."""

    threshold: float | None
    misclassified: set[int]
    zero_spread_groups: set[str]
    multi_groups: int  # groups with two or more samples


def analyse(samples: SampleSet, total: Sequence[float | None], groups: dict[str, list[int]] | None = None,
            previous: Analysis | None = None) -> Analysis:
    """Misclassified samples and flat groups of `total`.

    `previous` (an analysis of the same total) lends its flat groups: labels never change those,
    so relabelling a sample only redoes the threshold.
    """
    labels = [s.is_good for s in samples]
    cut = best_threshold(total, labels)
    wrong: set[int] = set()
    if cut is not None:
        wrong = {i for i, (v, y) in enumerate(zip(total, labels)) if v is not None and y is not None and (v >= cut) != y}
    if previous is not None:
        return Analysis(cut, wrong, previous.zero_spread_groups, previous.multi_groups)
    groups = groups if groups is not None else samples.groups()
    multi = {g: idx for g, idx in groups.items() if len(idx) > 1}
    flat = set(zero_spread_groups(total, multi)) if any(v is not None for v in total) else set()
    return Analysis(cut, wrong, flat, len(multi))


def search_index(samples: SampleSet) -> list[str]:
    """What a search matches, per sample: id and group, lowercased, joined by a NUL no needle holds."""
    return [f"{s.id}\x00{s.group}".lower() for s in samples.samples]


def _label_key(label: float | None) -> float:
    return -1.0 if label is None else label


def row_order(
    samples: SampleSet,
    view: ViewState,
    columns: dict[str, Sequence[float | None]],
    total: Sequence[float | None],
    analysis: Analysis | None,
    marked: set[str] | frozenset[str] = frozenset(),
    search_keys: Sequence[str] | None = None,
) -> list[int]:
    """Sample indices to show, filtered and sorted as `view` says.

    `columns` maps rule names to their scores; a sort on a rule that has no scores yet keeps file order.
    Missing scores sort last in either direction. `search_keys`: `search_index(samples)`, computed once,
    so a search does not lowercase 100,000 strings on every key.
    """
    needle = view.search.strip().lower()
    want = {"good": True, "bad": False, "unlabelled": None}.get(view.label, "all")
    if needle:
        keys = search_keys if search_keys is not None else search_index(samples)
        # The search first, as one comprehension: it is the filter that runs on every key typed.
        candidates: Sequence[int] = [i for i, k in enumerate(keys) if needle in k]
    else:
        candidates = range(len(samples.samples))
    every = samples.samples
    if want == "all" and not (view.misclassified or view.zero_spread or view.marked_only):
        rows = list(candidates)
    else:
        rows = []
        for i in candidates:
            s = every[i]
            if want != "all" and s.is_good is not want:
                continue
            if view.misclassified and (analysis is None or i not in analysis.misclassified):
                continue
            if view.zero_spread and (analysis is None or s.group not in analysis.zero_spread_groups):
                continue
            if view.marked_only and s.id not in marked:
                continue
            rows.append(i)

    key = view.sort
    values: Sequence[object] | None = None
    if key == "id":
        values = [s.id for s in samples.samples]
    elif key == "group":
        values = [s.group for s in samples.samples]
    elif key == "label":
        values = [_label_key(s.label) for s in samples.samples]
    elif key == "total":
        values = total
    elif key.startswith("rule:"):
        values = columns.get(key[5:])
    if values is None:
        if view.descending:
            rows.reverse()
        return rows
    present = [i for i in rows if values[i] is not None]
    absent = [i for i in rows if values[i] is None]
    # A stable sort: ties keep file order, so equal scores do not shuffle between refreshes.
    present.sort(key=values.__getitem__, reverse=view.descending)
    return present + absent
