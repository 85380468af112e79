"""Screens laid out once per change, not twice (textual 8.2.8).

Textual's layout of a screen hands every widget whose size changed its new virtual size through a reactive that asks
for a layout, so each layout that resizes anything is followed by a second layout of the whole screen and a second
drawing of what it moved: half of ctrl+f (showing or hiding the form resizes the whole dashboard), and of a resize.
The second pass is needed in one case only: a widget that scrolls learns in the first pass that a scrollbar now
appears or goes, which only the next pass gives room to. This mixin keeps the second pass in that case and drops it
otherwise: a widget's virtual size matters to nothing else in a layout. Layout requests made before the pass, or by
handlers that run after it (Resize), are kept. It relies on Textual's private `Screen._refresh_layout`,
`Widget._layout_required` and the compositor's `_full_map` (which also holds the scrollbars), tested against the
version named above (pinned in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

from textual.widget import Widget

__all__ = ["LayoutOnce"]


def _scrollbars(widget: Any) -> tuple[bool, bool]:
    return widget.show_horizontal_scrollbar, widget.show_vertical_scrollbar


class LayoutOnce:
    """Mixed into a Screen (before it in the bases): no second layout that only the first one's resizing asked for."""

    _compositor: Any
    walk_children: Any

    _layout_widgets: dict[Any, Any]

    def _refresh_layout(self, size: Any = None, scroll: bool = False) -> None:
        if scroll and not self._layout_widgets:  # a scroll: Textual places what came into view, asking no layout
            super()._refresh_layout(size, scroll)  # type: ignore[misc]
            return
        # The DOM, and what the compositor placed besides it (scrollbars, which are not children).
        widgets = list(dict.fromkeys([*self.walk_children(Widget), *self._compositor._full_map]))
        scrollbars = [_scrollbars(widget) for widget in widgets]
        asked = [widget._layout_required for widget in widgets]
        super()._refresh_layout(size, scroll)  # type: ignore[misc]
        if any(_scrollbars(widget) != shown for widget, shown in zip(widgets, scrollbars, strict=True)):
            return  # a scrollbar came or went: the next pass gives its widget's contents the new room
        for widget, already in zip(widgets, asked, strict=True):
            if widget._layout_required and not already:
                widget._layout_required = False
