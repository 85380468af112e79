"""The base of every chart: a plotext plot that draws only finite points, with lines cropped, never wrapped, its
legend on a line of its own below the plot (a legend inside the plot hides the curves under it, and plotext's own
legend raised IndexError for a series none of whose points fell inside the canvas), a sentence instead of an empty
frame, and drawn the same in every process.

plotext 5.3 (pinned in pyproject.toml) drops repeated points and tick labels with `list(set(...))`
(`plotext._utility.no_duplicates`, used by `brush` for every series and for `xticks`/`yticks`). A set of tuples
holding strings iterates in an order that changes with Python's per-process hash seed, so where two points or two
tick labels share a cell, which one is drawn last, and shows, changed from one run to the next: the parallel
chart's colours and the importance chart's labels at 80x24. It is replaced here, the one place that touches
plotext's internals, by the same de-duplication keeping first-seen order (what plotext's own comment offers).
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import plotext._utility as _plotext_utility
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot as PlotextFigure

__all__ = ["FinitePlotext", "LINE_COLORS", "Plot", "finite_or", "ordered_unique", "whole_ticks"]


def ordered_unique(data: Iterable[Any]) -> list[Any]:
    """The items of `data` without repeats, in the order they first appear."""
    return list(dict.fromkeys(data))


_plotext_utility.no_duplicates = ordered_unique


def _drawable(value: Any) -> bool:
    """A point's coordinate plotext can place: any finite number, or a category label."""
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return value is not None


#: The rich style of each (foreground, style, background) of plotext's cells met so far: a chart has a handful.
_CELL_STYLES: dict[Any, Style | None] = {}


def _cell_style(colors: tuple[Any, Any, Any]) -> Style | None:
    """The style rich gives the escape codes plotext writes for a cell of these colours (parsed once per colours)."""
    try:
        return _CELL_STYLES[colors]
    except KeyError:
        pass
    except TypeError:  # an unhashable colour (a list of RGB values): parsed every time
        return _parse_cell_style(colors)
    style = _CELL_STYLES[colors] = _parse_cell_style(colors)
    return style


def _parse_cell_style(colors: tuple[Any, Any, Any]) -> Style | None:
    sample = Text.from_ansi(_plotext_utility.colors_to_ansi(*colors) + "x" + _plotext_utility.ansi_end)
    return sample.spans[0].style if sample.spans else None  # type: ignore[return-value]


def matrix_text(matrix: Any) -> Text:
    """plotext's character matrix as rich Text, each run of cells of the same colours one span: what plotext's
    escape-coded canvas (`matrix.set_canvas`) parsed back with `Text.from_ansi` gives, without writing and parsing
    the escape codes (half the cost of drawing a chart, at each redraw beside the training)."""
    text = Text()
    for row in reversed(matrix.Rows):  # plotext's row 0 is the bottom one
        markers, fore, back = matrix.marker[row], matrix.fullground[row], matrix.background[row]
        style = matrix.style[row]
        start = 0
        for col in range(1, matrix.cols + 1):
            if col == matrix.cols or fore[col] != fore[start] or style[col] != style[start] or back[col] != back[start]:
                text.append("".join(markers[start:col]), _cell_style((fore[start], style[start], back[start])))
                start = col
        text.append("\n")  # as plotext ends each row
    return text


