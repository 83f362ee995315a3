"""Rows stream into the table while the file loads, and search runs over a precomputed index."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from rewardsmith.samples import load_samples, sample_to_record
from rewardsmith.tui import jobs
from rewardsmith.tui.screens.samples import SamplesScreen
from rewardsmith.tui.widgets.sample_table import SampleTable
from rewardsmith.workbench.state import ViewState
from rewardsmith.workbench.tableview import row_order, search_index

from .conftest import DEMO_SEARCH, SIZE, plain, settle


async def _until(condition, what: str, rounds: int = 1000) -> None:
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.slow
async def test_rows_show_while_the_file_is_still_loading(new_app, tmp_path, monkeypatch):
    """The real loader, held after 300 of 352 rows: they are on screen and browsable before the file ends."""
    records = [sample_to_record(s) for s in load_samples(DEMO_SEARCH)] * 4  # past the first progress report
    path = tmp_path / "samples.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for k, record in enumerate(records):
            fh.write(json.dumps({**record, "id": f"{record['id']}-{k}"}) + "\n")
    ids = [s.id for s in load_samples(path)]
    rest = threading.Event()
    read = jobs.iter_samples

    def held(*args, **kwargs):
        for k, sample in enumerate(read(*args, **kwargs)):
            if k == 300:
                rest.wait(60)  # the rest of the file "arrives" when the test says so
            yield sample

    monkeypatch.setattr(jobs, "iter_samples", held)
    app = new_app(path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one(SampleTable)
            await _until(lambda: table.row_count >= 256, "rows before the end of the file")
            assert app.workbench.samples is None  # the file has not ended: still loading
            assert isinstance(app.screen, SamplesScreen)
            first_id = ids[0]
            assert table.source.cell(0, 1)[0] == first_id
            detail = plain(app.screen.query_one("#detail-body"))
            assert first_id in detail and "Completion" in detail
            await pilot.press("down", "down")
            third = ids[2]
            assert third in plain(app.screen.query_one("#detail-body"))
            await pilot.press("g")  # labels wait for the whole file
            await pilot.pause()
            assert app.session.labels == {}
            rest.set()
            await settle(pilot)
            assert len(app.workbench.samples) == 352 == table.row_count
            # The cursor stays on the sample it was moved to while the rows streamed in.
            assert app.session.view.cursor == third
            assert table.source.sample_index(table.cursor_row) == 2
            assert table.source.cell(table.cursor_row, 1)[0] == third
    finally:
        rest.set()


def test_search_over_the_index_finds_what_the_samples_hold():
    samples = load_samples(DEMO_SEARCH)
    keys = search_index(samples)
    for needle in ("G01-C", "g03", "c2", "nothing like it", "-G0"):
        view = ViewState(search=needle)
        want = [i for i, s in enumerate(samples) if needle.lower() in s.id.lower() or needle.lower() in s.group.lower()]
        assert row_order(samples, view, {}, [None] * len(samples), None, search_keys=keys) == want
        assert row_order(samples, view, {}, [None] * len(samples), None) == want
    assert row_order(samples, ViewState(search="g01", label="good"), {}, [None] * len(samples), None, search_keys=keys) \
        == [i for i, s in enumerate(samples) if "g01" in s.id and s.is_good is True]


def test_flat_groups_count_what_the_core_counts():
    """The workbench's numpy count of flat groups agrees with checks.zero_spread_groups, Nones included."""
    from rewardsmith.checks import zero_spread_groups
    from rewardsmith.workbench.state import Session
    from rewardsmith.workbench.workbench import Workbench

    samples = load_samples(DEMO_SEARCH)
    wb = Workbench(Session(samples_path=str(DEMO_SEARCH), name="t"))
    wb.attach(samples)
    multi = {g: idx for g, idx in wb.groups.items() if len(idx) > 1}
    n = len(samples)
    for values in ([1.0] * n, [float(i % 3) for i in range(n)], [None if i % 4 else 0.5 for i in range(n)],
                   [i // 6 * 1.0 for i in range(n)], [None] * n, [1.0 + (i % 2) * 1e-13 for i in range(n)]):
        want = len(zero_spread_groups(values, multi)) / len(multi)
        assert wb.summary(values)["zero_spread"] == want


def test_group_spreads_match_the_plot_helper():
    from rewardsmith.tui.widgets.plots import group_spreads
    from rewardsmith.workbench.state import Session
    from rewardsmith.workbench.workbench import Workbench

    samples = load_samples(DEMO_SEARCH)
    wb = Workbench(Session(samples_path=str(DEMO_SEARCH), name="t"))
    wb.attach(samples)
    n = len(samples)
    for values in ([float(i % 5) * 0.3 for i in range(n)], [None if i % 3 else 0.5 * i for i in range(n)], [None] * n):
        assert wb.group_spreads(values) == group_spreads(values, wb.groups)


@pytest.mark.slow
async def test_search_as_you_type_narrows_and_widens_like_a_fresh_filter(new_app):
    """Typed a key at a time (narrowing reuses the rows shown), then erased: always the full filter's rows."""
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        wb = app.workbench
        table = app.screen.query_one(SampleTable)
        app.session.view.sort = "id"
        app.session.view.descending = True
        app.screen.rebuild()
        await pilot.press("slash")

        def shown() -> list[int]:
            return [table.source.sample_index(r) for r in range(table.row_count)]

        def fresh() -> list[int]:
            return row_order(wb.samples, app.session.view, wb.columns(), wb.total, wb.analysis)

        seen = []
        for key in ["g", "0", "2", "minus", "c", "backspace", "backspace", "backspace"]:
            await pilot.press(key)
            await pilot.pause()
            assert shown() == fresh()
            seen.append(table.row_count)
        assert app.session.view.search == "g0"
        assert seen[2] < seen[1] <= seen[0] == len(wb.samples)  # the search did narrow
        assert seen[7] == seen[1]  # and widened back
        ids = [wb.sample(i).id for i in shown()]
        assert ids == sorted(ids, reverse=True)  # still in the view's order
