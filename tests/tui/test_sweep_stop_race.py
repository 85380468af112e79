"""A sweep stopped (or the app quit) in the moment between pressing Start and the study existing in the store."""

from __future__ import annotations

from textual import events

from hptune.core.config import make_config
from hptune.core.sweeps import load_sweep, snapshot
from hptune.tui.app import make_app
from hptune.tui.screens.sweep import SweepScreen

BASE = {"dataset": "mnist-5k", "epochs": 1, "hidden_layers": 1}


async def _grid(app, pilot) -> SweepScreen:
    await pilot.press("ctrl+e")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, SweepScreen)
    for selector, value in (("#values-hidden_units", "8, 16"), ("#mode-learning_rate", "choices"),
                            ("#values-learning_rate", "0.01"), ("#setting-algorithm", "grid"),
                            ("#setting-study", "raced")):
        screen.query_one(selector).value = value
        await pilot.pause()
    return screen


async def test_stop_pressed_before_the_study_exists_stops_the_sweep(store, wait_for) -> None:
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _grid(app, pilot)
        for key in ("ctrl+r", "ctrl+s"):  # queued together, as a fast terminal delivers them
            app._driver.send_message(events.Key(key, None))
        await pilot.pause()
        assert screen.watching == "raced"  # it started
        await wait_for(pilot, lambda: not screen.running, what="the sweep to stop")
        assert load_sweep(store, "raced").stopped
        assert snapshot(store, "raced").count("COMPLETE") < 4
    assert app._exception is None


async def test_quitting_right_after_start_leaves_no_error(store, wait_for) -> None:
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        await _grid(app, pilot)
        for key in ("ctrl+r", "ctrl+q"):
            app._driver.send_message(events.Key(key, None))
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30, what="the app to quit")
    assert app._exception is None and app.return_code == 0
