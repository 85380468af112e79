"""An Input for a dataset name or folder: away from the focus, a value too long for the field shortens in the
middle (`/home/me/…/fashion-mnist`) instead of showing only its end; with the focus it is edited whole."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Input

from hptune.core.fit import shorten_middle

__all__ = ["PathInput"]


class PathInput(Input):
    @property
    def _value(self) -> Text:
        room = self.scrollable_content_region.width
        if self.has_focus or not room or len(self.value) < room:
            return super()._value
        return Text(shorten_middle(self.value, room - 1), no_wrap=True, overflow="ignore", end="")

    def on_blur(self, event: events.Blur) -> None:
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()
