"""A Select whose open list takes page keys safely.

Textual's OptionList moves a page through line positions it lays out lazily; right after the list opens (its
options just set) those positions are not there yet, and PageUp or PageDown raises a KeyError that ends the app.
The list here moves the highlight by a page of options through its public `highlighted` instead, which needs no
layout. Everything else is Textual's Select: its messages, CSS and values are unchanged. SelectOverlay and
SelectCurrent are not exported by Textual, so they come from its private module: tested with textual 8.2.8.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay

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


class Dropdown(Select):  # type: ignore[type-arg]
    """Textual's Select with an open list whose page keys cannot fail (see the module's docstring)."""

    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield _PagedOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)
