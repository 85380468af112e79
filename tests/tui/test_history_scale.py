"""The history over a store of 2,000 runs: a page of rows at a time, the cursor carried across pages, the whole
study name in its column, and `study:NAME` in the filter picking one study's runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from hptune.core.config import make_config
from hptune.core.store import Store
from hptune.tui.app import make_app
from hptune.tui.widgets import RunTable
from hptune.tui.widgets.run_table import PAGE
from tests.recorded_runs import grow_by_copies, record_runs
from tests.tui.conftest import history_loaded

SWEEP = "sweep-lr-2026-11-28-053000"  # longer than any column would cut to
TOTAL = 2000


@pytest.fixture(scope="module")
def big_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "runs.journal"
    store = Store(str(path))
    record_runs(store, 3, epochs=3)
    record_runs(store, 1, epochs=3, study=SWEEP, seed=2)
    assert grow_by_copies(path, TOTAL) == TOTAL
    return path


@pytest.fixture
def big_store(big_journal: Path, tmp_path: Path) -> Store:
    path = tmp_path / "runs.journal"
    shutil.copy(big_journal, path)
    return Store(str(path))


async def test_the_history_pages_through_two_thousand_runs(big_store: Store) -> None:
    app = make_app(big_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await history_loaded(pilot)
        table = app.screen.query_one(RunTable)
        assert len(table.ordered) == TOTAL and table.row_count == PAGE
        # the newest page came first; once every run is in, the cursor is still on the run it was on
        newest = [r.run_id for r in big_store.runs(light=True, newest=PAGE)]
        assert table.current_run_id == min(newest)
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert table.border_title.startswith(f"Runs ({TOTAL}) · rows 1-{PAGE}")
        assert table.current_run_id == 0
        for _ in range(PAGE):  # down past the page's last row: the next rows are built, the cursor goes on
            await pilot.press("down")
        await pilot.pause()
        assert table.current_run_id == table.ordered[PAGE].run_id and table.row_count == PAGE
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert table.current_run_id == table.ordered[-1].run_id == TOTAL - 1 and table.row_count == PAGE
        await pilot.press("ctrl+home", "s")  # sorted by validation accuracy, best first, over every run
        await pilot.pause()
        values = [r.val_accuracy for r in table.ordered]
        assert values == sorted(values, reverse=True) and table.row_count == PAGE
        assert table.current_run_id == 0  # the cursor stays on its run, on whichever page that now is
        studies = {str(table.get_cell(k, "study")) for k in table.rows}
        assert studies == {"runs", SWEEP}  # whole, as `--study` takes it


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_study_in_the_filter_picks_one_studys_runs(big_store: Store, size: tuple[int, int]) -> None:
    app = make_app(big_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=size) as pilot:
        await pilot.press("ctrl+o")
        await history_loaded(pilot)
        table = app.screen.query_one(RunTable)
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#filter-input", Input).value = f"study:{SWEEP}"
        await pilot.press("enter")
        await pilot.pause()
        expected = [r.run_id for r in big_store.runs(light=True) if r.study == SWEEP]
        assert len(expected) == TOTAL // 4
        assert sorted(r.run_id for r in table.ordered) == expected
        if size[0] >= 120:  # wide: the study column, uncut; at 80 columns it gives way, and the status names it
            assert {str(table.get_cell(k, "study")) for k in table.rows} == {SWEEP}
        assert table.max_scroll_x == 0
        assert f"{len(expected)} run(s) match study:{SWEEP}" in str(
            app.screen.query_one("#history-status", Static).render())
