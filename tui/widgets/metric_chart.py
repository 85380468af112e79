"""A plotext line chart of per-epoch metrics, redrawn only when its data changes (never per batch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hptune.tui.widgets.plot import LINE_COLORS, Plot, whole_ticks

__all__ = ["MetricChart", "Series"]


def thin(xs: Sequence[float], ys: Sequence[float], limit: int) -> tuple[list[float], list[float]]:
    """The finite points of a line (`xs[i]`, `ys[i]`), at most about `limit` of them, in order, for a chart that has
    room for no more: the points are cut into `limit // 2` runs and each run keeps its lowest and its highest point,
    so spikes and the curve's envelope stay; the first and the last point are always kept. A chart of an 8,000-epoch
    run then costs what a 100-epoch one does, and the work is NumPy's: at each redraw this runs beside the training,
    on the cores it shares. A missing value (None, NaN, infinity) is left out."""
    import numpy as np  # loaded by the app's warm-up imports long before a chart has points

    n = min(len(xs), len(ys))
    x = np.asarray(xs[:n], dtype=float)
    y = np.asarray(ys[:n], dtype=float)  # None becomes NaN
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        x, y = x[finite], y[finite]
    if len(x) > limit:
        buckets = max(1, limit // 2)
        edges = (np.arange(buckets + 1) * len(x)) // buckets
        kept = [0, len(x) - 1]
        for start, end in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            if end > start:
                run = y[start:end]
                kept += [start + int(run.argmin()), start + int(run.argmax())]
        index = np.unique(kept)  # sorted: the points stay in their order
        x, y = x[index], y[index]
    return x.tolist(), y.tolist()


@dataclass(frozen=True)
class Series:
    """One line: a label for the legend, epochs on x, values on y (non-finite values are left out)."""

    label: str
    epochs: Sequence[int]
    values: Sequence[float]


class MetricChart(Plot):
    """Accuracy or loss over epochs, for one run (train and validation) or several (an overlay with a legend).

    The x axis spans the epochs done, not the epochs planned: four epochs of a 500-epoch run fill the chart rather
    than a column at its left edge (the progress line and the epoch log give the planned total)."""

    def __init__(self, title: str, ylabel: str, *, id: str | None = None, classes: str | None = None,  # noqa: A002
                 empty: str = "No epochs to show.") -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.ylabel = ylabel
        self.series: list[Series] = []
        #: Why the chart is empty when it has no series with a finite value; owners word it for their case.
        self.empty_text = empty
        #: The epochs the x axis spans: the first to the last one done (two at least).
        self.x_range = (1, 2)
        self.can_focus = False

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()  # the tick spacing follows the width

    def set_series(self, series: Sequence[Series], empty: str | None = None) -> None:
        """Replace the lines; `empty` says why, when none of them has a value to draw."""
        self.series = list(series)
        if empty is not None:
            self.empty_text = empty
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        self.heading = self.title
        self.legend = []
        last = 1
        had_epochs = False
        for s, (color, rich_color) in zip(self.series, LINE_COLORS * 8, strict=False):
            had_epochs = had_epochs or bool(s.epochs)
            xs, ys = thin(s.epochs, s.values, max(60, 2 * self.size.width))  # braille: 2 dots a cell
            if not xs:
                continue
            plt.plot(xs, ys, marker="braille", color=color)
            self.legend.append((s.label, rich_color))
            last = max(last, *xs)
        if not self.legend:
            self.empty = ("Nothing finite to draw: the run diverged." if had_epochs
                          else self.empty_text)
        else:
            self.empty = None
            high = max(2, int(last))
            self.x_range = (1, high)
            plt.xlim(1, high)
            plt.xticks(whole_ticks(1, high, max(10, self.size.width - 8)))
        self.refresh()
