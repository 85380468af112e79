"""A lesson's chart: the mean over the seeds with a min-max band, on the scale the lesson's x calls for."""

from __future__ import annotations

import math
from typing import Any

from hptune.core.repeats import Band
from hptune.tui.widgets.plot import LINE_COLORS, Plot, finite_or

__all__ = ["LessonChart"]

#: One colour per line (plotext's number, the legend's rich colour); a band is drawn in its mean's colour with a
#: lighter marker.
COLORS = LINE_COLORS


def _short(n: float) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e3 else f"{n:.0f}"


def _spaced(xs: list[float], labels: list[str], decades: float = 0.25) -> tuple[list[float], list[str]]:
    """Ticks on a log axis, with labels of points closer than `decades` joined into one (2x10 and 10x10 have
    nearly the same parameter count): overlapping labels would hide each other."""
    ticks: list[float] = []
    names: list[str] = []
    for x, label in zip(xs, labels, strict=True):
        if ticks and math.log10(max(x, 1)) - math.log10(max(ticks[-1], 1)) < decades:
            names[-1] = f"{names[-1]},{label}"
            continue
        ticks.append(x)
        names.append(label)
    return ticks, names


class LessonChart(Plot):
    """Draws a core.lessons.LessonReport: capacity and data size on a log x axis, overfitting over epochs with the
    turn marked, scaling as bars. Each line is the mean over the seeds; dotted lines above and below are the
    lowest and highest seed."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.report: Any = None
        self.empty_reason = "No lesson yet: pick one and press ctrl+r."
        self.can_focus = False

    def on_mount(self) -> None:
        self._draw()


    def show(self, report: Any, empty_reason: str | None = None) -> None:
        self.report = report
        if empty_reason:
            self.empty_reason = empty_reason
        self._draw()

    def _band(self, xs: list[float], b: Band | None, label: str, color: tuple[int, str]) -> bool:
        """Mean line plus min and max; False when there is nothing to draw."""
        if b is None or not b.mean:
            return False
        plt = self.plt
        number, rich = color
        plt.plot(xs, b.mean, color=number, marker="braille")
        self.legend.append((label, rich))
        if any(hi > lo for hi, lo in zip(b.high, b.low, strict=True)):
            plt.plot(xs, b.low, color=number, marker="dot")
            plt.plot(xs, b.high, color=number, marker="dot")
        return True

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.legend = []
        report = self.report
        if report is None or not report.runs_done:
            plt.title(self.empty_reason)
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            self.refresh()
            return
        name = report.lesson.name
        if name == "capacity":
            self._per_step(report, "parameters (log)", "accuracy", lambda s: float(s.params),
                           [("train", "train_accuracy", False), ("val", "val_accuracy", False)])
        elif name == "data-size":
            self._per_step(report, "training images (log)", "error",
                           lambda s: float(next((r.n_train for r in s.runs if r.n_train), 0) or 1),
                           [("train error", "train_accuracy", True), ("val error", "val_accuracy", True)])
        elif name == "overfit":
            self._overfit(report)
        else:
            self._scaling(report)
        self.refresh()

    def _per_step(self, report: Any, xlabel: str, ylabel: str, x_of: Any,
                  lines: list[tuple[str, str, bool]]) -> None:
        plt = self.plt
        steps = sorted((s for s in report.steps if s.runs), key=x_of)
        xs = [x_of(s) for s in steps]
        plt.title(f"{report.lesson.title} · mean of {report.lesson.repeats} seeds, dotted: min and max")
        plt.xscale("log")
        for (label, attr, as_error), color in zip(lines, COLORS, strict=False):
            spreads = [getattr(s, attr) for s in steps]
            if any(sp is None for sp in spreads):
                continue
            if as_error:
                b = Band([0] * len(xs), [1 - sp.mean for sp in spreads], [1 - sp.high for sp in spreads],
                         [1 - sp.low for sp in spreads])
            else:
                b = Band([0] * len(xs), [sp.mean for sp in spreads], [sp.low for sp in spreads],
                         [sp.high for sp in spreads])
            self._band(xs, b, label, color)
        if xs:
            labels = [s.step.key.replace("fraction-", "") for s in steps]
            if report.lesson.name == "data-size":
                labels = [_short(x) for x in xs]
            plt.xticks(*_spaced(xs, labels))
        plt.xlabel(xlabel)
        plt.ylabel(ylabel)

    def _overfit(self, report: Any) -> None:
        plt = self.plt
        plt.title("validation loss · mean of the seeds, dotted: min and max, | where it turns up")
        longest = 1
        for s, color in zip(report.steps, COLORS, strict=False):
            if not s.runs:
                continue
            b = s.curve("val_loss")
            self._band([float(e) for e in b.epochs], b, s.step.label, color)
            longest = max(longest, max(b.epochs, default=1))
            turn = report.marks.get(s.step.key)
            if turn is not None and s.step.key == "long":
                plt.vline(turn, color[0])
        plt.xlim(1, max(2, longest))
        plt.xlabel("epoch")

    def _scaling(self, report: Any) -> None:
        plt = self.plt
        plt.title("test accuracy · mean of the seeds (the table gives the spread)")
        rows = [r for r in report.rows if r.get("raw_test_accuracy") or r.get("normalized_test_accuracy")]
        if not rows:
            return
        raw = [(r.get("raw_test_accuracy") or {}).get("mean", 0.0) for r in rows]
        scaled = [(r.get("normalized_test_accuracy") or {}).get("mean", 0.0) for r in rows]
        raw, scaled = finite_or(raw, 0.0), finite_or(scaled, 0.0)
        plt.multiple_bar([r["network"] for r in rows], [raw, scaled], color=[n for n, _ in COLORS[:2]])
        self.legend = [("raw 0-255", COLORS[0][1]), ("0-1", COLORS[1][1])]
        plt.ylim(0, 1)
