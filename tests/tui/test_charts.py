"""Charts draw whatever values they are given: a diverged run's NaN and infinite values never reach plotext."""

from __future__ import annotations

import math

import pytest
from textual.app import App, ComposeResult

from hptune.tui.widgets.plot import FinitePlotext, Plot

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize("method", ["plot", "scatter"])
@pytest.mark.parametrize("ys", [[NAN], [NAN, NAN], [INF, -INF, NAN]])
def test_a_labelled_series_with_no_finite_point_is_left_out(method: str, ys: list[float]) -> None:
    figure = FinitePlotext()
    figure.plotsize(132, 12)
    figure.xscale("log")
    xs = [7850.0 * (i + 1) for i in range(len(ys))]
    getattr(figure, method)(xs, ys, label="train", marker="braille")
    getattr(figure, method)(xs, [0.5] * len(ys), label="val", marker="braille")
    text = figure.build()  # plotext itself raised IndexError from its legend here
    assert "val" in text and "train" not in text


def test_non_finite_points_are_dropped_and_the_rest_drawn() -> None:
    figure = FinitePlotext()
    figure.plotsize(60, 12)
    figure.plot([1, 2, 3, 4], [0.2, NAN, 0.6, INF], label="loss", marker="hd")
    assert "loss" in figure.build()


class _Chart(Plot):
    def on_mount(self) -> None:
        self.plt.plot([1.0, 2.0], [NAN, NAN], label="train", marker="braille")


class _ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Chart()


async def test_a_chart_of_nan_values_draws_in_the_app() -> None:
    app = _ChartApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(132, 14)
        await pilot.pause()
        assert app.is_running
        assert app.query_one(_Chart).size.width > 0
