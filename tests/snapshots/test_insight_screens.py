"""The comparison and importance screens at 80x24 and 120x40, over the recorded stores (deterministic images).

Update after reading the diff report: pytest tests/snapshots --snapshot-update
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hptune.core.config import make_config
from hptune.tui.app import make_app
from hptune.tui.screens.diff import DiffScreen
from hptune.tui.screens.importance import ImportanceScreen
from hptune.tui.widgets.importance_chart import ImportanceChart
from hptune.tui.widgets.parallel_chart import ParallelChart

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SWEEP_JOURNAL = Path(__file__).resolve().parents[1] / "data" / "sweep.journal"


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def _watch(pilot, screen, study: str) -> None:
    """Pick `study` in the sweep screen's "watch a sweep" list once the screen has listed it."""
    select = screen.query_one("#watch")
    for _ in range(600):
        if any(str(v) == study for _, v in select._options):
            break
        await pilot.pause(0.05)
    select.value = study


@pytest.mark.parametrize("size", SIZES)
def test_diff_screen(snap_compare, fixture_store, size) -> None:
    async def compare(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(DiffScreen(0, 2))
        await _settle(pilot)

    app = make_app(fixture_store, make_config({"dataset": "mnist-5k", "epochs": 8}))
    assert snap_compare(app, terminal_size=size, run_before=compare)


# Both sizes: plotext's de-duplication (set order, varying with the hash seed) decided which of two overlapping
# points or tick labels showed; tui/widgets/plot.py makes it keep first-seen order, so the images repeat.
@pytest.mark.parametrize("size", SIZES)
def test_importance_screen(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size) -> None:
    from hptune.core.store import Store

    shutil.copy(SWEEP_JOURNAL, tmp_path / "sweep.journal")
    monkeypatch.chdir(tmp_path)
    store = Store("sweep.journal")

    async def show(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(ImportanceScreen("digits-search"))
        chart = pilot.app.screen.query_one(ImportanceChart)
        parallel = pilot.app.screen.query_one(ParallelChart)
        for _ in range(1200):
            if chart.importance is not None and parallel.data is not None:
                break
            await pilot.pause(0.05)
        await _settle(pilot)
        await pilot.pause(0.3)  # both charts redraw once their data has come in: let the last repaint land
        await _settle(pilot)

    app = make_app(store, make_config({"dataset": "digits"}))
    assert snap_compare(app, terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES)
def test_sweep_screen_on_a_stopped_sweep(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size) -> None:
    """The recorded 24-trial search, stopped with two budgeted trials never run: they read "not run", and the
    header offers Resume."""

    from hptune.core.store import Store
    from hptune.core.sweeps import request_stop, snapshot
    from hptune.tui.screens.sweep import SweepScreen
    from hptune.tui.widgets.trial_table import TrialTable

    shutil.copy(SWEEP_JOURNAL, tmp_path / "sweep.journal")
    monkeypatch.chdir(tmp_path)
    store = Store("sweep.journal")
    store.study("digits-search").enqueue_trial({})
    store.study("digits-search").enqueue_trial({})
    request_stop(store, "digits-search")
    assert [t.status for t in snapshot(store, "digits-search").trials[-2:]] == ["not run", "not run"]

    async def watch(pilot) -> None:
        await pilot.press("ctrl+e")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, SweepScreen)
        await _watch(pilot, screen, "digits-search")
        table = screen.query_one(TrialTable)
        for _ in range(600):
            if table.row_count == 26 and not screen.query_one("#resume").disabled:
                break
            await pilot.pause(0.05)
        table.move_cursor(row=table.row_count - 1, column=0, animate=False)  # the two rows that never ran
        await _settle(pilot)
        await pilot.pause(0.3)
        await _settle(pilot)

    app = make_app(store, make_config({"dataset": "digits"}))
    assert snap_compare(app, terminal_size=size, run_before=watch)


@pytest.mark.parametrize(("size", "pane"), [
    pytest.param((80, 24), "setup", id="80x24-setup"), pytest.param((80, 24), "trials", id="80x24-trials"),
    pytest.param((80, 24), "charts", id="80x24-charts"), pytest.param((120, 40), "trials", id="120x40"),
])
def test_sweep_screen_watching_a_sweep(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size,
                                       pane) -> None:
    """The sweep screen on the recorded 24-trial search; at 80x24 one pane at a time (at 120x40 all three)."""
    from hptune.core.store import Store
    from hptune.tui.widgets.sweep_charts import ParamScatter
    from hptune.tui.widgets.trial_table import TrialTable

    shutil.copy(SWEEP_JOURNAL, tmp_path / "sweep.journal")
    monkeypatch.chdir(tmp_path)
    store = Store("sweep.journal")

    async def watch(pilot) -> None:
        await pilot.pause()
        await pilot.press("ctrl+e")
        screen = pilot.app.screen
        await _watch(pilot, screen, "digits-search")
        table = screen.query_one(TrialTable)
        for _ in range(1200):
            if table.row_count == 24 and screen.query(ParamScatter):
                break
            await pilot.pause(0.05)
        screen.show_pane(pane)
        screen.query_one(TrialTable).focus()
        await _settle(pilot)
        await pilot.pause(0.3)
        await _settle(pilot)

    app = make_app(store, make_config({"dataset": "digits"}))
    assert snap_compare(app, terminal_size=size, run_before=watch)
