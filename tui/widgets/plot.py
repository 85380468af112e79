"""The base of every chart: a plotext plot whose lines are cropped, never wrapped, with its legend on a line of its
own below the plot (a legend inside the plot hides the curves under it) and a sentence instead of an empty frame."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

__all__ = ["Plot", "LINE_COLORS", "whole_ticks"]

#: Colours of a chart's lines, in order: a 256-colour number for plotext and the same colour for the legend, so a
#: line and its name match exactly in every terminal.
LINE_COLORS: tuple[tuple[int, str], ...] = tuple(
    (n, f"color({n})") for n in (75, 214, 114, 170, 80, 203, 227)
)


def whole_ticks(low: int, high: int, width: int) -> list[int]:
    """Whole-number ticks from low to high, spaced so their labels do not crowd a plot `width` cells wide."""
    room = max(2, width // max(4, len(str(high)) + 3))
    step = max(1, math.ceil((high - low) / room))
    return list(range(low, high + 1, step))


class Plot(PlotextPlot):
    """A chart: subclasses draw into `plt`, name their lines in `legend` and say in `empty` why nothing is drawn."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        #: (label, rich colour) of each line drawn, shown under the plot.
        self.legend: list[tuple[str, str]] = []
        #: When set, the chart shows this sentence (why it is empty) under its title instead of a plot.
        self.empty: str | None = None
        self.heading = ""

    def render(self) -> RenderResult:
        width, height = self.size.width, self.size.height
        if self.empty is not None:
            lines = [self.heading.center(width)[:width], *[""] * max(0, height // 2 - 1)]
            text = Text("\n".join(lines) + "\n", style="bold")
            text.append(self.empty.center(width), style="italic")
            text.no_wrap, text.overflow = False, "fold"
            return text
        legend = self._legend_line(width) if self.legend and height > 4 else None
        plot_height = height - (1 if legend is not None else 0)
        self.plt.plotsize(width, plot_height)
        self.plt._set_size(width, plot_height)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        text = Text.from_ansi(self.plt.build())
        if legend is not None:
            if text.plain.endswith("\n"):
                text.right_crop(1)  # plotext ends its last line with a newline: the legend takes that row
            text.append("\n")
            text.append(legend)
        text.no_wrap, text.overflow = True, "crop"  # plotext sometimes builds lines a cell wider than asked
        return text

    def _legend_line(self, width: int) -> Text:
        line = Text(justify="center")
        for label, color in self.legend:
            if line.cell_len:
                line.append("  ")
            line.append("━━ ", style=color)
            line.append(label)
        if line.cell_len > width:  # too many names: the marks alone, each colour still told apart
            line = Text(" ".join(label[:6] for label, _ in self.legend))
        line.truncate(width)
        line.align("center", width)
        return line
