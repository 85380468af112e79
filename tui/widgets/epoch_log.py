"""The epoch log, one line per epoch as Keras' verbose output prints it."""

from __future__ import annotations

from textual.widgets import RichLog

from hptune.core.events import EpochMetrics

__all__ = ["EpochLog", "epoch_line"]


def epoch_line(m: EpochMetrics, epochs: int) -> str:
    return (
        f"Epoch {m.epoch}/{epochs} - {m.seconds:.2f}s - loss {m.loss:.4f} - acc {m.accuracy:.4f}"
        f" - val_loss {m.val_loss:.4f} - val_acc {m.val_accuracy:.4f}"
    )


class EpochLog(RichLog):
    """Keras-style epoch lines; notices (data loading, stop, errors) are written in between."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, max_lines=2000, wrap=False, markup=True, highlight=False)
        self.border_title = "Epoch log"

    def epoch(self, m: EpochMetrics, epochs: int) -> None:
        self.write(epoch_line(m, epochs))

    def note(self, text: str) -> None:
        self.write(f"[dim]{text}[/]")
