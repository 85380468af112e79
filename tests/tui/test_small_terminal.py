"""At 80x24 every screen shows its main content without scrolling: panes take turns through a switcher; state from
an earlier run, preset or load never lingers next to the new one."""

from __future__ import annotations

from textual.widgets import Select, Static

from hptune.core.config import make_config
from hptune.tui.app import make_app
from hptune.tui.messages import EpochDone, OpenRun, UseConfig
from hptune.tui.screens import RunDetailScreen
from hptune.tui.widgets import DigitGrid, MetricChart, ResultsPanel


def _on_screen(app, widget) -> bool:
    """Shown, and wholly inside the terminal (not scrolled or pushed off it)."""
    region = widget.region
    return widget.display and region.height > 0 and region.y >= 0 and region.bottom <= app.size.height


async def test_training_at_80x24_keeps_the_curves_in_view(wait_for, store) -> None:
    seen: list = []
    app = make_app(store, make_config({"dataset": "mnist-5k", "epochs": 200, "hidden_units": 16}))
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        screen = app.main_screen
        await pilot.press("ctrl+r")
        await pilot.pause()
        acc = screen.query_one("#acc-chart", MetricChart)
        assert "first of 200 epochs" in (acc.empty or "")  # an empty chart says why
        await wait_for(pilot, lambda: len([m for m in seen if isinstance(m, EpochDone)]) >= 2, timeout=300,
                       what="two epochs")
        await pilot.pause(0.7)
        loss = screen.query_one("#loss-chart", MetricChart)
        assert _on_screen(app, acc) and _on_screen(app, loss)
        assert acc.region.width >= 30 and acc.region.height >= 8
        done = len(acc.series[0].epochs)
        assert acc.x_range == (1, max(2, done))  # the axis spans the epochs done, not the 200 planned
        assert acc.empty is None and [label for label, _ in acc.legend] == ["train", "val"]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.running, what="the run to stop")
        await pilot.pause()
        assert _on_screen(app, screen.query_one(ResultsPanel))  # the results, once it ended
        await pilot.press("ctrl+n")  # the switcher goes round: curves again
        await pilot.pause()
        assert _on_screen(app, acc) and not _on_screen(app, screen.query_one(ResultsPanel))


async def test_the_preset_label_goes_when_another_config_comes_in(fixture_store) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(80, 24)) as pilot:
        preset = app.main_screen.query_one("#preset", Select)
        for bring in (lambda: OpenRun(fixture_store.get(0)), lambda: UseConfig(make_config({}), "a config")):
            await pilot.press("ctrl+l")
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            assert preset.value == "seed-2x100"
            app.post_message(bring())
            await pilot.pause(0.3)
            assert preset.value is Select.NULL
            assert "seed" not in str(preset.query_one("SelectCurrent #label", Static).render())


async def test_run_detail_never_says_loading_and_none_at_once(fixture_store, wait_for) -> None:
    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunDetailScreen(0))
        screen = app.screen
        grid = screen.query_one(DigitGrid)
        note = screen.query_one("#mistakes-note", Static)
        assert "".join(seg.text for seg in grid.render_line(0)).strip() == ""  # only the note speaks
        await wait_for(pilot, lambda: bool(grid.digits), timeout=300, what="the digits")
        await pilot.pause()
        assert "loading" not in str(note.render()) and "shown" in str(note.render())
        # 80x24: the matrix first, the digits one switch away, each wholly on screen
        assert _on_screen(app, screen.query_one("#confusion"))
        assert not screen.query_one("#mistakes-pane").display
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        pane = screen.query_one("#mistakes-pane")
        assert not _on_screen(app, screen.query_one("#confusion"))
        assert pane.display and 0 <= pane.region.y < 6  # the digits start at the top, not below the matrix


async def test_hiding_the_form_at_80x24_sets_the_charts_side_by_side(store) -> None:
    """ctrl+f hides the form: on a narrow terminal the two charts, stacked beside the form, sit side by side with
    the width to themselves; ctrl+f again brings the form back and stacks them."""
    app = make_app(store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        acc, loss = app.screen.query_one("#acc-chart"), app.screen.query_one("#loss-chart")
        assert acc.region.x == loss.region.x and acc.region.y < loss.region.y
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert not app.screen.query_one("#form-pane").display
        assert acc.region.y == loss.region.y and acc.region.x < loss.region.x
        assert acc.region.width >= 35
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert app.screen.query_one("#form-pane").display
        assert acc.region.x == loss.region.x and acc.region.y < loss.region.y
