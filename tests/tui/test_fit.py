"""Nothing cut mid-value on screen, at 80x24 and 120x40: the epoch log wraps between figures, the history's
columns and legend tell runs apart."""

from __future__ import annotations

import pytest

from hptune.core.config import make_config
from hptune.core.labels import epoch_parts
from hptune.tui.app import make_app
from hptune.tui.screens import HistoryScreen
from hptune.tui.widgets import EpochLog, RunTable
from tests.tui.conftest import history_loaded

SIZES = [(80, 24), (120, 40)]


async def _history(app, pilot) -> RunTable:  # noqa: ANN001
    """Open the history over the main screen and wait for its runs (read on a thread: no pause waits for them)."""
    await pilot.pause()
    await app.push_screen(HistoryScreen())
    await history_loaded(pilot)
    return app.screen.query_one(RunTable)


@pytest.mark.parametrize("size", SIZES)
async def test_epoch_log_shows_every_figure_whole(fixture_store, size) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k", "epochs": 8}))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        record = fixture_store.get(0)
        app.main_screen.show_record(record)
        app.main_screen.show_pane("log")  # at 80x24 the dashboard shows one pane at a time
        await pilot.pause()
        await pilot.pause()
        log = app.screen.query_one(EpochLog)
        lines = [strip.text for strip in log.lines]
        text = "\n".join(lines)
        assert all(len(line.rstrip()) <= log.text_width for line in lines)
        for m in record.epochs:
            for part in epoch_parts(m, record.config.epochs):
                assert part in text, part
        log.note("diagnosis: " + "train for more epochs " * 8)
        await pilot.pause()
        assert all(len(strip.text.rstrip()) <= log.text_width for strip in log.lines)
        assert " ".join(s.text.strip() for s in log.lines).count("train for more epochs") == 8


async def test_epoch_log_lays_out_again_on_resize(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k", "epochs": 8}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.main_screen.show_record(fixture_store.get(0))
        await pilot.pause()
        log = app.screen.query_one(EpochLog)
        wide = len(log.lines)
        await pilot.resize_terminal(80, 24)
        app.main_screen.show_pane("log")  # at 80x24 the dashboard shows one pane at a time
        await pilot.pause()
        await pilot.pause()
        assert len(log.lines) > wide  # the epochs now take two lines each
        assert all(len(s.text.rstrip()) <= log.text_width for s in log.lines)


@pytest.mark.parametrize("size", SIZES)
async def test_history_tells_raw_from_normalized(fixture_store, size) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=size) as pilot:
        table = await _history(app, pilot)
        assert "changes" in [str(c.label) for c in table.columns.values()]
        raw = [r.run_id for r in fixture_store.runs() if not r.config.normalize]
        assert raw
        for run_id in raw:
            assert str(table.get_cell(str(run_id), "changes")).startswith("raw")


@pytest.mark.parametrize("size", SIZES)
async def test_history_fits_the_terminal_with_every_value_whole(fixture_store, size) -> None:
    """The run table never scrolls sideways: optional columns give way, least needed first, and only the changes
    and the dataset shorten, with an ellipsis; every other cell is the whole value."""
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=size) as pilot:
        table = await _history(app, pilot)
        await pilot.pause()
        assert table.max_scroll_x == 0
        keys = [str(k.value) for k in table.columns]
        assert {"id", "status", "model", "lr", "val", "test", "changes"} <= set(keys)
        if size[0] >= 120:
            assert {"opt", "bs", "ep", "dataset"} <= set(keys)
        for record in fixture_store.runs():
            whole = {key: (v.plain if hasattr(v, "plain") else str(v)) for key, v in table._cells(record).items()}
            for key in keys:
                shown = str(table.get_cell(str(record.run_id), key))
                if key in ("changes", "dataset") and shown.endswith("…"):
                    assert len(shown) < len(whole[key])
                elif key == "model" and "opt" not in keys:
                    assert shown == f"{whole['model']} {whole['opt']}"
                elif key != "sel":
                    assert shown == whole[key], (key, shown, whole[key])


async def test_trial_table_cells_grow_their_columns_as_trials_finish() -> None:
    """A queued trial's cells are short ("queued", "-", ""); when it completes, its column widens, so
    "completed" and 0.2909 show whole (they were cut to "comple" and "0.290")."""
    from textual.app import App, ComposeResult

    from hptune.core.sweeps import TrialRow
    from hptune.tui.widgets.trial_table import TrialTable

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield TrialTable(id="trials")

    queued = TrialRow(0, 0, "WAITING", "queued", {"normalize": True}, None, ())
    done = TrialRow(0, 0, "COMPLETE", "completed", {"normalize": True}, 0.2909, (),
                    message="not improving after 3 epochs")
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(TrialTable)
        table.set_trials([queued], ["normalize"], 3)
        await pilot.pause()
        table.set_trials([done], ["normalize"], 3)
        await pilot.pause()
        rendered = "\n".join(table.render_line(y).text for y in range(table.size.height))
        for whole in ("completed", "0.2909", "not improving after 3 epochs"):
            assert whole in rendered, whole


