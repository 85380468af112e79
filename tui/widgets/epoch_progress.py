"""Progress inside the current epoch: step, ETA and throughput, updated at a bounded rate."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from hptune.core.events import BatchProgress

__all__ = ["EpochProgress", "fitting"]

#: The epoch label's least width (the stylesheet's): "Epoch 99/99" and a space.
MIN_LABEL = 13
#: What the progress figures give up first when the line is too short for all of them: the speed, then the ETA.
DROPPED_FIRST = ("speed", "eta")


def fitting(parts: dict[str, str], width: int) -> str:
    """The figures, in their order, joined by " · " within `width` columns: the speed, then the ETA left out while
    they do not fit (the step and the loss are what Keras' own line keeps), then the rest cut with an ellipsis. With
    the form beside the dashboard at 120 columns the loss fell off the end of the line."""
    shown = dict(parts)
    text = " · ".join(shown.values())
    for name in DROPPED_FIRST:
        if width <= 0 or len(text) <= width:
            break
        shown.pop(name, None)
        text = " · ".join(shown.values())
    if 0 < width < len(text):
        text = text[: max(0, width - 1)] + "…"
    return text


class EpochProgress(Horizontal):
    """A bar for the steps of one epoch with the figures Keras prints beside it."""

    def compose(self) -> ComposeResult:
        yield Label("Epoch -/-", id="progress-epoch")
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress-bar")
        yield Label("", id="progress-stats")

    def _fit(self, epochs: int) -> None:
        """Make the epoch label as wide as its longest text for a run of `epochs` ("Epoch 10000/10000") and a space,
        once a run, so that its updates lay nothing out (`show`). A fixed 13 columns put a 300-epoch run's
        "Epoch 300/300" against the bar, and a 4-digit one showed only "Epoch" (its figures wrapped onto a second
        line the one-line label does not have)."""
        label = self.query_one("#progress-epoch", Label)
        width = max(MIN_LABEL, len(f"Epoch {epochs}/{epochs}") + 1)
        if label.styles.width is None or label.styles.width.value != width:
            label.styles.width = width

    def reset(self, epochs: int, text: str = "") -> None:
        self.epochs = epochs
        self._fit(epochs)
        self.query_one("#progress-epoch", Label).update(f"Epoch -/{epochs}")
        self.query_one("#progress-bar", ProgressBar).update(total=1, progress=0)
        self.query_one("#progress-stats", Label).update(text)

    def stored(self, done: int, epochs: int, text: str) -> None:
        """A finished run read from the store: the bar shows how far it got."""
        self._fit(max(done, epochs))
        self.query_one("#progress-epoch", Label).update(f"Epoch {done}/{epochs}")
        self.query_one("#progress-bar", ProgressBar).update(total=max(1, epochs), progress=done)
        self.query_one("#progress-stats", Label).update(text)

    def show(self, event: BatchProgress, epochs: int) -> None:
        """Called up to ten times a second while training: the labels have fixed sizes, so no layout pass."""
        self.query_one("#progress-epoch", Label).update(f"Epoch {event.epoch}/{epochs}", layout=False)
        self.query_one("#progress-bar", ProgressBar).update(total=event.steps, progress=event.step)
        stats = self.query_one("#progress-stats", Label)
        stats.update(fitting({"step": f"{event.step}/{event.steps}", "eta": f"ETA {event.eta_seconds:.1f}s",
                              "speed": f"{event.samples_per_second:,.0f} img/s", "loss": f"loss {event.loss:.4f}"},
                             stats.content_size.width), layout=False)

    def note(self, text: str) -> None:
        self.query_one("#progress-stats", Label).update(text)
