"""The epoch log, one line per epoch as Keras' verbose output prints it."""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hptune.core.events import EpochMetrics
from hptune.core.fit import wrap_parts
from hptune.core.labels import epoch_parts

__all__ = ["EpochLog"]

#: Most entries kept (an entry is an epoch or a notice).
MAX_ENTRIES = 2000


@lru_cache(maxsize=16)
def _style(name: str) -> Style:
    return Style.parse(name) if name else Style()


class EpochLog(ScrollView, can_focus=True):
    """Keras-style epoch lines; notices (data loading, stop, errors) are written in between.

    Nothing is cut at the right edge: an epoch wraps between its figures (`val_acc: 0.9310` stays whole) and a
    notice between its words. Entries are kept as text and wrapped for the log's width, and only the lines on
    screen are drawn: a resize (hiding the form widens the log) wraps them again as plain strings, which costs
    milliseconds for the longest log, where writing every line into a rich log again took a third of a second.
    The view follows the newest line while it is at the end; scrolled up, it stays where it is."""

    DEFAULT_CSS = """
    EpochLog {
        background: $surface;
        color: $foreground;
        overflow-y: scroll;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.border_title = "Epoch log"
        #: (parts, separator, style) of each entry, oldest first.
        self.entries: list[tuple[list[str], str, str]] = []
        #: The entries wrapped for `_laid_out_for` columns: (text, style) per line.
        self._lines: list[tuple[str, str]] = []
        self._laid_out_for = 0

    def epoch(self, m: EpochMetrics, epochs: int) -> None:
        self._add(epoch_parts(m, epochs), "  ", "")

    def note(self, text: str) -> None:
        self._add(text.split(" "), " ", "dim")

    def clear(self) -> EpochLog:
        self.entries = []
        self._lines = []
        self._changed(follow=True)
        return self

    @property
    def text_width(self) -> int:
        """Columns a line may take: the log's inside, less the scrollbar's gutter (reserved in the stylesheet)."""
        return self.scrollable_content_region.width

    @property
    def lines(self) -> list[Strip]:
        """The lines as laid out now, oldest first (to read the log back)."""
        return [Strip([Segment(text, _style(style))]) for text, style in self._lines]

    def _add(self, parts: list[str], sep: str, style: str) -> None:
        self.entries.append((parts, sep, style))
        follow = self.scroll_y >= self.max_scroll_y
        if len(self.entries) > MAX_ENTRIES + MAX_ENTRIES // 4:  # trimmed in steps: a relayout wraps every entry
            del self.entries[: len(self.entries) - MAX_ENTRIES]
            self._relayout()
        elif self._laid_out_for:
            self._lines.extend((line, style) for line in wrap_parts(parts, self._laid_out_for, sep=sep))
        self._changed(follow)

    def _relayout(self) -> None:
        width = self.text_width
        self._laid_out_for = width
        self._lines = [(line, style) for parts, sep, style in self.entries
                       for line in wrap_parts(parts, width, sep=sep)] if width > 0 else []

    def _changed(self, follow: bool) -> None:
        # The log's scrollbar is always there and its lines are wrapped to its width, so a new line never changes
        # the layout: setting the reactive `virtual_size` would lay the whole screen out again on every epoch
        # (some 25 ms with the form beside it). The scrollbar is told of the new length instead.
        size = Size(self._laid_out_for, len(self._lines))
        if size != self.virtual_size:
            self.set_reactive(EpochLog.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
            self.vertical_scrollbar.refresh()
        if follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if self.text_width > 0 and self.text_width != self._laid_out_for:
            follow = self.scroll_y >= self.max_scroll_y
            self._relayout()
            self._changed(follow)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        text, style = self._lines[index]
        strip = Strip([Segment(text, _style(style))])
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(self.rich_style)