def _trial_rows(params: dict) -> list:
    from hptune.core.sweeps import TrialRow

    notes = ("not improving after 3 epochs", None, "diverged at epoch 2: loss was nan", None)
    states = (("COMPLETE", "early-stopped"), ("COMPLETE", "completed"), ("FAIL", "diverged"), ("RUNNING", "running"))
    return [TrialRow(n, n, *states[n % 4], params, 0.8123 + n / 1000 if n % 4 != 2 else None, (), message=notes[n % 4])
            for n in range(8)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("many", [False, True])
async def test_trial_table_fits_its_pane_with_every_value_whole(fixture_store, size, many) -> None:
    """Many searched params never make the trial table scroll sideways: they share a column, wrap between params
    and have the note below them; each param, value and note reads whole. With one param, it keeps a column of
    its own and the note wraps between words in its own."""
    from hptune.tui.screens.sweep import SweepScreen
    from hptune.tui.widgets.trial_table import TrialTable

    params = ({"hidden_layers": 3, "hidden_units": [64, 32, 16], "activation": "tanh", "dropout": 0.25,
               "optimizer": "rmsprop", "learning_rate": 0.0012345, "momentum": 0.9, "batch_size": 128,
               "normalize": False} if many else {"learning_rate": 0.0012345})
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=size) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        if size == (80, 24):
            await pilot.press("ctrl+n")  # the trials pane
        table = app.screen.query_one(TrialTable)
        await pilot.pause()
        table.set_trials(_trial_rows(params), list(params), 10)
        await pilot.pause()
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert ("params" in table.widths) == many
        lines = [" ".join(table.render_line(y).text.split()) for y in range(table.size.height)]
        text = "\n".join(lines)
        wanted = ["0.8123", "0.8133", "0/10", "early-stopped", "lr 0.001234" if many else "0.001234"]
        if many:
            wanted += ["units 64x32x16", "act tanh", "opt rmsprop", "bs 128", "norm False"]
        for whole in wanted:
            assert whole in text, (whole, text)
        assert "…" not in text
        for trial in _trial_rows(params):
            cell = table.get_cell(str(trial.number), "params" if many else "note").plain
            assert " ".join(cell.split()).endswith(trial.message or "")
        print(text)
        await pilot.resize_terminal(*((120, 40) if size == (80, 24) else (80, 24)))
        await pilot.pause()
        await pilot.pause()
        if size == (120, 40):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert table.virtual_size.width <= table.scrollable_content_region.width


@pytest.mark.parametrize("size", SIZES)
async def test_a_long_dataset_folder_shows_its_start_and_its_end(tmp_path, fixture_store, size) -> None:
    folder = tmp_path / "home" / "someone" / "datasets" / "fashion-mnist"
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#field-dataset")
        field.value = str(folder)
        app.screen.query_one("#field-hidden_layers").focus()
        await pilot.pause()
        shown = field.render_line(0).text.strip()
        assert "…" in shown and shown.endswith("/fashion-mnist") and shown.startswith("/t")
        field.focus()
        await pilot.pause()
        assert field.value == str(folder)  # edited whole


@pytest.mark.parametrize("size", SIZES)
async def test_the_overlay_legend_names_every_run_beside_its_colour(fixture_store, size) -> None:
    from hptune.tui.widgets import MetricChart

    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=size) as pilot:
        table = await _history(app, pilot)
        chosen = [r.run_id for r in table.ordered]
        for _ in chosen:
            await pilot.press("space", "down")
        await pilot.pause()
        assert table.selected == chosen and len(chosen) >= 3
        chart = app.screen.query_one("#overlay-acc", MetricChart)
        lines = str(chart.render()).splitlines()
        legend = [line for line in lines if "━━" in line]
        drawn = [label for label, _ in chart.legend]  # a run with nothing finite to draw has no line to name
        assert len(drawn) >= 3 and sum(line.count("━━") for line in legend) == len(drawn)
        names = " ".join(legend).replace("━━", " ").split("  ")
        for label in drawn:
            number = label.split(" ", 1)[0]
            shown = [n.strip() for n in names if n.strip().split(" ", 1)[0] == number]
            assert shown and shown[0] in (label, number)  # the whole name, or the run's number: never cut
        assert all(len(line.rstrip()) <= chart.size.width for line in lines)
