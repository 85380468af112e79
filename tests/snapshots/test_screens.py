"""Every screen at 80x24 and 120x40, fed from the recorded fixture store so the images are deterministic.

Update after reading the diff report: pytest tests/snapshots --snapshot-update
"""

from __future__ import annotations

import pytest

from hptune.core.config import make_config
from hptune.tui.app import make_app
from hptune.tui.screens import ErrorDialog, HistoryScreen, RunDetailScreen
from hptune.tui.widgets import DigitGrid
from tests.tui.conftest import history_loaded

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _app(store):
    return make_app(store, make_config({"dataset": "mnist-5k", "epochs": 8}))


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, fixture_store, size) -> None:
    assert snap_compare(_app(fixture_store), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_invalid_fields(snap_compare, fixture_store, size) -> None:
    async def edit(pilot) -> None:
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#field-learning_rate").value = "-1"
        screen.query_one("#field-hidden_units").value = "0"
        await _settle(pilot)

    assert snap_compare(_app(fixture_store), terminal_size=size, run_before=edit)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("run", [0, 4], ids=["completed", "diverged"])
def test_main_screen_with_a_stored_run(snap_compare, fixture_store, size, run) -> None:
    async def show(pilot) -> None:
        await pilot.pause()
        pilot.app.main_screen.show_record(fixture_store.get(run))
        await _settle(pilot)

    assert snap_compare(_app(fixture_store), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES)
def test_history_with_an_overlay(snap_compare, fixture_store, size) -> None:
    async def overlay(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(HistoryScreen())
        await history_loaded(pilot)
        await pilot.press("space", "down", "space", "down", "down", "down", "space")
        await _settle(pilot)

    assert snap_compare(_app(fixture_store), terminal_size=size, run_before=overlay)


@pytest.mark.parametrize("size", SIZES)
def test_run_detail(snap_compare, fixture_store, size) -> None:
    async def detail(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(RunDetailScreen(0))
        grid = pilot.app.screen.query_one(DigitGrid)
        for _ in range(600):
            if grid.digits:
                break
            await pilot.pause(0.05)
        await _settle(pilot)

    assert snap_compare(_app(fixture_store), terminal_size=size, run_before=detail)


@pytest.mark.parametrize("size", SIZES)
def test_error_dialog(snap_compare, fixture_store, size) -> None:
    async def fail(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(
            ErrorDialog("Dataset problem", "data/broken.npz: not a readable .npz archive (File is not a zip file)")
        )
        await _settle(pilot)

    assert snap_compare(_app(fixture_store), terminal_size=size, run_before=fail)


def test_terminal_too_small(snap_compare, fixture_store) -> None:
    assert snap_compare(_app(fixture_store), terminal_size=(40, 12), run_before=_settle)
