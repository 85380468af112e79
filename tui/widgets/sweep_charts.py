"""The sweep's charts: the best score so far over trials, and the score against each searched hyperparameter."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hptune.core.sweeps import TrialRow
from hptune.tui.widgets.plot import LINE_COLORS, Plot, whole_ticks

__all__ = ["BestSoFarChart", "ParamScatter"]


class _Chart(Plot):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.can_focus = False
        self.empty = "No trial has finished yet."



def _done(trials: Sequence[TrialRow]) -> list[TrialRow]:
    return [t for t in trials if t.state == "COMPLETE" and t.value is not None and math.isfinite(t.value)]


class BestSoFarChart(_Chart):
    """Each finished trial's score, and the best so far as a step line."""

    def show(self, trials: Sequence[TrialRow], objective: str, maximize: bool) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.heading = f"Best {objective} so far"
        plt.title(self.heading)
        done = sorted(_done(trials), key=lambda t: t.number)
        self.points = [(t.number, t.value) for t in done]
        self.legend = []
        self.empty = None if done else "No trial has finished yet."
        if done:
            best, line = None, []
            for t in done:
                best = t.value if best is None or (t.value > best if maximize else t.value < best) else best
                line.append(best)
            xs = [t.number for t in done]
            (dots, dots_rich), (step, step_rich) = LINE_COLORS[0], LINE_COLORS[1]
            plt.scatter(xs, [t.value for t in done], marker="dot", color=dots)
            plt.plot(xs, line, marker="braille", color=step)
            self.legend = [("trial", dots_rich), ("best so far", step_rich)]
            low, high = min(xs), max(max(xs), min(xs) + 1)  # trial numbers: whole numbers on the axis
            plt.xlim(low, high)
            plt.xticks(whole_ticks(low, high, max(10, self.size.width - 8)))
            plt.xlabel("trial")
        self.refresh()


class ParamScatter(_Chart):
    """Score against one hyperparameter: a point per finished trial (log x for log ranges, names for choices)."""

    def __init__(self, param: str, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.param = param
        self.border_title = param
        self.tooltip = param
        self.points: list[tuple[float, float]] = []

    def show(self, trials: Sequence[TrialRow], objective: str, log_x: bool = False) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        values = [(t.params.get(self.param), t.value) for t in _done(trials)]
        labels: list[str] = []
        self.points = []
        for x, y in values:
            if isinstance(x, bool) or not isinstance(x, int | float):
                text = "x".join(map(str, x)) if isinstance(x, list) else str(x)
                if text not in labels:
                    labels.append(text)
                x = labels.index(text)
            self.points.append((float(x), float(y)))  # type: ignore[arg-type]
        self.empty = None if self.points else "No trial has finished yet."
        if self.points:
            plt.scatter([p[0] for p in self.points], [p[1] for p in self.points], marker="dot",
                        color=LINE_COLORS[0][0])
            xs = [p[0] for p in self.points]
            if labels:
                plt.xticks(list(range(len(labels))), labels)
            elif log_x and all(x > 0 for x in xs):
                plt.xscale("log")
            elif len(set(xs)) <= 5:  # a few choices: a tick at each, none between
                plt.xticks(sorted(set(xs)), [f"{x:g}" for x in sorted(set(xs))])
            elif all(x.is_integer() for x in xs):  # layers, units, epochs: whole numbers on the axis
                low, high = int(min(xs)), int(max(xs))
                plt.xticks(whole_ticks(low, max(high, low + 1), max(10, self.size.width - 8)))
        self.refresh()
