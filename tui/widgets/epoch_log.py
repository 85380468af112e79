"""The epoch log, one line per epoch as Keras' verbose output prints it."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import RichLog

from hptune.core.events import EpochMetrics
from hptune.core.labels import epoch_line

__all__ = ["EpochLog"]


class EpochLog(RichLog):
    """Keras-style epoch lines; notices (data loading, stop, errors) are written in between."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, max_lines=2000, wrap=False, markup=True, highlight=False)
        self.border_title = "Epoch log"

    def epoch(self, m: EpochMetrics, epochs: int) -> None:
        self.write(escape(epoch_line(m, epochs)))

    def note(self, text: str) -> None:
        self.write(f"[dim]{text}[/]")
