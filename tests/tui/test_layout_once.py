"""A change that resizes a screen's widgets lays the screen out once, and what it draws is what Textual's own two
passes draw, scrollbars that come or go with the change included."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from hptune.core.events import EpochMetrics
from hptune.tui.app import make_app
from hptune.tui.screens.layout import LayoutOnce
from tests.tui.conftest import count_layouts, screen_lines


async def test_showing_or_hiding_the_form_lays_the_main_screen_out_once(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        main = app.screen
        main.epochs = [EpochMetrics(n, 1 / n, 1 - 1 / (n + 1), 1.2 / n, 1 - 1.3 / (n + 1), 0.02) for n in range(1, 301)]
        main._pending_log.extend((m, 500) for m in main.epochs[-40:])
        main._redraw_charts()
        await pilot.pause()
        layouts = count_layouts(main)
        for shown in (False, True, False, True):
            layouts.clear()
            await pilot.press("ctrl+f")
            await pilot.pause()
            await pilot.pause(0.05)
            assert main.query_one("#form-pane").display is shown
            assert len(layouts) == 1
        # The same screen as Textual's two passes give it.
        ours = screen_lines(app)
        main._refresh_layout = lambda *a, **k: Screen._refresh_layout(main, *a, **k)  # noqa: ARG005
        await pilot.press("ctrl+f")
        await pilot.pause()
        await pilot.press("ctrl+f")
        await pilot.pause()
        await pilot.pause(0.05)
        assert screen_lines(app) == ours


class Lines(Screen):
    """A header above nine lines in a scrolling pane. With the header shown the pane is too short for the lines and
    a scrollbar appears, and the lines, a cell too wide for the room the scrollbar leaves, wrap; hidden, the lines
    fit even wrapped, so the scrollbar goes and they unwrap."""

    def compose(self) -> ComposeResult:
        yield Static("header", id="header")
        with VerticalScroll(id="pane"):
            for n in range(9):
                yield Static(f"line {n:02d} ".ljust(59, "x"))

    def on_mount(self) -> None:
        self.query_one("#header").styles.height = 14
        self.query_one("#header").display = False


class LinesOnce(LayoutOnce, Lines):
    pass


class Host(App):
    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._first = screen

    def on_mount(self) -> None:
        self.push_screen(self._first)


async def _drawn_as_the_header_comes_and_goes(screen: Screen) -> tuple[list[list[str]], list[bool]]:
    app = Host(screen)
    drawn, scrollbar = [], []
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        for shown in (True, False, True, False):
            app.screen.query_one("#header").display = shown
            await pilot.pause()
            await pilot.pause(0.05)
            drawn.append(screen_lines(app))
            scrollbar.append(app.screen.query_one("#pane").show_vertical_scrollbar)
    return drawn, scrollbar


async def test_a_scrollbar_that_comes_or_goes_with_a_change_still_gets_its_room() -> None:
    ours, our_scrollbars = await _drawn_as_the_header_comes_and_goes(LinesOnce())
    textuals, their_scrollbars = await _drawn_as_the_header_comes_and_goes(Lines())
    assert our_scrollbars == their_scrollbars == [True, False, True, False]
    assert ours == textuals
    shown, hidden = ours[0], ours[1]
    first = next(i for i, line in enumerate(shown) if line.startswith("line 00"))
    assert shown[first + 1].startswith("x")  # wrapped beside the scrollbar
    assert hidden[0].startswith("line 00 xx") and hidden[1].startswith("line 01 xx")  # whole again
