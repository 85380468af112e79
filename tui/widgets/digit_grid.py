"""Misclassified test digits drawn with half blocks: each cell is '▀' with the upper pixel as foreground and the
lower pixel as background, so one terminal row shows two pixel rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

__all__ = ["DigitGrid", "Digit"]

#: Images are shrunk to at most this many pixels across (28x28 MNIST becomes 14x14, 7 terminal rows).
CELL_PIXELS = 14
GAP = 2


@dataclass(frozen=True)
class Digit:
    image: np.ndarray  # (H, W) floats in [0, 1]
    true: int
    predicted: int
    index: int


def shrink(image: np.ndarray, target: int = CELL_PIXELS) -> np.ndarray:
    """Average-pool to at most `target` pixels a side, padding to an even number of rows."""
    factor = max(1, math.ceil(max(image.shape) / target))
    h, w = image.shape
    ph, pw = math.ceil(h / factor) * factor, math.ceil(w / factor) * factor
    padded = np.zeros((ph, pw), dtype=np.float32)
    padded[:h, :w] = image
    pooled = padded.reshape(ph // factor, factor, pw // factor, factor).mean(axis=(1, 3))
    if pooled.shape[0] % 2:
        pooled = np.vstack([pooled, np.zeros((1, pooled.shape[1]), dtype=np.float32)])
    return pooled


class DigitGrid(Widget):
    """A wrapping grid of digits, each captioned 'true→predicted'."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.digits: list[Digit] = []
        self._cells: list[np.ndarray] = []
        self._styles: dict[tuple[int, int], Style] = {}

    def set_digits(self, digits: Sequence[Digit]) -> None:
        self.digits = list(digits)
        self._cells = [shrink(d.image) for d in self.digits]
        self.refresh(layout=True)

    # --- geometry -----------------------------------------------------------------------------------------------
    @property
    def _cell_width(self) -> int:
        return max((c.shape[1] for c in self._cells), default=CELL_PIXELS)

    @property
    def _cell_height(self) -> int:
        return max((c.shape[0] // 2 for c in self._cells), default=CELL_PIXELS // 2) + 1  # + caption

    def _columns(self, width: int) -> int:
        return max(1, (width + GAP) // (self._cell_width + GAP))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self._cells:
            return 1
        rows = math.ceil(len(self._cells) / self._columns(width))
        return rows * (self._cell_height + 1)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    # --- drawing ------------------------------------------------------------------------------------------------
    def _style(self, top: float, bottom: float) -> Style:
        key = (int(top * 255), int(bottom * 255))
        style = self._styles.get(key)
        if style is None:
            style = Style(color=Color.from_rgb(key[0], key[0], key[0]), bgcolor=Color.from_rgb(key[1], key[1], key[1]))
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self._cells:
            return Strip.blank(width)  # the screen's note says why there are none (still loading, none stored)
        columns = self._columns(width)
        band = self._cell_height + 1
        grid_row, line = divmod(y, band)
        first = grid_row * columns
        segments: list[Segment] = []
        cw = self._cell_width
        for k in range(first, min(first + columns, len(self._cells))):
            cell = self._cells[k]
            rows = cell.shape[0] // 2
            if line < rows:
                top, bottom = cell[2 * line], cell[2 * line + 1]
                for x in range(cw):
                    if x < cell.shape[1]:
                        segments.append(Segment("▀", self._style(float(top[x]), float(bottom[x]))))
                    else:
                        segments.append(Segment(" "))
            elif line == rows:
                d = self.digits[k]
                caption = f"{d.true}→{d.predicted}".center(cw)
                segments.append(Segment(caption[:cw], Style(bold=True)))
            else:
                segments.append(Segment(" " * cw))
            segments.append(Segment(" " * GAP))
        return Strip(segments).adjust_cell_length(width)
