"""A plotext line chart of per-epoch metrics, redrawn only when its data changes (never per batch)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hptune.tui.widgets.plot import Plot

__all__ = ["MetricChart", "Series"]


@dataclass(frozen=True)
class Series:
    """One line: a label for the legend, epochs on x, values on y (non-finite values are left out)."""

    label: str
    epochs: Sequence[int]
    values: Sequence[float]


class MetricChart(Plot):
    """Accuracy or loss over epochs, for one run (train and validation) or several (an overlay with a legend)."""

    def __init__(self, title: str, ylabel: str, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.title = title
        self.ylabel = ylabel
        self.series: list[Series] = []
        self.max_epoch = 1
        self.can_focus = False

    def on_mount(self) -> None:
        self._draw()


    def set_series(self, series: Sequence[Series], max_epoch: int | None = None) -> None:
        """Replace the lines; `max_epoch` fixes the x range (the planned epochs) so the axis does not jump."""
        self.series = list(series)
        longest = max((max(s.epochs, default=1) for s in self.series), default=1)
        self.max_epoch = max(1, longest, max_epoch or 1)
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        drawn = 0
        for s in self.series:
            points = [(x, y) for x, y in zip(s.epochs, s.values, strict=False) if math.isfinite(y)]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            plt.plot(list(xs), list(ys), label=s.label, marker="braille")
            drawn += 1
        plt.xlim(1, max(self.max_epoch, 2))
        step = max(1, math.ceil(self.max_epoch / 8))
        plt.xticks(list(range(1, self.max_epoch + 1, step)))
        if not drawn:
            plt.ylim(0, 1)
        self.refresh()
