"""A Select whose open list takes page keys safely.

Textual's OptionList moves a page through line positions it lays out lazily; right after the list opens (its
options just set) those positions are not there yet, and PageUp or PageDown raises a KeyError that ends the app.
The list here moves the highlight by a page of options through its public `highlighted` instead, which needs no
layout. The list is also made only when it first opens, and the closed dropdown draws one arrow, not two with one
hidden: a screen of dropdowns (the sweep screen's space editor has 20) was a third of its widgets in lists and
arrows, all built before the screen could show. Everything
else is Textual's Select: its messages, CSS and values are unchanged. SelectOverlay and SelectCurrent are not
exported by Textual, so they come from its private module, and the methods that reach the list are Select's own,
each made to wait for the list: tested with textual 8.2.8.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.widgets import Select
from textual.widgets._select import NonSelectableStatic, SelectCurrent, SelectOverlay

__all__ = ["Dropdown"]


class _PagedOverlay(SelectOverlay):
    def _page(self, direction: int) -> None:
        if not self.option_count:
            return
        page = max(1, self.scrollable_content_region.height - 1)
        current = self.highlighted if self.highlighted is not None else (0 if direction > 0 else self.option_count)
        self.highlighted = min(max(current + direction * page, 0), self.option_count - 1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)


class _Current(SelectCurrent):
    """The closed dropdown: its label and one arrow that turns (Textual's draws two and hides one)."""

    def compose(self) -> ComposeResult:
        yield NonSelectableStatic(self.placeholder, id="label")
        yield NonSelectableStatic("▼", classes="arrow")


class Dropdown(Select):  # type: ignore[type-arg]
    """Textual's Select with an open list whose page keys cannot fail, made on first opening (see the module's
    docstring). The list opens above the dropdown where there is no room below: Textual's keeps it inside the
    screen by moving it up over whatever is at the foot (the footer's keys, for the sweep screen's "watch a sweep"
    list)."""

    DEFAULT_CSS = """
    Dropdown > SelectOverlay {
        constrain: none inflect;
    }
    """

    #: Whether the list is being made (a key pressed meanwhile opens nothing more).
    _opening = False

    def compose(self) -> ComposeResult:
        yield _Current(self.prompt)

    def _overlay(self) -> SelectOverlay | None:
        try:
            return self.query_one(SelectOverlay)
        except NoMatches:
            return None

    def _setup_options_renderables(self) -> None:
        if self._overlay() is not None:  # else the options go in when the list is made
            super()._setup_options_renderables()

    async def _open(self, from_key: bool = False) -> None:
        """Make the list (once) and show it; opened by a key, as Select's action_show_overlay does."""
        if self._overlay() is None:
            if self._opening:
                return
            self._opening = True
            overlay = _PagedOverlay(type_to_search=self._type_to_search)
            overlay.compact = self.compact  # Select binds it in its compose; the list is made later here
            try:
                await self.mount(overlay)
            finally:
                self._opening = False
            super()._setup_options_renderables()
        if from_key:
            super().action_show_overlay()
        elif self.expanded:
            self._watch_expanded(True)  # what Select does on opening, now that the list is there
        else:
            self.expanded = True

    def _watch_expanded(self, expanded: bool) -> None:
        try:
            self.query_one(_Current).query_one(".arrow", NonSelectableStatic).update("▲" if expanded else "▼")
        except NoMatches:  # removed
            return
        if self._overlay() is None:
            if expanded:
                self.run_worker(self._open(), group="dropdown-open")
            return
        super()._watch_expanded(expanded)

    def _watch_value(self, value: object) -> None:
        """Select's, less the list's highlight while there is no list (it is set on opening)."""
        if self._overlay() is not None:
            super()._watch_value(value)
            return
        self._value = value
        try:
            current = self.query_one(SelectCurrent)
        except NoMatches:
            return
        if value == self.NULL:
            current.update(self.NULL)
        else:
            current.update(next((prompt for prompt, v in self._options if v == value), self.NULL))
        self.post_message(self.Changed(self, value))

    def action_show_overlay(self) -> None:
        if self._overlay() is None:
            self.run_worker(self._open(from_key=True), group="dropdown-open")
            return
        super().action_show_overlay()

    def _watch_prompt(self, prompt: str) -> None:
        if self._overlay() is not None:
            super()._watch_prompt(prompt)
        elif self.is_mounted:
            current = self.query_one(SelectCurrent)
            current.placeholder = prompt
            if self._allow_blank and self.value == self.NULL:
                current.update(self.NULL)
