"""What keeps screen switches quick stays correct: a screen shown again keeps its styles only while nothing they
depend on changed, the footer is rebuilt only when its keys change, and what the history froze out of the cycle
collector is collected once the history closes."""

from __future__ import annotations

import gc
import sys

from textual.widgets import Tabs
from textual.widgets._footer import FooterKey

from hptune.tui.app import make_app
from hptune.tui.screens.sweep import SweepScreen
from hptune.tui.widgets.key_footer import KeyFooter
from tests.tui.conftest import history_loaded, screen_lines


def _count_builds(monkeypatch, footer: KeyFooter) -> list[int]:  # noqa: ANN001
    """A list that grows by one each time `footer` builds its keys."""
    built: list[int] = []
    original = KeyFooter.compose

    def compose(self):  # noqa: ANN001, ANN202
        if self is footer:
            built.append(1)
        yield from original(self)

    monkeypatch.setattr(KeyFooter, "compose", compose)
    return built


async def test_a_screen_shown_again_after_a_resize_takes_the_new_sizes_styles(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        sweep = app.screen
        assert isinstance(sweep, SweepScreen)
        tabs = sweep.query_one("#sweep-panes", Tabs)
        assert not tabs.display  # all panes side by side: no tabs at 120x40
        for size, tabbed in (((80, 24), True), ((120, 40), False)):  # one pane at a time under 100x32
            await pilot.press("escape")
            await pilot.pause()
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert app.screen is sweep
            assert tabs.display is tabbed
            assert not tabbed or tabs.region.width > 0


async def test_a_screen_shown_again_unchanged_is_not_restyled(store, monkeypatch) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        sweep = app.screen
        await pilot.press("escape")
        await pilot.pause()
        restyled: list[object] = []
        original = type(app.stylesheet).update_nodes

        def update_nodes(self, nodes, animate=False):  # noqa: ANN001, ANN202
            nodes = list(nodes)
            restyled.extend(nodes)
            return original(self, nodes, animate)

        monkeypatch.setattr(type(app.stylesheet), "update_nodes", update_nodes)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen is sweep
        assert not [node for node in restyled if node is sweep]  # the whole screen was not styled again


async def test_the_footer_is_rebuilt_once_per_change_of_its_keys_and_only_then(fixture_store, monkeypatch) -> None:
    app = make_app(fixture_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        main = app.screen
        footer = main.query_one(KeyFooter)
        built = _count_builds(monkeypatch, footer)

        def inspect_key() -> FooterKey:
            return next(key for key in footer.query(FooterKey) if key.action == "inspect")

        assert inspect_key().has_class("-disabled")  # no run shown yet
        for _ in range(4):  # moving between fields changes no key the footer shows
            await pilot.press("tab")
        await pilot.pause()
        assert built == []
        await pilot.press("ctrl+o")
        await history_loaded(pilot)
        await pilot.press("o")  # the run's config and results go onto the main screen
        await pilot.pause()
        assert app.screen is main
        assert built  # Inspect became available: rebuilt
        assert not inspect_key().has_class("-disabled")


async def test_the_history_is_built_once_and_reads_the_runs_again_at_each_opening(fixture_store) -> None:
    """Each opening reads the store again; the runs read are frozen out of the cycle collector's way, and those of
    the earlier reading are released all the same."""
    app = make_app(fixture_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await history_loaded(pilot)
        history = app.screen
        assert history.table.row_count == 5
        assert gc.get_freeze_count() > 0
        first = history.all_records[0]
        assert sys.getrefcount(first) > 2  # held by the history (and this test)
        await pilot.press("escape")
        await pilot.pause()
        fixture_store.delete_run(history.all_records[-1].run_id)  # the store changes while the history is closed
        await pilot.press("ctrl+o")
        await pilot.pause()
        await history_loaded(pilot)
        assert app.screen is history
        assert history.table.row_count == 4
        assert history.table.has_focus
        assert all(record is not first for record in history.all_records)
        assert sys.getrefcount(first) == 2  # only this test's name and the call's argument: frozen, yet not kept
    gc.unfreeze()


async def test_a_screen_covered_and_shown_again_keeps_its_footer(store, monkeypatch) -> None:
    """ctrl+e is off on the sweep screen (app-wide bindings answer for the screen on top): the main screen's footer,
    refreshed as the sweep screen covers it, neither loses its Sweep key nor is rebuilt there and back."""
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        built = _count_builds(monkeypatch, footer)

        for _ in range(2):
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, SweepScreen)
            await pilot.press("escape")
            await pilot.pause()
        assert built == []
        assert any(key.action in ("app.sweep", "sweep") for key in footer.query(FooterKey))


async def test_screens_built_ahead_are_shown_by_their_keys_with_fresh_contents(store) -> None:
    """The sweep and lessons screens are built off screen after start-up; their keys then show those very screens,
    at the terminal's size of the moment, with the sweeps the store holds when shown (not when built)."""
    from hptune.core.space import SweepSettings, space_from_data
    from hptune.core.sweeps import create_sweep
    from hptune.tui.widgets.space_editor import EDITABLE

    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.prebuild_screens()
        await pilot.pause()
        sweep, lessons = app.get_screen("sweep"), app.get_screen("lessons")
        assert app.screen is app.main_screen  # built, not shown
        assert len(sweep.query(".space-row")) == len(EDITABLE)
        space = space_from_data({"space": {"hidden_units": [8, 16]}, "fixed": {"dataset": "mnist-5k", "epochs": 1}})
        create_sweep(store, "made-later", space, SweepSettings(algorithm="grid"))
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen is sweep
        assert sweep.query_one("#sweep-panes", Tabs).display  # one pane at a time at 80x24
        watch = sweep.query_one("#watch")
        for _ in range(100):
            if ("made-later", "made-later") in watch._options:
                break
            await pilot.pause(0.05)
        assert ("made-later", "made-later") in watch._options
        await pilot.press("escape", "ctrl+g")
        await pilot.pause()
        assert app.screen is lessons


async def test_screens_are_built_ahead_only_once_keys_stop(store, monkeypatch) -> None:
    """Building a screen ahead waits for a pause in the keys, for the main screen to be on top and for a run's
    first epoch: a person typing, in another screen, or waiting for the first point is answered first."""
    import hptune.tui.app as app_module

    monkeypatch.setattr(app_module, "PREBUILD_QUIET", 3600.0)  # no pause is long enough until the test says so
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab")
        worker = app.run_worker(app.prebuild_screens())
        for _ in range(10):
            await pilot.pause(0.05)
        assert not app.is_screen_installed("sweep")
        monkeypatch.setattr(app_module, "PREBUILD_QUIET", 0.0)
        app.main_screen.running = True  # a run waiting for its first epoch: its first point comes first too
        for _ in range(10):
            await pilot.pause(0.05)
        assert not app.is_screen_installed("sweep")
        await pilot.press("ctrl+o")  # another screen on top: keys come there in bursts
        app.main_screen.running = False  # only once the history is on top: nothing in between lets the build start
        for _ in range(10):
            await pilot.pause(0.05)
        assert not app.is_screen_installed("sweep")
        await pilot.press("escape")
        await worker.wait()
        assert app.is_screen_installed("sweep") and app.is_screen_installed("lessons")
        assert app.screen is app.main_screen


def _sweep_rows(app) -> int:  # noqa: ANN001
    return len(app.get_screen("sweep").query(".space-row")) if app.is_screen_installed("sweep") else 0


async def _build_ahead_until_busy(app, pilot, monkeypatch) -> None:  # noqa: ANN001
    """Start the build ahead with the person busy from the moment the space editor has its first step of rows:
    return once that step is there."""
    from hptune.tui.widgets.space_editor import ROWS_PER_STEP

    monkeypatch.setattr(type(app), "_answering", lambda self: _sweep_rows(self) >= ROWS_PER_STEP)
    app.run_worker(app.prebuild_screens())
    for _ in range(200):
        if _sweep_rows(app):
            break
        await pilot.pause(0.02)


async def test_a_build_ahead_goes_a_step_at_a_time_and_a_key_finishes_it(store, monkeypatch) -> None:
    """The sweep screen built ahead mounts its space editor a few rows at a time, each step in a pause between
    keys: while the person is busy the build waits between two steps. Asked for meanwhile (ctrl+e), the screen
    is finished at once and drawn only when whole."""
    from hptune.tui.widgets.space_editor import EDITABLE, ROWS_PER_STEP, SpaceEditor

    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await _build_ahead_until_busy(app, pilot, monkeypatch)
        for _ in range(10):
            await pilot.pause(0.05)
        assert _sweep_rows(app) == ROWS_PER_STEP  # waiting between two steps
        field = app.focused
        before = field.value
        await pilot.press("end", "5")
        assert field.value == before + "5"  # and the keys are answered meanwhile
        await pilot.press("backspace")
        sweep = app.get_screen("sweep")
        assert not sweep.is_built() and app.screen is app.main_screen
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen is sweep and sweep.is_built() and _sweep_rows(app) == len(EDITABLE)
        assert app._batch_count == 0  # drawn, once whole
        editor = sweep.query_one(SpaceEditor)
        assert editor.space is not None and editor.error is None  # validated once every row was there
        last = sweep.query_one(f"#space-row-{EDITABLE[-1]}")
        assert last.region.height == 1


async def test_a_screen_left_before_its_build_ends_is_still_finished_at_once(store, monkeypatch) -> None:
    """ctrl+e then escape while the sweep screen is still being built ahead: drawing is held until it is whole, so
    its build goes on at once even though the person is busy and back on the main screen, which is drawn again."""
    import asyncio

    import hptune.tui.steps as steps
    from hptune.tui.widgets.space_editor import EDITABLE, ROWS_PER_STEP

    app = make_app(store)
    next_step = steps.next_step

    async def slow_step(widget) -> None:  # noqa: ANN001 - each step takes a while: escape lands in the build
        await next_step(widget)
        await asyncio.sleep(0.1)

    monkeypatch.setattr(steps, "next_step", slow_step)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await _build_ahead_until_busy(app, pilot, monkeypatch)
        assert _sweep_rows(app) == ROWS_PER_STEP
        await pilot.press("ctrl+e", "escape")
        assert app.screen is app.main_screen and _sweep_rows(app) < len(EDITABLE)  # left while it was still being built
        await pilot.pause()
        assert _sweep_rows(app) == len(EDITABLE) and app.get_screen("sweep").is_built()
        assert app._batch_count == 0  # drawing given back


async def test_a_screen_drawn_ahead_shows_as_one_built_when_asked_for(store, monkeypatch) -> None:
    """Built ahead, the sweep screen is laid out and drawn off screen (its widgets sized while it is hidden), and
    its first showing is the same screen as one built on its first ctrl+e."""
    import hptune.tui.app as app_module
    from hptune.tui.widgets.space_editor import EDITABLE

    monkeypatch.setattr(app_module, "PREBUILD_QUIET", 0.0)
    shown = []
    for ahead in (False, True):
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            if ahead:
                await app.prebuild_screens()
                sweep = app.get_screen("sweep")
                assert app.screen is app.main_screen
                rows = sweep.query(".space-row")
                assert len(rows) == len(EDITABLE) and rows.first().size.width > 0  # laid out while hidden
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, SweepScreen)
            shown.append(screen_lines(app))
    assert shown[0] == shown[1]
    assert any("hidden_layers" in line for line in shown[1])


def test_no_screen_brings_a_stylesheet_of_its_own() -> None:
    """Every stylesheet is loaded with the app: a screen's own CSS or CSS_PATH is read at its first showing, and
    Textual then styles every widget of every screen again (a tenth of a second or more, keys waiting)."""
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen

    import hptune.tui.screens as screens

    checked = 0
    for info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"hptune.tui.screens.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                checked += 1
                assert not cls.CSS and not cls.CSS_PATH, f"{cls.__name__} has a stylesheet of its own"
    assert checked >= 8


async def test_keys_are_answered_while_a_build_ahead_waits_for_its_turn(fixture_store, monkeypatch) -> None:
    """The build ahead is scheduled as the command line's start-up does it, and waits in a task of its own: keys
    in the history are answered meanwhile (waiting in the app's own message loop froze the app)."""
    import hptune.tui.app as app_module

    monkeypatch.setattr(app_module, "PREBUILD_AFTER", 0.01)
    app = make_app(fixture_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+o")
        await history_loaded(pilot)
        app.schedule_prebuild()
        for _ in range(5):
            await pilot.pause(0.05)
        table = app.screen.query_one("#runs")
        before = table.sort_column
        await pilot.press("s")
        await pilot.pause()
        assert table.sort_column != before  # answered while the build waits for the main screen
        assert not app.is_screen_installed("sweep")
        monkeypatch.setattr(app_module, "PREBUILD_QUIET", 0.0)
        await pilot.press("escape")
        for _ in range(200):
            if app.is_screen_installed("lessons") and app.get_screen("lessons").is_running:
                break
            await pilot.pause(0.05)
        assert app.is_screen_installed("sweep") and app.is_screen_installed("lessons")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen is app.get_screen("sweep")


async def test_a_screen_opened_the_first_time_is_drawn_only_once_it_is_whole(store, monkeypatch) -> None:
    """The sweep screen's first ctrl+e (not built ahead): drawing is held while its widgets mount, the space
    editor's rows included (as they mount, the terminal is sent nothing), then it is laid out and drawn whole.
    Pushed and drawn as it mounted, it was laid out and drawn again and again: 0.7 s while a run trained."""
    from hptune.tui.widgets.space_editor import SpaceEditor

    held: list[int] = []
    build_rows = SpaceEditor._build_rows

    async def record(self) -> None:  # noqa: ANN001
        held.append(self.app._batch_count)
        await build_rows(self)  # its rows, mounted in steps
        held.append(self.app._batch_count)

    monkeypatch.setattr(SpaceEditor, "_build_rows", record)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        assert len(held) == 2 and min(held) > 0  # drawing held while the editor and its rows mounted
        assert app._batch_count == 0  # and given back
        label = app.screen.query_one(SpaceEditor).query_one(".space-label")
        assert label.region.height == 1 and "hidden_layers" in label.render_line(0).text
