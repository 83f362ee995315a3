"""The samples screen: the table (filter, sort, mark), the detail pane, labels and pins."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Header, Input, Select

from ...spec import Rule
from ...workbench.state import LABEL_FILTERS
from ...workbench.tableview import row_order
from ..widgets.sample_detail import DetailRule, SampleDetail
from ..widgets.sample_table import Column, SampleTable
from ..widgets.footer import WorkbenchFooter
from ..widgets.status import StatusLine
from ...workbench.workbench import Workbench
from .base import WorkbenchScreen
from .pin import PinScreen

__all__ = ["SamplesScreen", "SamplesSource"]


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


class SamplesSource:
    """The table's view of the workbench: rows in filter/sort order, cells formatted on demand."""

    def __init__(self, workbench: Workbench, order: list[int], rules: Sequence[Rule]) -> None:
        self.workbench = workbench
        self.order = order
        self.rules = list(rules)
        samples = workbench.samples.samples if workbench.samples is not None else []
        self.marked_ids = set(workbench.session.marked)
        self.pins = {(p.sample, p.rule): p for p in workbench.session.pins}
        id_width = min(24, max([2] + [len(samples[i].id) for i in order[:2000]]))
        group_width = min(12, max([5] + [len(samples[i].group) for i in order[:2000]]))
        total_title = "total*" if workbench.session.total_is_proposed() else "total"
        self.columns: list[Column] = [
            Column("mark", " ", 1),
            Column("id", "id", id_width),
            Column("group", "group", group_width),
            Column("label", "label", 5),
            # The total before the rules: with many rules, or at 100 columns, it stays on screen.
            Column("total", total_title, 7, right=True),
            *[Column(f"rule:{r.name}", r.name, max(7, min(10, len(r.name))), right=True) for r in self.rules],
        ]
        view = workbench.session.view
        arrow = " ▼" if view.descending else " ▲"
        # The sorted column says so in its title (the cut keeps the arrow visible on narrow columns).
        self.columns = [Column(c.key, (c.title[: c.width - 2] + arrow) if c.key == view.sort else c.title, c.width, c.right)
                        for c in self.columns]
        self._scores = [workbench.scores.get(r.name) for r in self.rules]
        self._errors = [workbench.scores.by_rule[r.name].errors if r.name in workbench.scores.by_rule else {}
                        for r in self.rules]

    def __len__(self) -> int:
        return len(self.order)

    def sample_index(self, row: int) -> int:
        return self.order[row]

    def marked(self, row: int) -> bool:
        return self.workbench.sample(self.order[row]).id in self.marked_ids

    def cell(self, row: int, column: int) -> tuple[str, str]:
        i = self.order[row]
        sample = self.workbench.sample(i)
        if column == 0:
            pinned = any((sample.id, r.name) in self.pins for r in self.rules)
            return ("●" if sample.id in self.marked_ids else ("⚑" if pinned else " ")), ""
        if column == 1:
            return sample.id, ""
        if column == 2:
            return sample.group, "dim"
        if column == 3:
            good = sample.is_good
            return {True: ("good", "good"), False: ("bad", "bad"), None: ("—", "dim")}[good]
        if column == 4:
            total = self.workbench.total[i] if self.workbench.total else None
            return fmt_score(total), "dim" if total is None else ""
        k = column - 5
        if i in self._errors[k]:
            return "error", "error"
        values = self._scores[k]
        value = None if values is None else values[i]
        pin = self.pins.get((sample.id, self.rules[k].name))
        if pin is not None:
            return fmt_score(value), "pinned"
        return fmt_score(value), "dim" if value is None else ""


