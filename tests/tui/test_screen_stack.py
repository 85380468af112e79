"""Which screen may cover which: nothing is pushed over the command palette or a dialog, the palette is open once at
most, a palette command acts only on the screen it was listed for, and a failed run's dialog waits its turn."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.command import CommandInput, CommandPalette
from textual.widgets import Button, Input, Static

from hptune.core.config import make_config
from hptune.tui.app import make_app
from hptune.tui.screens.confirm_dialog import ConfirmDialog
from hptune.tui.screens.error_dialog import ErrorDialog
from hptune.tui.screens.history import HistoryScreen
from hptune.tui.screens.sweep import SweepScreen
from hptune.tui.widgets import RunTable
from tests.tui.conftest import history_loaded

TINY = {"dataset": "mnist-5k", "epochs": 1, "hidden_layers": 1, "hidden_units": 8}


def _stack(app) -> list[str]:
    return [type(screen).__name__ for screen in app.screen_stack]


async def test_an_app_key_over_the_palette_closes_it_and_ctrl_p_never_opens_a_second(store) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "Palette"]
        await pilot.press("ctrl+e")  # an app-wide key while the palette is open
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "SweepScreen"]
        await pilot.press("ctrl+p", "ctrl+e", "ctrl+p")
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "SweepScreen", "Palette"]
        assert len(app.query("CommandPalette")) <= 1
        assert sum(isinstance(s, CommandPalette) for s in app.screen_stack) == 1


async def test_the_palette_counts_anywhere_in_the_stack_not_only_on_top(store) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        app.push_screen(ErrorDialog("Problem", "something"))  # as a dialog from elsewhere might be
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "Palette", "ErrorDialog"]


async def test_no_screen_opens_over_a_dialog_waiting_for_an_answer(fixture_store) -> None:
    app = make_app(fixture_store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await history_loaded(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "HistoryScreen", "ConfirmDialog"]
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "HistoryScreen", "SweepScreen"]
        await pilot.press("ctrl+e")  # already open: never in the stack twice
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "HistoryScreen", "SweepScreen"]


async def test_a_palette_command_acts_only_on_the_screen_it_was_listed_for(store) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen
        [history] = [c for c in app.get_system_commands(main) if c.title == "History"]
        [form] = [c for c in app.get_system_commands(main) if c.title == "Form"]
        await pilot.press("ctrl+e")
        await pilot.pause()
        await history.callback()  # chosen while the main screen was on top; keys moved the user on since
        await form.callback()
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "SweepScreen"]
        assert main.query_one("#form-pane").display
        await pilot.press("escape")
        await pilot.pause()
        await history.callback()
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "HistoryScreen"]


async def test_a_run_that_fails_under_the_palette_shows_its_dialog_once_the_main_screen_is_back(
    store, tmp_path: Path, wait_for
) -> None:
    missing = tmp_path / "no-idx-files-here"  # a folder passes the form; loading it fails in the run
    missing.mkdir()
    app = make_app(store, make_config({**TINY, "dataset": str(missing)}))
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        main.action_train()  # as ctrl+r just before the palette opened: the run fails while the palette is up
        await wait_for(pilot, lambda: not main.running, what="the run to fail")
        await pilot.pause()
        assert _stack(app) == ["MainScreen", "Palette"]  # the dialog did not cover the palette
        assert "Dataset problem" in str(main.query_one("#run-title", Static).render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorDialog), timeout=10, what="the deferred dialog")
        assert str(missing) in app.screen.message
        await pilot.press("escape")
        await pilot.pause()
        assert _stack(app) == ["MainScreen"]
        await pilot.press("ctrl+o", "escape")  # shown once: coming back again shows nothing more
        await pilot.pause()
        assert _stack(app) == ["MainScreen"]


async def test_the_sweep_screen_opened_over_a_failed_run_leaves_its_dialog_for_later(
    store, tmp_path: Path, wait_for
) -> None:
    (tmp_path / "nothing-here").mkdir()
    app = make_app(store, make_config({**TINY, "dataset": str(tmp_path / "nothing-here")}))
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen
        await pilot.press("ctrl+e")
        await pilot.pause()
        main.action_train()  # as ctrl+r just before ctrl+e: the run fails while the sweep screen covers the main one
        await wait_for(pilot, lambda: not main.running, what="the run to fail")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorDialog), timeout=10, what="the deferred dialog")


def _queue(widget, message_factory, times: int) -> None:
    """The same message queued on a widget several times before it handles the first: what a fast terminal's
    repeated key (enter on a button, a list or an input) leads to."""
    for _ in range(times):
        widget.post_message(message_factory())


async def test_a_second_enter_queued_in_the_palette_does_not_close_the_screen_below(store, wait_for) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p", *"form")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)  # listing the Form command
        command_input = app.screen.query_one(CommandInput)
        _queue(command_input, lambda: Input.Submitted(command_input, command_input.value), 4)
        await wait_for(pilot, lambda: not app.main_screen.query_one("#form-pane").display, timeout=20,
                       what="the Form command to run")
        await pilot.pause(0.5)  # room for a wrongly handled second enter to close a screen
        assert _stack(app) == ["MainScreen"]
        assert not app.main_screen.query_one("#form-pane").display  # the command ran, once
    assert app._exception is None


async def test_a_dialog_answered_twice_in_a_burst_closes_only_itself(fixture_store) -> None:
    app = make_app(fixture_store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ErrorDialog("Problem", "something"))
        await pilot.pause()
        ok = app.screen.query_one("#ok", Button)
        _queue(ok, lambda: Button.Pressed(ok), 2)
        await pilot.pause(0.5)
        assert _stack(app) == ["MainScreen"]
        await pilot.press("ctrl+o")
        await history_loaded(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        no = app.screen.query_one("#no", Button)
        _queue(no, lambda: Button.Pressed(no), 3)
        await pilot.pause(0.5)
        assert _stack(app) == ["MainScreen", "HistoryScreen"]
        table = app.screen.query_one(RunTable)
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        _queue(table, lambda: RunTable.RowSelected(table, table.cursor_row, row), 2)
        await pilot.pause(0.5)
        assert _stack(app) == ["MainScreen", "HistoryScreen", "RunDetailScreen"]
    assert app._exception is None


async def test_an_app_key_closing_the_palette_mid_search_stops_the_search(store) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.press("ctrl+p")
            await pilot.pause()
            palette = app.screen
            await pilot.press("s", "ctrl+e")  # the sweep key closes the palette while it searches "s"
            assert not [w for w in app.workers if w.node is palette and not w.is_finished]  # its search stopped
            await pilot.pause(0.6)  # past the palette's batch time: a search left running would write to it now
            assert _stack(app) == ["MainScreen", "SweepScreen"]
            app.pop_screen()
            await pilot.pause()
    assert app._exception is None


async def test_page_keys_in_the_palette_while_its_list_changes(store) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        for text in ("", "s", "e", "t"):
            await pilot.press("ctrl+p", *text)
            await pilot.pause(0.4)
            palette = app.screen
            for key in ("backspace", "pagedown", "pageup", "o", "pagedown", "pagedown", "pageup"):
                app._driver.send_message(events.Key(key, "o" if key == "o" else None))
            await pilot.pause(0.4)
            assert app.screen is palette
            await pilot.press("escape")
            await pilot.pause()
    assert app._exception is None


async def test_text_typed_as_an_app_key_closes_the_palette_starts_no_search(store) -> None:
    app = make_app(store, make_config(TINY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        command_input = palette.query_one(CommandInput)
        command_input.value = "his"  # its Changed message is queued; the app key is handled first
        app.action_sweep()
        await pilot.pause(0.6)
        assert _stack(app) == ["MainScreen", "SweepScreen"]
        assert not [w for w in app.workers if w.node is palette and not w.is_finished]
    assert app._exception is None

