"""The sweep screen with Pilot: edit a space, run a real (tiny) sweep, watch one run elsewhere, use the best."""

from __future__ import annotations

from textual.widgets import Button, Input, Select, Static

from hptune.core.config import RunConfig, make_config
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
        await _set(pilot, screen, "#values-dataset", "mnist-5k")
        await _set(pilot, screen, "#values-epochs", "1")
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
        assert len(next(c for c in screen.query(ParamScatter) if c.param == "hidden_units").points) == 2
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


async def test_every_config_field_has_a_row_that_starts_from_the_sweep_defaults(store) -> None:
    """The main form holds raw pixels and 1 epoch; the sweep screen still starts from RunConfig's defaults (what
    `hptune sweep` uses), so the same space scores the same from the screen and from the command line."""
    app = make_app(store, make_config({**BASE, "normalize": False, "patience": 3, "dropout": 0.2}))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        editor = screen.query_one(SpaceEditor)
        for name in RunConfig.model_fields:
            assert editor.query_one(f"#mode-{name}", Select).value in ("fixed", "choices", "range", "log"), name
        assert editor.query_one("#values-normalize", Input).value == "true"
        assert editor.query_one("#values-patience", Input).value == "off"
        assert editor.query_one("#values-epochs", Input).value == "10"
        assert screen.space is not None and screen.space.fixed == {}  # defaults go without saying, as in a file
        assert screen.space.config({"hidden_layers": 1, "hidden_units": 32, "learning_rate": 0.01}) == RunConfig(
            hidden_layers=1, hidden_units=32, learning_rate=0.01)
        # any field can be fixed, searched over choices or (numbers) a range
        await _set(pilot, screen, "#values-normalize", "false")
        await _set(pilot, screen, "#values-patience", "2")
        await _set(pilot, screen, "#mode-train_fraction", "range")
        await _set(pilot, screen, "#values-train_fraction", "0.25, 1")
        assert screen.space is not None, screen.query_one(SpaceEditor).error
        assert screen.space.fixed == {"normalize": False, "patience": 2}
        assert "train_fraction" in screen.space.space
        # names and switches take fixed or choices, never a range
        modes = [str(v) for _, v in editor.query_one("#mode-normalize", Select)._options]
        assert modes == ["fixed", "choices"]


async def test_watching_another_sweep_leaves_nothing_of_the_previous_one(store, wait_for) -> None:
    for name, units in (("three", [8, 16, 24]), ("one", [12])):
        space = space_from_data({"space": {"hidden_units": units},
                                 "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 1}})
        create_sweep(store, name, space, SweepSettings(algorithm="grid"))
    SweepWorker(store, "three").run()
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        watch = screen.query_one("#watch", Select)
        await wait_for(pilot, lambda: len(watch._options) >= 3, what="the study list")
        watch.value = "three"
        table = screen.query_one(TrialTable)
        await wait_for(pilot, lambda: table.row_count == 3, timeout=300, what="the three trials")
        assert screen.query_one(BestSoFarChart).empty is None
        watch.value = "one"  # never ran: its one grid point queued, no best
        await wait_for(pilot, lambda: screen.snapshot is not None and screen.snapshot.sweep.name == "one",
                       what="the second sweep")
        await pilot.pause()
        assert table.row_count == len(screen.snapshot.trials) < 3
        assert not any("completed" in str(table.get_cell(key, "state")) for key in table.rows)
        assert screen.query_one(BestSoFarChart).empty == "No trial has finished yet."
        curves = screen.query_one("#best-curves")
        assert curves.title == "Best trial" and curves.empty is not None
        assert not screen.query(ParamScatter) or all(not c.points for c in screen.query(ParamScatter))


async def test_small_terminal_shows_one_pane_at_a_time(store) -> None:
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        left, right = screen.query_one("#sweep-left"), screen.query_one("#sweep-right")
        assert left.display and not right.display
        assert screen.query_one("#space").region.width >= 40  # the editor gets the width, not a sliver
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not left.display and right.display
        assert screen.query_one(TrialTable).region.height >= 12
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.query_one(BestSoFarChart).region.width >= 30
        assert not screen.query_one(TrialTable).display
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:  # a large terminal shows every pane at once
        screen = await _open(app, pilot)
        assert not screen.query_one("#sweep-panes").display
        assert screen.query_one("#sweep-left").display and screen.query_one("#sweep-right").display
        assert screen.query_one(TrialTable).display and screen.query_one(BestSoFarChart).display


async def test_switching_sweeps_quickly_leaves_one_chart_per_searched_param(store) -> None:
    """Watched sweeps drawn one after another within a moment (a read arriving as another sweep is picked): the
    score-against-parameter charts are replaced while the old ones are still on their way out; a new chart once
    took the id of one being removed and the app ended with DuplicateIds."""
    for name, space in (("units", {"hidden_units": [8, 16]}), ("rate", {"learning_rate": [0.01, 0.1]})):
        create_sweep(store, name, space_from_data({"space": space, "fixed": {"dataset": "mnist-5k", "epochs": 1}}),
                     SweepSettings(algorithm="grid"))
    units, rate = snapshot(store, "units"), snapshot(store, "rate")
    app = make_app(store, make_config(BASE))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(app, pilot)
        for snap in (units, rate, units, rate, units):
            screen._draw(snap)
        await pilot.pause()
        assert [c.param for c in screen.query(ParamScatter)] == ["hidden_units"]
    assert app._exception is None