class ArrivingSource:
    """The rows read so far while the file loads: file order, id, group and label, and the scores the
    disk cache kept from the last session (workbench.cached), if any."""

    def __init__(self, workbench: Workbench) -> None:
        self.workbench = workbench
        self.count = workbench.arrived_count
        samples = workbench.arrived
        self.columns: list[Column] = [
            Column("mark", " ", 1),
            Column("id", "id", min(24, max([2] + [len(s.id) for s in samples[:min(self.count, 2000)]]))),
            Column("group", "group", min(12, max([5] + [len(s.group) for s in samples[:min(self.count, 2000)]]))),
            Column("label", "label", 5),
        ]
        self._cached = [(r.name, workbench.cached[r.name]) for r in workbench.session.live() if r.name in workbench.cached]
        if self._cached:
            total_title = "total*" if workbench.session.total_is_proposed() else "total"
            self.columns += [Column("total", total_title, 7, right=True),
                             *[Column(f"rule:{name}", name, max(7, min(10, len(name))), right=True)
                               for name, _ in self._cached]]

    def __len__(self) -> int:
        return self.count

    def sample_index(self, row: int) -> int:
        return row

    def marked(self, row: int) -> bool:
        return False

    def cell(self, row: int, column: int) -> tuple[str, str]:
        sample = self.workbench.arrived[row]
        if column == 1:
            return sample.id, ""
        if column == 2:
            return sample.group, "dim"
        if column == 3:
            return {True: ("good", "good"), False: ("bad", "bad"), None: ("—", "dim")}[sample.is_good]
        if column == 4 and self._cached:
            total = self.workbench.cached_total[row] if row < len(self.workbench.cached_total) else None
            return fmt_score(total), "dim" if total is None else ""
        if column > 4 and column - 5 < len(self._cached):
            item = self._cached[column - 5][1]
            if row in item.errors:
                return "error", "error"
            value = item.scores[row] if row < len(item.scores) else None
            return fmt_score(value), "dim" if value is None else ""
        return " ", ""


# Shown in the footer as one entry each (`g b u label`, `s r l m z / sort/filter`): one by one they
# would not fit 100 columns.
LABEL_KEYS = Binding.Group("label")
VIEW_KEYS = Binding.Group("sort/filter")