class FinitePlotext(PlotextFigure):
    """plotext's figure, minus the points it cannot place. A labelled series whose points are all NaN or infinite
    (a diverged run, a seed that failed) made plotext's legend index past its colours and raise IndexError while the
    screen was being drawn; NaN points are dropped here, and a series left empty is not drawn at all."""

    def build(self) -> str:
        with self._state_kept():
            return super().build()

    def build_text(self) -> Text:
        """The figure as rich Text: what `Text.from_ansi(self.build())` gives, built from plotext's matrix directly."""
        with self._state_kept():
            self._set_sizes()
            self._build_matrix()
            return matrix_text(self.monitor.matrix)

    @contextlib.contextmanager
    def _state_kept(self) -> Iterator[None]:
        """plotext 5.3's build rewrites the plot's own state (a log axis's data and ticks become their logarithms in
        place), so the second build of the same plot took the log of a log and the third raised "math domain error"
        (a lesson chart drawn again on a resize). Each build here works on a copy and leaves the plot as it was."""
        kept = copy.deepcopy(self.monitor)
        try:
            yield
        finally:
            self.monitor = kept

    def plot(self, *args: Any, **kwargs: Any) -> Any:
        return self._finite(super().plot, args, kwargs)

    def scatter(self, *args: Any, **kwargs: Any) -> Any:
        return self._finite(super().scatter, args, kwargs)

    @staticmethod
    def _finite(draw: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if kwargs.get("label") is not None:
            raise ValueError("a chart names its lines in Plot.legend, drawn under the plot, not in plotext's legend")
        if len(args) == 1:
            args = (list(range(1, len(args[0]) + 1)), args[0])
        if len(args) != 2:
            return draw(*args, **kwargs)
        xs, ys = args
        points = [(x, y) for x, y in zip(xs, ys, strict=False) if _drawable(x) and _drawable(y)]
        if not points:
            return None
        return draw([x for x, _ in points], [y for _, y in points], **kwargs)


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
        self._plot = FinitePlotext()
        #: The last drawing and what it was drawn for: drawn again only when the figure, the size or the theme
        #: changed. Textual renders a widget again when its screen is shown again or laid out; building the figure
        #: (plotext's character matrix, then its ANSI text parsed back) was most of a screen switch's time.
        self._drawn: tuple[tuple[Any, ...], Text] | None = None

    @property
    def plt(self) -> PlotextFigure:  # type: ignore[override]
        """plotext's figure, to draw into: reaching for it marks the chart as changed."""
        self._drawn = None
        return self._plot

    def render(self) -> RenderResult:
        width, height = self.size.width, self.size.height
        key = (width, height, self.app.theme, self.theme, self.empty, self.heading, tuple(self.legend))
        if self._drawn is not None and self._drawn[0] == key:
            return self._drawn[1].copy()
        text = self._render_now(width, height)
        self._drawn = (key, text)
        return text.copy()

    def _render_now(self, width: int, height: int) -> Text:
        if self.empty is not None:
            lines = [self.heading.center(width)[:width], *[""] * max(0, height // 2 - 1)]
            text = Text("\n".join(lines) + "\n", style="bold")
            text.append(self.empty.center(width), style="italic")
            text.no_wrap, text.overflow = False, "fold"
            return text
        legend = self._legend_lines(width, height) if self.legend and height > 4 else []
        plot_height = height - len(legend)
        figure = self._plot
        figure.plotsize(width, plot_height)
        figure._set_size(width, plot_height)
        figure.theme(self._get_plotext_theme_name(self.app.theme))
        text = figure.build_text()
        if legend:
            if text.plain.endswith("\n"):
                text.right_crop(1)  # plotext ends its last line with a newline: the legend takes that row
            for line in legend:
                text.append("\n")
                text.append(line)
        text.no_wrap, text.overflow = True, "crop"  # plotext sometimes builds lines a cell wider than asked
        return text

    def _legend_lines(self, width: int, height: int) -> list[Text]:
        """The legend under the plot, every line's name beside its colour: on one line if it fits, else over as many
        as a third of the chart's rows (a name is never split), else each name's first word (a run's "#3", which
        tells runs apart), else that line shortened with an ellipsis."""
        def line_of(entries: list[tuple[str, str]]) -> Text:
            line = Text(justify="center")
            for label, color in entries:
                if line.cell_len:
                    line.append("  ")
                line.append("━━ ", style=color)
                line.append(label)
            return line

        whole = line_of(self.legend)
        if whole.cell_len <= width:
            return [self._centred(whole, width)]
        lines: list[list[tuple[str, str]]] = [[]]
        for entry in self.legend:
            if lines[-1] and line_of([*lines[-1], entry]).cell_len > width:
                lines.append([])
            lines[-1].append(entry)
        if len(lines) <= max(1, height // 3) and all(line_of(line).cell_len <= width for line in lines):
            return [self._centred(line_of(line), width) for line in lines]
        short = line_of([(label.split(" ", 1)[0], color) for label, color in self.legend])
        short.truncate(width, overflow="ellipsis")
        return [self._centred(short, width)]

    @staticmethod
    def _centred(line: Text, width: int) -> Text:
        line.align("center", width)
        return line


def finite_or(values: Sequence[float], default: float) -> list[float]:
    """Bar heights plotext can draw: a missing (non-finite) value becomes `default`."""
    return [v if isinstance(v, (int, float)) and math.isfinite(v) else default for v in values]
