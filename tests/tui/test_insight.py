"""Insight views through Pilot: the diff screen from the history, the importance chart in a small app."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from hptune.core.config import make_config
from hptune.core.insight import diff_lines, diff_runs, param_importance
from hptune.tui.app import STYLES, make_app
from hptune.tui.widgets import MetricChart, RunTable
from hptune.tui.widgets.importance_chart import ImportanceChart
from tests.tui.conftest import history_loaded

SWEEP_JOURNAL = Path(__file__).resolve().parents[1] / "data" / "sweep.journal"


def _text(widget: Static) -> str:
    return str(widget.render())


async def test_two_marked_runs_open_the_diff_screen_with_their_curves(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await history_loaded(pilot)
        table = app.screen.query_one(RunTable)
        records = fixture_store.runs()
        await pilot.press("space", "c")  # one run marked: not enough
        await pilot.pause()
        assert app.screen.id == "history"
        assert any("Mark two runs" in n.message for n in app._notifications)
        await pilot.press("down", "down", "space", "c")
        await pilot.pause()
        assert table.selected == [records[0].run_id, records[2].run_id]
        assert app.screen.id == "diff"
        a, b = records[0].run_id, records[2].run_id
        shown = _text(app.screen.query_one("#diff-text", Static))
        for line in diff_lines(diff_runs(fixture_store, a, b)):
            assert line.rstrip() in shown
        acc = app.screen.query_one("#diff-acc", MetricChart)
        assert [s.label for s in acc.series] == [f"run {a}", f"run {b}"]
        assert list(acc.series[1].values) == [e.val_accuracy for e in records[2].epochs]
        await pilot.press("x")  # the other way round
        await pilot.pause()
        assert _text(app.screen.query_one("#diff-text", Static)).startswith(f"run {a} against run {b}")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "history"


class ChartApp(App[None]):
    CSS_PATH = [STYLES / "app.tcss", STYLES / "insight.tcss"]

    def __init__(self) -> None:
        super().__init__()
        self.computed: list[ImportanceChart.Computed] = []

    def compose(self) -> ComposeResult:
        yield ImportanceChart(id="importance")

    def on_importance_chart_computed(self, message: ImportanceChart.Computed) -> None:
        self.computed.append(message)


async def test_importance_chart_shows_the_bars_of_a_sweep(tmp_path: Path, wait_for) -> None:
    from hptune.core.store import Store

    path = tmp_path / "sweep.journal"
    shutil.copy(SWEEP_JOURNAL, path)
    store = Store(str(path))
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(ImportanceChart)
        chart.load(store, "digits-search")
        await wait_for(pilot, lambda: app.computed, 60, "the importance")
        assert app.computed[0].error is None
        assert chart.importance is not None
        assert chart.importance.importances == param_importance(store, "digits-search").importances
        caption = _text(chart.query_one(".importance-caption", Static))
        assert "fANOVA for val_accuracy" in caption and "24 finished trials" in caption
        bars = chart.query_one(".importance-bars")
        assert bars.display and bars.size.height > 3
        drawn = str(bars.render())
        assert all(name in drawn for name in chart.importance.importances)


async def test_importance_chart_says_how_many_more_trials_it_wants(tmp_path: Path, wait_for) -> None:
    import optuna

    from hptune.core.store import Store

    store = Store(str(tmp_path / "s.journal"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = store.study("young")
        trial = study.ask({"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1, log=True)})
        study.tell(trial, 0.5)
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(ImportanceChart)
        chart.load(store, "young")
        await wait_for(pilot, lambda: app.computed, 60, "the importance")
        caption = _text(chart.query_one(".importance-caption", Static))
        assert "4 more trials to go" in caption
        assert not chart.query_one(".importance-bars").display
        chart.load(store, "missing")
        await wait_for(pilot, lambda: len(app.computed) == 2, 60, "the error")
        assert "no study 'missing'" in _text(chart.query_one(".importance-caption", Static))


async def test_the_system_pane_toggles_on_the_main_screen_and_keeps_reading(store, wait_for) -> None:
    import os

    from hptune.core.sysload import nvidia_present
    from hptune.tui.widgets.system_pane import SystemPane

    app = make_app(store, make_config({"dataset": "digits"}))
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.screen.query(SystemPane)
        await pilot.press("ctrl+y")
        await pilot.pause()
        pane = app.screen.query_one(SystemPane)
        await wait_for(pilot, lambda: pane.samples >= 3, 30, "three readings")
        assert pane.sample is not None and pane.sample.pid == os.getpid()  # no run yet: the app's own process
        shown = _text(pane)
        assert "this process" in shown and "CPU" in shown and "memory" in shown
        if not nvidia_present():
            assert "no NVIDIA GPU" in shown
        assert pane.region.height >= 3 and pane.region.y + pane.region.height <= 40
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert not app.screen.query(SystemPane)


async def test_the_history_filters_by_a_typed_expression(fixture_store) -> None:
    from textual.widgets import Input

    fixture_store.set_tags(["baseline"], run_id=0)
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await history_loaded(pilot)
        table = app.screen.query_one(RunTable)
        assert table.row_count == 5
        await pilot.press("slash")
        await pilot.pause()
        field = app.screen.query_one("#filter-input", Input)
        field.value = "lr<0.01 and bogus>1"
        await pilot.press("enter")
        await pilot.pause()
        assert "unknown field 'bogus' at column 13" in _text(app.screen.query_one("#filter-error", Static))
        field.value = "lr<0.01 and val_acc>0.5 or tag:baseline"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "history"
        expected = [r.run_id for r in fixture_store.runs()
                    if r.config.learning_rate < 0.01 and (r.val_accuracy or 0) > 0.5 or r.run_id == 0]
        assert sorted(int(k.value) for k in table.rows) == expected
        assert f"{len(expected)} run(s) match" in _text(app.screen.query_one("#history-status", Static))
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#filter-input", Input).value = ""
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == 5


async def test_the_sweep_screen_opens_the_importance_of_the_watched_sweep(tmp_path: Path, wait_for) -> None:
    from hptune.core.store import Store
    from hptune.tui.screens.importance import ImportanceScreen

    path = tmp_path / "sweep.journal"
    shutil.copy(SWEEP_JOURNAL, path)
    store = Store(str(path))
    app = make_app(store, make_config({"dataset": "digits"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press("ctrl+k")  # nothing watched yet
        await pilot.pause()
        assert app.screen.id == "sweep"
        app.screen.watching = "digits-search"
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, ImportanceScreen)
        chart = app.screen.query_one(ImportanceChart)
        await wait_for(pilot, lambda: chart.importance is not None, 60, "the importance")
        assert chart.importance.evaluator == "fanova"
        from hptune.core.insight import parallel_coordinates
        from hptune.tui.widgets.parallel_chart import ParallelChart

        parallel = app.screen.query_one(ParallelChart)
        await wait_for(pilot, lambda: parallel.data is not None, 60, "the parallel coordinates")
        assert parallel.data == parallel_coordinates(store, "digits-search")
        assert len(parallel.data.lines) == 24 and f"best: trial {parallel.data.best}" in str(parallel.render())
        await pilot.press("e")  # next evaluator
        await wait_for(pilot, lambda: chart.importance.evaluator == "mean-decrease-impurity", 60, "MDI")
        assert chart.importance.importances == param_importance(store, "digits-search",
                                                                "mean-decrease-impurity").importances
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "sweep"


async def test_the_history_edits_a_runs_note_and_tags(fixture_store) -> None:
    from textual.widgets import Input

    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await history_loaded(pilot)
        table = app.screen.query_one(RunTable)
        await pilot.press("down", "n")
        await pilot.pause()
        run_id = table.current_run_id
        app.screen.query_one("#note-input", Input).value = "raw pixels, as the tutorial"
        app.screen.query_one("#tags-input", Input).value = "tutorial, baseline"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "history"
        notes = fixture_store.annotations()
        assert notes.run_notes[run_id] == "raw pixels, as the tutorial"
        assert notes.run_tags[run_id] == ["baseline", "tutorial"]
        await pilot.press("n")  # opens again with what was saved
        await pilot.pause()
        assert app.screen.query_one("#tags-input", Input).value == "baseline tutorial"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "history"