class SamplesScreen(WorkbenchScreen):
    WATCH = (*WorkbenchScreen.WATCH, "arrived_version")
    BINDINGS = [
        Binding("g", "label(1.0)", "Good", id="samples.good", tooltip="Label the sample good", group=LABEL_KEYS),
        Binding("b", "label(0.0)", "Bad", id="samples.bad", tooltip="Label the sample bad", group=LABEL_KEYS),
        Binding("u", "label(None)", "Unlabel", id="samples.unlabel", tooltip="Remove the sample's label",
                group=LABEL_KEYS),
        Binding("P,shift+p", "pin", "Pin", id="samples.pin", tooltip="Pin the expected score of a rule on this sample"),
        Binding("s", "cycle_sort", "Sort", id="samples.sort", tooltip="Sort by the next column", group=VIEW_KEYS),
        Binding("r", "reverse", "Reverse", id="samples.reverse", tooltip="Reverse the sort order", group=VIEW_KEYS),
        Binding("l", "cycle_label", "Label filter", id="samples.label_filter",
                tooltip="Show all / good / bad / unlabelled samples", group=VIEW_KEYS),
        Binding("m", "toggle('misclassified')", "Misclassified", id="samples.misclassified",
                tooltip="Only samples the total gets wrong (at the best threshold)", group=VIEW_KEYS),
        Binding("z", "toggle('zero_spread')", "Zero-spread", id="samples.zero_spread",
                tooltip="Only groups whose total has no spread (no GRPO signal)", group=VIEW_KEYS),
        Binding("slash", "search", "Search", id="samples.search", tooltip="Filter by id or group", group=VIEW_KEYS),
        Binding("v", "toggle('marked_only')", "Marked only", show=False, id="samples.marked_only",
                tooltip="Only the marked samples"),
        Binding("h", "cycle_highlight", "Highlight", id="samples.highlight",
                tooltip="Highlight the spans of all rules, or of one rule at a time"),
        Binding("escape", "focus_table", "Table", show=False, id="samples.focus_table", tooltip="Back to the table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.source: SamplesSource | ArrivingSource | None = None
        self.focus_rule: str | None = None
        self._syncing = False
        self._sort_keys: list[str] = ["file"]
        self._arrived_shown: int | None = None  # the row the detail pane shows while the file loads
        self._shown: tuple[str, list[int]] | None = None  # the last search (lowercased) and the rows it showed
        self._narrowing = False  # this rebuild only narrows the search: filter the rows shown
        self._detail_index: int | None = None  # the sample the detail pane shows

    def compose(self) -> ComposeResult:
        view = self.session.view
        # Composed with the saved view: a Select composed at "all" posts Changed("all") once mounted,
        # which would overwrite the restored filter (and the autosave would write it back).
        label = view.label if view.label in LABEL_FILTERS else "all"
        sorts = [o for o in self._sort_options() if o[1] == view.sort] or [("sort: file order", "file")]
        self._sort_keys = [v for _, v in sorts]
        yield Header()
        with Horizontal(id="samples-body"):
            with Vertical(id="table-pane"):
                with Horizontal(id="filter-bar"):
                    yield Select([(f"label: {name}", name) for name in LABEL_FILTERS], value=label, allow_blank=False,
                                 id="filter-label", tooltip="Which labels to show (l)", compact=True)
                    yield Select(sorts, value=sorts[0][1], allow_blank=False, id="filter-sort",
                                 tooltip="Sort by (s); r reverses", compact=True)
                    yield Checkbox("misclassified", id="filter-misclassified", tooltip="m", compact=True)
                    yield Checkbox("zero-spread", id="filter-zero_spread", tooltip="z", compact=True)
                    yield Checkbox("marked", id="filter-marked_only", tooltip="v", compact=True)
                    yield Input(placeholder="/ id or group", id="filter-search", compact=True)
                yield SampleTable(id="samples-table")
            yield SampleDetail(id="sample-detail")
        yield StatusLine()
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(SampleTable).focus()

    # ------------------------------------------------------------------ redraw

    def sync(self, what: str = "all") -> None:
        super().sync(what)
        if self.workbench.samples is None:
            if self.workbench.arrived_count:
                self._show_arrived()
            return
        self._sync_controls()
        self.rebuild(keep_cursor=what != "samples_version")

    def _sort_options(self) -> list[tuple[str, str]]:
        options = [("sort: file order", "file"), ("sort: id", "id"), ("sort: group", "group"), ("sort: label", "label"),
                   ("sort: total", "total")]
        options += [(f"sort: {r.name}", f"rule:{r.name}") for r in self.session.live()]
        return options

    def _sync_controls(self) -> None:
        """Put the session's view into the filter widgets without their change events looping back."""
        view = self.session.view
        self._syncing = True
        try:
            sort = self.query_one("#filter-sort", Select)
            options = self._sort_options()
            if [v for _, v in options] != self._sort_keys:
                sort.set_options(options)
                self._sort_keys = [v for _, v in options]
            if view.sort not in [v for _, v in options]:
                view.sort = "file"
            sort.value = view.sort
            self.query_one("#filter-label", Select).value = view.label
            for name in ("misclassified", "zero_spread", "marked_only"):
                self.query_one(f"#filter-{name}", Checkbox).value = getattr(view, name)
            search = self.query_one("#filter-search", Input)
            if search.value != view.search:
                search.value = view.search
        finally:
            self.call_after_refresh(self._end_sync)

    def _end_sync(self) -> None:
        self._syncing = False

    def _show_arrived(self) -> None:
        """Rows stream in while the file loads: the table grows, the cursor and detail pane work."""
        table = self.query_one(SampleTable)
        first = not isinstance(self.source, ArrivingSource)
        self.source = ArrivingSource(self.workbench)
        table.set_source(self.source, 0 if first else table.cursor_row)
        if first:
            self._arrived_shown = 0  # not recorded as the view's cursor: the saved one is restored once loaded
            self.show_detail()

    def rebuild(self, keep_cursor: bool = True) -> None:
        """Recompute the row order and hand the table a new source, keeping the cursor's sample."""
        wb = self.workbench
        if wb.samples is None:
            return
        table = self.query_one(SampleTable)
        current = self.current_index() if keep_cursor else None
        old_row = table.cursor_row
        if current is None and self.session.view.cursor is not None:
            current = wb.index_of(self.session.view.cursor)
        rules = self.session.live()
        needle = self.session.view.search.strip().lower()
        base = self._shown
        if base is not None and base[0] in needle and self._narrowing:
            # A character typed onto the search: the rows shown already passed every other filter
            # and are sorted, so only they are scanned, and nothing is sorted again.
            keys = wb.search_keys()
            order = [i for i in base[1] if needle in keys[i]]
        else:
            order = row_order(wb.samples, self.session.view, wb.columns(), wb.total, wb.analysis,
                              set(self.session.marked), wb.search_keys() if needle else None)
        self._shown = (needle, order)
        self.source = SamplesSource(wb, order, rules)
        row = 0
        if current is not None:
            try:
                row = order.index(current)
            except ValueError:
                # The sample left the view (labelled out of a filter): the next one takes its row.
                row = old_row
        table.set_source(self.source, row)
        self.refresh_title()
        if not (self._narrowing and self.current_index() == current):
            # Narrowing a search keeps the sample under the cursor: its pane stands (redrawing a long
            # completion is most of what a key costs).
            self.show_detail()

    def refresh_title(self) -> None:
        super().refresh_title()
        samples = self.workbench.samples
        if samples is not None and self.source is not None and len(self.source) != len(samples):
            self.sub_title = f"{len(self.source):,} of {len(samples):,} shown · " + self.sub_title.split(" · ", 1)[-1]

    def current_index(self) -> int | None:
        """The sample index under the cursor (None when no row is shown)."""
        if self.source is None or not len(self.source):
            return None
        table = self.query_one(SampleTable)
        return self.source.sample_index(min(table.cursor_row, len(self.source) - 1))

    def show_detail(self) -> None:
        detail = self.query_one(SampleDetail)
        i = self._detail_index = self.current_index()
        if i is None:
            detail.show(None)
            return
        wb = self.workbench
        sample = wb.sample(i)
        if wb.samples is None:  # still loading: the text, no scores yet
            detail.show(sample, marked=sample.id in self.session.marked)
            return
        status = {e.rule.name: e.status for e in self.session.rules}
        rules = [DetailRule(r, wb.score_of(r.name, i), wb.error_of(r.name, i), status[r.name]) for r in self.session.live()]
        detail.show(sample, rules, pins=self.session.pins_of(sample.id), focus_rule=self.focus_rule,
                    label_overridden=wb.label_overridden(sample.id), marked=sample.id in self.session.marked)

    @on(SampleTable.CursorMoved)
    def _cursor_moved(self, event: SampleTable.CursorMoved) -> None:
        i = self.current_index()
        if self.workbench.samples is None:
            # While rows stream in, each new batch re-posts the cursor's row: only a real move counts.
            if i == self._arrived_shown:
                return
            self._arrived_shown = i
        if i is not None:
            self.session.view.cursor = self.workbench.sample(i).id
        if i != self._detail_index:  # a new source re-posts the cursor: the same sample's pane stands
            self.show_detail()

    @on(SampleTable.MarkToggled)
    def _mark(self, event: SampleTable.MarkToggled) -> None:
        i = self.current_index()
        if i is None or not self._loaded():
            return
        self.session.toggle_mark(self.workbench.sample(i).id)
        assert self.source is not None
        self.source.marked_ids = set(self.session.marked)
        self.query_one(SampleTable).refresh_rows()
        self.show_detail()
        self.rs.schedule_save()

    @on(SampleTable.HeaderClicked)
    def _header_clicked(self, event: SampleTable.HeaderClicked) -> None:
        key = event.column.key
        if key in ("id", "group", "label", "total") or key.startswith("rule:"):
            view = self.session.view
            view.descending = (not view.descending) if view.sort == key else key != "id" and key != "group"
            view.sort = key
            self._view_changed()

    # ------------------------------------------------------------------ filters

    def _view_changed(self) -> None:
        self._sync_controls()
        self.rebuild()
        self.rs.schedule_save()

    @staticmethod
    def _superseded(event: Select.Changed) -> bool:
        """A change the widget has already moved past (posted at mount, or before a sync set it)."""
        return event.select.value != event.value

    @on(Select.Changed, "#filter-label")
    def _label_filter(self, event: Select.Changed) -> None:
        if not self._syncing and not self._superseded(event) and event.value != self.session.view.label:
            self.session.view.label = str(event.value)
            self._view_changed()

    @on(Select.Changed, "#filter-sort")
    def _sort_changed(self, event: Select.Changed) -> None:
        if (not self._syncing and not self._superseded(event) and event.value != self.session.view.sort
                and event.value is not Select.BLANK):
            self.session.view.sort = str(event.value)
            self._view_changed()

    @on(Checkbox.Changed)
    def _checkbox(self, event: Checkbox.Changed) -> None:
        name = (event.checkbox.id or "").removeprefix("filter-")
        if not self._syncing and hasattr(self.session.view, name) and getattr(self.session.view, name) != event.value:
            setattr(self.session.view, name, event.value)
            self._view_changed()

    @on(Input.Changed, "#filter-search")
    def _search(self, event: Input.Changed) -> None:
        if not self._syncing and event.value != self.session.view.search:
            self.session.view.search = event.value
            self._narrowing = True
            try:
                self.rebuild()
            finally:
                self._narrowing = False
            self.rs.schedule_save()

    @on(Input.Submitted, "#filter-search")
    def _search_done(self) -> None:
        self.query_one(SampleTable).focus()

    def action_cycle_label(self) -> None:
        view = self.session.view
        view.label = LABEL_FILTERS[(LABEL_FILTERS.index(view.label) + 1) % len(LABEL_FILTERS)]
        self._view_changed()

    def action_cycle_sort(self) -> None:
        keys = [v for _, v in self._sort_options()]
        view = self.session.view
        view.sort = keys[(keys.index(view.sort) + 1) % len(keys)] if view.sort in keys else keys[0]
        self._view_changed()

    def action_reverse(self) -> None:
        self.session.view.descending = not self.session.view.descending
        self._view_changed()

    def action_toggle(self, name: str) -> None:
        setattr(self.session.view, name, not getattr(self.session.view, name))
        self._view_changed()

    def action_search(self) -> None:
        self.query_one("#filter-search", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one(SampleTable).focus()

    def action_cycle_highlight(self) -> None:
        names = [None, *[r.name for r in self.session.live()]]
        k = names.index(self.focus_rule) if self.focus_rule in names else 0
        self.focus_rule = names[(k + 1) % len(names)]
        self.notify(f"highlighting {self.focus_rule or 'every rule'}", timeout=2, markup=False)
        self.show_detail()

    # ------------------------------------------------------------------ labels and pins

    def _loaded(self) -> bool:
        """Whether the whole file is in; labels, marks and pins wait for it (rows show while it loads)."""
        if self.workbench.samples is None:
            self.notify("the samples are still loading", severity="warning", timeout=3, markup=False)
            return False
        return True

    def action_label(self, value: float | None) -> None:
        i = self.current_index()
        if i is None or not self._loaded():
            return
        self.workbench.set_label(i, value)
        # Redrawn through scores_version: a label changes the misclassified set and the filters.
        self.rs.session_changed(scores=True)

    def action_pin(self) -> None:
        i = self.current_index()
        if i is None or not self._loaded():
            return
        rules = self.session.live()
        if not rules:
            self.notify("no rules to pin yet: propose some first (p)", severity="warning", markup=False)
            return
        sample = self.workbench.sample(i)
        current = {r.name: self.workbench.score_of(r.name, i) for r in rules}
        default = self.focus_rule if self.focus_rule in current else (self.session.accepted() or rules)[0].name

        def done(result: tuple[str, float | None, bool] | None) -> None:
            if result is None:
                return
            rule, score, remove = result
            if remove:
                self.session.remove_pin(sample.id, rule)
                self.notify(f"unpinned {rule} on {sample.id}", timeout=3, markup=False)
            else:
                self.session.set_pin(sample.id, rule, score)
                self.notify(f"pinned {rule} on {sample.id} at {fmt_score(score)}", timeout=3, markup=False)
            self.rs.session_changed(scores=True)

        self.app.push_screen(PinScreen(sample.id, current, default, self.session.pins_of(sample.id)), done)
