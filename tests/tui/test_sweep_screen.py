"""The sweep screen with Pilot: edit a space, run a real (tiny) sweep, watch one run elsewhere, use the best."""

from __future__ import annotations

from textual.widgets import Button, Input, Select, Static

from hptune.core.config import make_config
from hptune.core.space import SweepSettings, space_from_data
from hptune.core.sweeps import SweepWorker, create_sweep, snapshot
from hptune.tui.app import make_app
from hptune.tui.screens.sweep import SweepScreen
from hptune.tui.widgets import HyperparamForm
from hptune.tui.widgets.space_editor import SpaceEditor
from hptune.tui.widgets.sweep_charts import BestSoFarChart, ParamScatter
from hptune.tui.widgets.trial_table import TrialTable

BASE = {"dataset": "mnist-5k", "epochs": 1, "hidden_layers": 1}


async def _open(app, pilot) -> SweepScreen:
    await pilot.press("ctrl+e")
    await pilot.pause()
    assert isinstance(app.screen, SweepScreen)
    return app.screen


async def _set(pilot, screen, selector: str, value) -> None:
    widget = screen.query_one(selector)
    widget.value = value
    await pilot.pause()


async def test_a_bad_space_shows_the_core_s_message_and_cannot_start(store) -> None:
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        await _set(pilot, screen, "#mode-learning_rate", "range")
        await _set(pilot, screen, "#values-learning_rate", "0.1, 0.001")
        error = str(screen.query_one("#space-error", Static).render())
        assert "space.learning_rate" in error and "inverted" in error
        assert screen.query_one("#start", Button).disabled
        await _set(pilot, screen, "#values-learning_rate", "0.001, 0.1")
        assert str(screen.query_one("#space-error", Static).render()) == ""
        assert not screen.query_one("#start", Button).disabled
        # a grid needs steps: the core says so, naming the field
        await _set(pilot, screen, "#setting-algorithm", "grid")
        assert "space.learning_rate: a grid search needs a step" in str(
            screen.query_one("#settings-error", Static).render())
        assert screen.query_one("#start", Button).disabled


async def test_run_a_grid_sweep_and_use_the_best_config(store, wait_for) -> None:
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        await _set(pilot, screen, "#mode-hidden_layers", "fixed")
        await _set(pilot, screen, "#values-hidden_layers", "1")
        await _set(pilot, screen, "#values-hidden_units", "8, 32")
        await _set(pilot, screen, "#mode-learning_rate", "choices")
        await _set(pilot, screen, "#values-learning_rate", "0.01")
        await _set(pilot, screen, "#setting-algorithm", "grid")
        await _set(pilot, screen, "#setting-study", "tui-grid")
        assert "grid: 2 points" in str(screen.query_one("#settings-error", Static).render())
        await pilot.press("ctrl+r")
        table = screen.query_one(TrialTable)
        await wait_for(pilot, lambda: not screen.running and table.row_count == 2
                       and screen.snapshot is not None and screen.snapshot.count("COMPLETE") == 2,
                       timeout=600, what="the two grid trials to complete (a worker process loads TensorFlow first)")
        snap = snapshot(store, "tui-grid")
        assert [t.state for t in snap.trials] == ["COMPLETE", "COMPLETE"]
        assert "completed" in str(table.get_cell("0", "state")) and str(table.get_cell("1", "epochs")) == "1/1"
        assert len(screen.query_one(BestSoFarChart).points) == 2
        assert {c.param for c in screen.query(ParamScatter)} == {"hidden_units", "learning_rate"}
        assert len(screen.query_one("#scatter-hidden_units", ParamScatter).points) == 2
        assert "tui-grid" in str(screen.query_one("#sweep-status", Static).render())
        best = snap.best
        assert best is not None
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.screen is app.main_screen
        form = app.main_screen.query_one(HyperparamForm)
        assert form.query_one("#field-hidden_units", Input).value == str(best.params["hidden_units"])
        assert form.config is not None and form.config.hidden_units == best.params["hidden_units"]


async def test_watch_a_sweep_that_ran_elsewhere_on_the_store(store, wait_for) -> None:
    space = space_from_data({"space": {"hidden_units": [8, 16]},
                             "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 1}})
    create_sweep(store, "elsewhere", space, SweepSettings(algorithm="grid"))
    SweepWorker(store, "elsewhere").run()
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        watch = screen.query_one("#watch", Select)
        await wait_for(pilot, lambda: any(str(v) == "elsewhere" for _, v in watch._options), what="the study list")
        watch.value = "elsewhere"
        table = screen.query_one(TrialTable)
        await wait_for(pilot, lambda: table.row_count == 2, timeout=300, what="the watched trials")
        assert table.params == ("hidden_units",)
        editor = screen.query_one(SpaceEditor)
        assert editor.query_one("#values-hidden_units", Input).value == "8, 16"
        assert "elsewhere" in str(screen.query_one("#sweep-status", Static).render())
        assert not screen.query_one("#use-best", Button).disabled


async def test_a_stopped_sweep_reads_not_run_and_resumes_from_the_screen(store, wait_for) -> None:
    from hptune.core.sweeps import TrialEnded, request_stop

    space = space_from_data({"space": {"hidden_units": [8, 16, 24]},
                             "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 1}})
    create_sweep(store, "halted", space, SweepSettings(algorithm="grid"))
    worker = SweepWorker(store, "halted")
    worker.on_trial = lambda event: request_stop(store, "halted") if isinstance(event, TrialEnded) else None
    worker.run()  # one trial, then the stop request ends it
    assert [t.status for t in snapshot(store, "halted").trials] == ["completed", "not run", "not run"]

    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        resume = screen.query_one("#resume", Button)
        assert resume.disabled  # nothing watched yet
        watch = screen.query_one("#watch", Select)
        await wait_for(pilot, lambda: any(str(v) == "halted" for _, v in watch._options), what="the study list")
        watch.value = "halted"
        table = screen.query_one(TrialTable)
        await wait_for(pilot, lambda: table.row_count == 3, timeout=300, what="the watched trials")
        status = str(screen.query_one("#sweep-status", Static).render())
        assert "stopped · 1 complete, 2 not run" in status and "ctrl+u resumes it" in status, status
        assert "queued" not in status and "not run" in str(table.get_cell("2", "state"))
        assert not resume.disabled
        await pilot.press("ctrl+u")
        await wait_for(pilot, lambda: not screen.running and screen.snapshot is not None
                       and screen.snapshot.count("COMPLETE") == 3, timeout=600,
                       what="the two unrun points to complete after the resume")
        snap = snapshot(store, "halted")
        assert sorted(t.params["hidden_units"] for t in snap.trials) == [8, 16, 24] and len(snap.trials) == 3
        assert not snap.sweep.stopped and not snap.resumable
        assert resume.disabled and "resumes it" not in str(screen.query_one("#sweep-status", Static).render())
