"""The history screen over the recorded fixture store: overlay, sort, reopen, inspect, delete, export."""

from __future__ import annotations

import csv
import io

from rich.console import Console
from textual.widgets import Input, Static

from hptune.core.config import make_config
from hptune.tui.app import make_app
from hptune.tui.widgets import ConfusionMatrix, DigitGrid, HyperparamForm, MetricChart, RunTable
from tests.tui.conftest import history_loaded


async def _open_history(app, pilot) -> RunTable:
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert app.screen.id == "history"
    await history_loaded(pilot)
    return app.screen.query_one(RunTable)


async def test_history_lists_every_stored_run(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _open_history(app, pilot)
        records = fixture_store.runs()
        assert table.row_count == len(records) == 5
        statuses = {str(table.get_cell(str(r.run_id), "status")) for r in records}
        assert statuses == {"completed", "stopped", "diverged"}
        assert str(table.get_cell(str(records[0].run_id), "test")) == f"{records[0].test_accuracy:.4f}"


async def test_selected_runs_are_overlaid_with_a_legend(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _open_history(app, pilot)
        records = fixture_store.runs()
        await pilot.press("space", "down", "down", "space")
        await pilot.pause()
        chosen = [records[0].run_id, records[2].run_id]
        assert table.selected == chosen
        acc = app.screen.query_one("#overlay-acc", MetricChart)
        loss = app.screen.query_one("#overlay-loss", MetricChart)
        assert [s.label.split()[0] for s in acc.series] == [f"#{i}" for i in chosen]
        assert list(acc.series[1].values) == [e.val_accuracy for e in records[2].epochs]
        assert list(loss.series[0].values) == [e.val_loss for e in records[0].epochs]
        assert "2 run(s) overlaid" in str(app.screen.query_one("#history-status", Static).render())
        await pilot.press("up", "up", "space")  # unselect the first
        await pilot.pause()
        assert [s.label.split()[0] for s in acc.series] == [f"#{chosen[1]}"]


async def test_sort_cycles_columns(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _open_history(app, pilot)
        await pilot.press("s")  # by validation accuracy, best first
        await pilot.pause()
        assert table.sort_column == "val" and table.sort_reverse
        best = max(fixture_store.runs(), key=lambda r: r.val_accuracy or 0)
        assert table.current_run_id is not None
        assert int(str(table.get_row_at(0)[1])) == best.run_id
        assert "sorted by val acc (descending)" in table.border_title


async def test_open_puts_the_config_back_into_the_form(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_history(app, pilot)
        target = fixture_store.runs()[2]  # 10x10 tanh with dropout
        await pilot.press("down", "down", "o")
        await pilot.pause()
        assert app.screen.id == "main"
        form = app.screen.query_one(HyperparamForm)
        assert form.config is not None
        assert form.config.model_dump() == target.config.model_dump()
        assert app.screen.query_one("#field-hidden_layers", Input).value == "10"
        acc = app.screen.query_one("#acc-chart", MetricChart)
        assert list(acc.series[1].values) == [e.val_accuracy for e in target.epochs]
        assert f"Run {target.run_id}" in str(app.screen.query_one("#run-title", Static).render())


async def test_a_run_opened_after_a_longer_one_shows_only_its_own_curves(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        longer, shorter = fixture_store.runs()[2], fixture_store.runs()[3]
        assert len(longer.epochs) > len(shorter.epochs) > 0
        for record in (longer, shorter):
            table = await _open_history(app, pilot)
            table.move_cursor(row=[int(str(table.get_row_at(i)[1])) for i in range(table.row_count)].index(
                record.run_id))
            await pilot.press("o")
            await pilot.pause()
            assert app.screen.id == "main"
            acc = app.screen.query_one("#acc-chart", MetricChart)
            loss = app.screen.query_one("#loss-chart", MetricChart)
            assert list(acc.series[0].epochs) == [e.epoch for e in record.epochs]
            assert list(acc.series[0].values) == [e.accuracy for e in record.epochs]
            assert list(loss.series[1].values) == [e.val_loss for e in record.epochs]


async def test_open_from_inspect_closes_both_screens_and_shows_the_run(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_history(app, pilot)
        target = fixture_store.runs()[1]
        await pilot.press("down", "i")
        await pilot.pause()
        assert app.screen.id == "run-detail"
        await pilot.press("o")
        await pilot.pause()
        assert app.screen.id == "main" and len(app.screen_stack) == 1
        assert f"Run {target.run_id}" in str(app.screen.query_one("#run-title", Static).render())
        assert app.screen.query_one(HyperparamForm).config.model_dump() == target.config.model_dump()


async def test_delete_asks_then_removes_the_run(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _open_history(app, pilot)
        first = fixture_store.runs()[0].run_id
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert table.row_count == 5
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert table.row_count == 4
        assert first not in [r.run_id for r in fixture_store.runs()]


async def test_export_writes_the_table_as_csv_and_says_where(fixture_store, tmp_path) -> None:
    out = tmp_path / "exports"
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}), export_dir=out)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_history(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        [written] = list(out.glob("hptune-runs-*.csv"))
        rows = list(csv.DictReader(written.open()))
        assert len(rows) == 5 and rows[0]["test_accuracy"]
        assert str(written.resolve()) in str(app.screen.query_one("#history-status", Static).render())


async def test_export_goes_to_the_data_folder_not_the_current_one(fixture_store, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_history(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        [written] = list((tmp_path / "data" / "hptune" / "exports").glob("hptune-runs-*.csv"))
        assert not list(tmp_path.glob("*.csv"))
        assert str(written.resolve()) in str(app.screen.query_one("#history-status", Static).render())


async def test_run_detail_shows_confusion_matrix_and_misclassified_digits(fixture_store, wait_for) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_history(app, pilot)
        record = fixture_store.runs()[0]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "run-detail"
        grid = app.screen.query_one(DigitGrid)
        await wait_for(pilot, lambda: bool(grid.digits), timeout=300, what="the test digits")
        assert [(d.index, d.true, d.predicted) for d in grid.digits] == [tuple(m) for m in record.mistakes]
        line = grid.render_line(0)
        assert "▀" in line.text
        assert any(seg.style and seg.style.bgcolor for seg in line)
        captions = grid.render_line(grid._cell_height - 1).text
        d = grid.digits[0]
        assert f"{d.true}→{d.predicted}" in captions
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one(ConfusionMatrix).table)
        rows = console.export_text().splitlines()
        assert rows[1].split() == ["0"] + [str(v) if v else "·" for v in record.confusion[0]]
        await pilot.press("escape")
        assert app.screen.id == "history"


async def test_palette_lists_the_screens_bindings(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        names = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Train", "Stop", "History", "Inspect", "Form", "Preset", "Quit"} <= names
        await _open_history(app, pilot)
        names = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Mark", "Sort", "Open", "Delete", "CSV", "Back", "Inspect"} <= names


async def test_inspect_never_says_loading_and_nothing_to_show_at_once(fixture_store, wait_for) -> None:
    from hptune.tui.screens import RunDetailScreen

    record = next(r for r in fixture_store.runs() if r.mistakes)
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(RunDetailScreen(record.run_id))
        screen = app.screen
        grid = screen.query_one(DigitGrid)
        note = str(screen.query_one("#mistakes-note", Static).render())
        assert note.startswith("loading ") and not grid.display
        await wait_for(pilot, lambda: bool(grid.digits), timeout=60, what="the test digits")
        await pilot.pause()
        assert grid.display and "shown" in str(screen.query_one("#mistakes-note", Static).render())


async def test_the_preset_picker_forgets_the_preset_once_another_config_is_loaded(fixture_store) -> None:
    from textual.widgets import Select

    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        picker = app.main_screen.query_one("#preset", Select)
        picker.value = "seed-10x10"
        await pilot.pause()
        assert app.main_screen.form.config.hidden_units == 10
        await _open_history(app, pilot)
        await pilot.press("o")  # a stored run's config into the form
        await pilot.pause()
        assert app.screen is app.main_screen
        assert picker.value is Select.NULL
        picker.value = "seed-10x10"  # choosing it again applies it again
        await pilot.pause()
        assert picker.value == "seed-10x10" and app.main_screen.form.config.hidden_units == 10


async def test_page_keys_before_the_runs_arrive_are_harmless(fixture_store) -> None:
    """The history reads its runs in the background; page keys pressed before they arrive found a table without
    columns (a storm of keys crashed the app here)."""
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        assert app.screen.id == "history"
        table = app.screen.query_one(RunTable)
        table.clear(columns=True)  # as before its runs arrive
        table.action_page_down()
        table.action_scroll_bottom()
        await pilot.press("pageup", "home", "down", "up")
        for _ in range(200):
            if table.row_count == 5:
                break
            await pilot.pause(0.05)
        assert table.row_count == 5
