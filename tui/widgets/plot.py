"""The base of every chart: a plotext plot that draws only finite points, with lines cropped, never wrapped, and
drawn the same in every process.

plotext 5.3 (pinned in pyproject.toml) drops repeated points and tick labels with `list(set(...))`
(`plotext._utility.no_duplicates`, used by `brush` for every series and for `xticks`/`yticks`). A set of tuples
holding strings iterates in an order that changes with Python's per-process hash seed, so where two points or two
tick labels share a cell, which one is drawn last, and shows, changed from one run to the next: the parallel
chart's colours and the importance chart's labels at 80x24. It is replaced here, the one place that touches
plotext's internals, by the same de-duplication keeping first-seen order (what plotext's own comment offers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import plotext._utility as _plotext_utility
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot as PlotextFigure

__all__ = ["FinitePlotext", "Plot", "ordered_unique"]


def ordered_unique(data: Iterable[Any]) -> list[Any]:
    """The items of `data` without repeats, in the order they first appear."""
    return list(dict.fromkeys(data))


_plotext_utility.no_duplicates = ordered_unique


def _drawable(value: Any) -> bool:
    """A point's coordinate plotext can place: any finite number, or a category label."""
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return value is not None


class FinitePlotext(PlotextFigure):
    """plotext's figure, minus the points it cannot place. A labelled series whose points are all NaN or infinite
    (a diverged run, a seed that failed) made plotext's legend index past its colours and raise IndexError while the
    screen was being drawn; NaN points are dropped here, and a series left empty is not drawn at all."""

    def plot(self, *args: Any, **kwargs: Any) -> Any:
        return self._finite(super().plot, args, kwargs)

    def scatter(self, *args: Any, **kwargs: Any) -> Any:
        return self._finite(super().scatter, args, kwargs)

    @staticmethod
    def _finite(draw: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if len(args) == 1:
            args = (list(range(1, len(args[0]) + 1)), args[0])
        if len(args) != 2:
            return draw(*args, **kwargs)
        xs, ys = args
        points = [(x, y) for x, y in zip(xs, ys, strict=False) if _drawable(x) and _drawable(y)]
        if not points:
            return None
        return draw([x for x, _ in points], [y for _, y in points], **kwargs)


class Plot(PlotextPlot):
    """plotext sometimes builds lines a cell wider than asked; they are cropped rather than wrapped onto the next."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plot = FinitePlotext()

    def render(self) -> RenderResult:
        text = super().render()
        if isinstance(text, Text):
            text.no_wrap, text.overflow = True, "crop"
        return text


def finite_or(values: Sequence[float], default: float) -> list[float]:
    """Bar heights plotext can draw: a missing (non-finite) value becomes `default`."""
    return [v if isinstance(v, (int, float)) and math.isfinite(v) else default for v in values]
