"""The epoch log, one line per epoch as Keras' verbose output prints it."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import RichLog

from hptune.core.events import EpochMetrics
from hptune.core.fit import wrap_parts
from hptune.core.labels import epoch_parts

__all__ = ["EpochLog"]

#: Most entries kept (an entry is an epoch or a notice).
MAX_ENTRIES = 2000


class EpochLog(RichLog):
    """Keras-style epoch lines; notices (data loading, stop, errors) are written in between.

    Nothing is cut at the right edge: an epoch wraps between its figures (`val_acc: 0.9310` stays whole) and a
    notice between its words. Entries are kept, so a resize lays them out again for the new width."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, max_lines=None, wrap=False, markup=False, highlight=False)
        self.border_title = "Epoch log"
        #: (parts, separator, style) of each entry, oldest first.
        self.entries: list[tuple[list[str], str, str]] = []
        self._laid_out_for = 0

    def epoch(self, m: EpochMetrics, epochs: int) -> None:
        self._add(epoch_parts(m, epochs), "  ", "")

    def note(self, text: str) -> None:
        self._add(text.split(" "), " ", "dim")

    def clear(self) -> EpochLog:
        self.entries = []
        return super().clear()

    @property
    def text_width(self) -> int:
        """Columns a line may take: the log's inside, less the scrollbar's gutter (reserved in the stylesheet)."""
        return self.scrollable_content_region.width

    def _add(self, parts: list[str], sep: str, style: str) -> None:
        self.entries.append((parts, sep, style))
        if len(self.entries) > MAX_ENTRIES + MAX_ENTRIES // 4:  # trimmed in steps: a relayout rewrites every line
            del self.entries[: len(self.entries) - MAX_ENTRIES]
            self._relayout()
        elif self._laid_out_for:
            self._write(parts, sep, style)

    def _write(self, parts: list[str], sep: str, style: str) -> None:
        for line in wrap_parts(parts, self.text_width, sep=sep):
            super().write(Text(line, style=style, no_wrap=True, end=""))

    def _relayout(self) -> None:
        super().clear()
        self._laid_out_for = self.text_width
        for entry in self.entries:
            self._write(*entry)

    def on_resize(self, event: events.Resize) -> None:
        if self.text_width > 0 and self.text_width != self._laid_out_for:
            self._relayout()
