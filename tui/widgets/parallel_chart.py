"""Parallel coordinates: one axis per searched hyperparameter plus the objective, one line per finished trial,
coloured by score (a quarter of the range per colour), the best trial drawn last and named in the legend."""

from __future__ import annotations

from hptune.core.insight import ParallelCoordinates
from hptune.tui.widgets.plot import Plot

__all__ = ["ParallelChart"]

#: Worst to best quarter of the scores.
SCORE_COLOURS = ("red", "orange", "yellow", "green")
BEST_COLOUR = "cyan"


class ParallelChart(Plot):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.can_focus = False
        self.data: ParallelCoordinates | None = None
        self.border_title = "Parallel coordinates"


    def show(self, data: ParallelCoordinates | None) -> None:
        self.data = data
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.legend = []
        if data is None or not data.lines:
            plt.title("No finished trial yet: each one becomes a line here")
            self.refresh()
            return
        axes = data.axes
        xs = list(range(len(axes)))
        scores = [score for _, _, score in data.lines]
        low, high = min(scores), max(scores)

        def colour(score: float) -> str:
            rank = 0.5 if high == low else (score - low) / (high - low)
            rank = rank if data.maximize else 1 - rank
            return SCORE_COLOURS[min(len(SCORE_COLOURS) - 1, int(rank * len(SCORE_COLOURS)))]

        ordered = sorted(data.lines, key=lambda line: line[0] == data.best)  # the best last, on top
        for number, positions, score in ordered:
            points = [(x, y) for x, y in zip(xs, positions, strict=True) if y is not None]
            if len(points) < 2:
                continue
            best = number == data.best
            plt.plot([p[0] for p in points], [p[1] for p in points], marker="braille",
                     color=BEST_COLOUR if best else colour(score))
            if best:
                self.legend = [(f"best: trial {number} ({score:.4g})", BEST_COLOUR)]
        for x, axis in enumerate(axes):
            plt.vline(x, "gray")
            top = axis.tick(1.0) + (" log" if axis.kind == "log" else "")
            plt.text(top, x, 1.06, alignment="center", color="gray")
            plt.text(axis.tick(0.0), x, -0.06, alignment="center", color="gray")
        plt.xticks(xs, [a.name for a in axes])  # short labels: longer ones collide on narrow screens
        plt.yticks([])
        plt.xlim(-0.3, len(axes) - 0.7)
        plt.ylim(-0.12, 1.12)
        self.refresh()
