"""The dropdown (tui.widgets.dropdown): Textual's Select whose list is made on first opening, with page keys that
cannot fail. Driven by keys and the mouse through Pilot."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Select, Static
from textual.widgets._select import SelectOverlay

from hptune.tui.widgets.dropdown import Dropdown
from tests.tui.conftest import screen_lines

OPTIONS = [(f"option {n}", n) for n in range(30)]


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[object] = []

    def compose(self) -> ComposeResult:
        yield Dropdown(OPTIONS, value=3, allow_blank=False, id="pick")
        yield Dropdown(OPTIONS, prompt="choose…", id="blank")
        yield Input(id="after")

    def on_select_changed(self, event: Select.Changed) -> None:
        self.changes.append((event.select.id, event.value))


def _label(dropdown: Dropdown) -> str:
    return str(dropdown.query_one("#label", Static).render())


async def test_the_list_is_made_on_first_opening_and_keys_choose_from_it() -> None:
    app = Host()
    async with app.run_test(size=(60, 30)) as pilot:
        pick = app.query_one("#pick", Dropdown)
        assert not app.query(SelectOverlay)  # nothing built until it opens
        assert _label(pick) == "option 3"
        pick.value = 5  # set in code with no list: the label follows, Changed is sent
        await pilot.pause()
        assert _label(pick) == "option 5" and ("pick", 5) in app.changes
        pick.focus()
        await pilot.press("enter")
        await pilot.pause()
        overlay = pick.query_one(SelectOverlay)
        assert pick.expanded and app.focused is overlay and overlay.highlighted == 5
        await pilot.press("pagedown", "pageup", "pagedown", "down")  # right after opening: raised KeyError once
        await pilot.pause()
        chosen = overlay.highlighted
        assert chosen is not None and chosen > 5
        await pilot.press("enter")
        await pilot.pause()
        assert pick.value == chosen and not pick.expanded and app.focused is pick
        assert _label(pick) == f"option {chosen}"
        await pilot.press("enter", "up", "enter")  # the list is there now: opened again in place
        await pilot.pause()
        assert pick.value == chosen - 1 and len(pick.query(SelectOverlay)) == 1
    assert app._exception is None


async def test_a_blank_dropdown_opens_on_its_prompt_and_by_the_mouse() -> None:
    app = Host()
    async with app.run_test(size=(60, 30)) as pilot:
        blank = app.query_one("#blank", Dropdown)
        assert blank.value is Select.NULL and _label(blank) == "choose…"
        blank.focus()
        await pilot.press("down")  # opens on the prompt's line, as Select does
        await pilot.press("down", "enter")
        await pilot.pause()
        assert blank.value == 0
        blank.clear()
        await pilot.pause()
        assert blank.value is Select.NULL and _label(blank) == "choose…"
        await pilot.click("#blank")
        await pilot.pause()
        assert blank.expanded and app.focused is blank.query_one(SelectOverlay)
        await pilot.press("escape")
        await pilot.pause()
        assert not blank.expanded and blank.value is Select.NULL
    assert app._exception is None


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_list_opened_at_the_foot_of_a_screen_leaves_the_footer_whole(store, size) -> None:
    """The sweep screen's "watch a sweep" list sits at the foot of the screen: open, with more sweeps than rows
    below it, it moves above rather than over the footer, whose keys stay readable, and shows every sweep."""
    from hptune.core.space import SweepSettings, space_from_data
    from hptune.core.sweeps import create_sweep
    from hptune.tui.app import make_app

    space = space_from_data({"space": {"hidden_units": [8, 16]}, "fixed": {"dataset": "mnist-5k", "epochs": 1}})
    names = [f"sweep-{n}" for n in range(8)]
    for name in names:
        create_sweep(store, name, space, SweepSettings(algorithm="grid"))
    app = make_app(store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        watch = app.screen.query_one("#watch", Dropdown)
        for _ in range(100):  # the store's sweeps are listed by a worker
            if len(watch._options) > len(names):
                break
            await pilot.pause(0.05)
        watch.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert watch.expanded
        lines = screen_lines(app)
        footer = lines[-1]
        assert footer.lstrip().startswith("esc") and "Quit" in footer
        shown = "\n".join(lines[:-1])
        assert all(name in shown for name in names)
