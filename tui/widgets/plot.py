"""The base of every chart: a plotext plot whose lines are cropped, never wrapped."""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

__all__ = ["Plot"]


class Plot(PlotextPlot):
    """plotext sometimes builds lines a cell wider than asked; they are cropped rather than wrapped onto the next."""

    def render(self) -> RenderResult:
        text = super().render()
        if isinstance(text, Text):
            text.no_wrap, text.overflow = True, "crop"
        return text
