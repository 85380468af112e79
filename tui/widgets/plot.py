"""The base of every chart: a plotext plot that draws only finite points, with lines cropped, never wrapped."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot as PlotextFigure

__all__ = ["FinitePlotext", "Plot"]


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
