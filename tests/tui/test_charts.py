"""Charts draw whatever values they are given: a diverged run's NaN and infinite values never reach plotext."""

from __future__ import annotations

import math

import pytest
from rich.text import Text
from textual.app import App, ComposeResult

from hptune.tui.widgets.plot import FinitePlotext, Plot
from tests.tui.conftest import count_layouts

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize("method", ["plot", "scatter"])
@pytest.mark.parametrize("ys", [[NAN], [NAN, NAN], [INF, -INF, NAN]])
def test_a_series_with_no_finite_point_is_left_out(method: str, ys: list[float]) -> None:
    figure = FinitePlotext()
    figure.plotsize(132, 12)
    figure.xscale("log")
    xs = [7850.0 * (i + 1) for i in range(len(ys))]
    assert getattr(figure, method)(xs, ys, marker="braille") is None
    getattr(figure, method)(xs, [0.5] * len(ys), marker="braille")
    assert figure.build()


def test_non_finite_points_are_dropped_and_the_rest_drawn() -> None:
    figure = FinitePlotext()
    figure.plotsize(60, 12)
    figure.plot([1, 2, 3, 4], [0.2, NAN, 0.6, INF], marker="hd")
    assert figure.build()


def test_plotexts_own_legend_is_refused() -> None:
    """plotext's legend raised IndexError for a labelled series none of whose points fell inside the canvas (a
    near-flat lesson curve at 40x12): charts name their lines in Plot.legend, under the plot."""
    with pytest.raises(ValueError, match="legend"):
        FinitePlotext().plot([1, 2], [0.1, 0.2], label="train")


class _Chart(Plot):
    def on_mount(self) -> None:
        self.plt.plot([1.0, 2.0], [NAN, NAN], marker="braille")
        self.legend = [("train", "red")]


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


def test_a_log_axis_plot_builds_the_same_every_time() -> None:
    """plotext took the logarithm of a log axis's data again at each build: a lesson chart redrawn on a resize
    raised "math domain error" on its third build."""
    figure = FinitePlotext()
    figure.plotsize(60, 12)
    figure.xscale("log")
    figure.plot([100.0, 8070.0, 89610.0], [0.4, 0.8, 0.9], marker="braille")
    figure.xticks([100.0, 8070.0], ["1x10", "2x10"])
    first = figure.build()
    assert all(figure.build() == first for _ in range(4))


class ChartHost(App[None]):
    """An accuracy chart on its own."""

    def compose(self) -> ComposeResult:
        from hptune.tui.widgets.metric_chart import MetricChart

        yield MetricChart("Accuracy", "acc", id="chart")


async def test_a_figure_drawn_from_plotexts_matrix_is_the_text_of_its_escape_codes() -> None:
    """The charts turn plotext's character matrix into rich Text themselves; what they draw must be what plotext's
    own escape-coded canvas parses to: the same characters, the same colours over the same cells, in the app's
    themes (RGB colours) as in plotext's own (colour numbers)."""
    from hptune.tui.widgets.metric_chart import MetricChart, Series

    lines = FinitePlotext()
    lines.title("Accuracy")
    lines.plot([1, 2, 3, 4, 5], [0.2, 0.5, 0.4, 0.8, 0.9], marker="braille", color=75)
    lines.plot([1, 2, 3, 4, 5], [0.1, 0.3, 0.6, 0.5, 0.7], marker="braille", color=214)
    lines.xticks([1, 3, 5])
    logs = FinitePlotext()
    logs.xscale("log")
    logs.scatter([100.0, 8070.0, 89610.0], [0.4, 0.8, 0.9], marker="dot", color=114)
    logs.xticks([100.0, 8070.0], ["1x10", "2x10"])
    bars = FinitePlotext()
    bars.bar(["lr", "units", "dropout"], [0.6, 0.3, 0.1], orientation="horizontal", color=170)

    app = ChartHost()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(MetricChart)
        chart.set_series([Series("train", [1, 2, 3], [0.5, 0.6, 0.7]), Series("val", [1, 2, 3], [0.4, 0.5, 0.5])])
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            chart.render()  # registers the app's theme with plotext and sets the chart's figure to it
            for figure, name in ((chart._plot, None), (lines, "default"), (logs, "pro"), (bars, None)):
                if figure is not chart._plot:
                    figure.plotsize(50, 14)
                    figure._set_size(50, 14)
                    figure.theme(name or chart._get_plotext_theme_name(theme))
                parsed = Text.from_ansi(figure.build())
                built = figure.build_text()
                assert built.plain == parsed.plain and "\n" in built.plain
                assert [(s.start, s.end, s.style) for s in built.spans] == [
                    (s.start, s.end, s.style) for s in parsed.spans]
                assert any(s.style for s in built.spans)  # coloured


def test_a_long_series_is_thinned_to_what_the_chart_can_show_keeping_its_extremes() -> None:
    from hptune.tui.widgets.metric_chart import thin

    xs = [float(x) for x in range(1, 3001)]
    ys = [math.sin(x / 50) + (3.0 if x == 1234 else 0.0) for x in xs]
    kept_x, kept_y = thin(xs, ys, 200)
    kept = list(zip(kept_x, kept_y, strict=True))
    assert len(kept) <= 203
    assert kept[0] == (xs[0], ys[0]) and kept[-1] == (xs[-1], ys[-1])
    assert kept_x == sorted(set(kept_x))  # still in epoch order, no point twice
    assert all(ys[int(x) - 1] == y for x, y in kept)  # each kept point is a point of the line
    assert max(kept, key=lambda p: p[1]) == (1234.0, ys[1233])  # the spike survives
    assert min(kept_y) == min(ys)
    for start in range(0, 3000, 30):  # every stretch of 30 epochs keeps its own highest and lowest point
        stretch = ys[start:start + 30]
        assert max(stretch) in kept_y and min(stretch) in kept_y
    assert thin(xs[:150], ys[:150], 200) == (xs[:150], ys[:150])  # short series are drawn whole


def test_thinning_leaves_out_the_values_it_cannot_draw() -> None:
    from hptune.tui.widgets.metric_chart import thin

    assert thin([1, 2, 3, 4], [0.5, math.nan, math.inf, 0.7], 60) == ([1.0, 4.0], [0.5, 0.7])
    assert thin([1, 2], [None, None], 60) == ([], [])
    assert thin([], [], 60) == ([], [])


class LogHost(App[None]):
    """An epoch log on its own."""

    def compose(self) -> ComposeResult:
        from hptune.tui.widgets.epoch_log import EpochLog

        yield EpochLog(id="log")


async def test_a_long_epoch_log_is_trimmed_in_steps_not_at_every_epoch() -> None:
    from hptune.core.events import EpochMetrics
    from hptune.tui.widgets.epoch_log import MAX_ENTRIES, EpochLog

    app = LogHost()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(EpochLog)
        await pilot.pause()
        layouts = 0
        relayout = log._relayout

        def counted() -> None:
            nonlocal layouts
            layouts += 1
            relayout()

        log._relayout = counted
        total = MAX_ENTRIES + 1000
        for n in range(1, total + 1):
            log.epoch(EpochMetrics(n, 0.5, 0.8, 0.6, 0.7, 0.01), total)
        assert MAX_ENTRIES <= len(log.entries) <= MAX_ENTRIES + MAX_ENTRIES // 4
        assert layouts <= 2  # a relayout rewrites every line: once per quarter of the log, not once per epoch
        assert log.entries[-1][0][0] == f"Epoch {total}/{total}"  # the newest epochs are kept


async def test_the_epoch_log_follows_the_newest_line_unless_scrolled_up() -> None:
    from hptune.core.events import EpochMetrics
    from hptune.tui.widgets.epoch_log import EpochLog

    app = LogHost()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EpochLog)
        await pilot.pause()
        for n in range(1, 101):
            log.epoch(EpochMetrics(n, 0.5, 0.8, 0.6, 0.7, 0.01), 300)
        for _ in range(100):  # the view follows once the log is laid out
            if log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y:
                break
            await pilot.pause(0.02)
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        assert "Epoch 100/300" in log.render_line(log.scrollable_content_region.height - 1).text
        log.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert log.scroll_y == 0
        for n in range(101, 121):
            log.epoch(EpochMetrics(n, 0.5, 0.8, 0.6, 0.7, 0.01), 300)
        await pilot.pause()
        assert log.scroll_y == 0 and "Epoch 1/300" in log.render_line(0).text  # left where the person put it
        await pilot.resize_terminal(60, 12)  # narrower: every epoch wraps again, whole figures on each line
        await pilot.pause()
        assert all(len(s.text.rstrip()) <= log.text_width for s in log.lines)
        assert sum("Epoch" in s.text for s in log.lines) == 120


async def test_a_new_epoch_line_does_not_lay_the_screen_out(wait_for) -> None:
    """The log's lines are wrapped to its width and its scrollbar is always there, so an epoch changes nothing
    but the log: the screen is not laid out again (with the form beside it, some 25 ms an epoch), and the
    scrollbar still measures every line."""
    from hptune.core.events import EpochMetrics
    from hptune.tui.widgets.epoch_log import EpochLog

    app = LogHost()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EpochLog)
        await pilot.pause()
        layouts = count_layouts(app.screen)
        for n in range(1, 41):
            log.epoch(EpochMetrics(n, 0.5, 0.8, 0.6, 0.7, 0.01), 40)
            await pilot.pause()
        assert len(layouts) == 0
        # The view follows after the next refresh (scroll_end is not immediate): on a busy machine, a little later.
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y, 10, "the log to follow its newest line")
        assert len(layouts) == 0
        assert log.vertical_scrollbar.window_virtual_size == len(log.lines) > log.scrollable_content_region.height
        assert log.scroll_y == log.max_scroll_y > 0
        assert "Epoch 40/40" in log.render_line(log.scrollable_content_region.height - 1).text


async def test_a_chart_is_built_again_only_when_its_figure_size_or_theme_changes(monkeypatch) -> None:
    from hptune.tui.widgets.metric_chart import MetricChart, Series

    builds: list[int] = []
    original = FinitePlotext.build_text

    def build_text(self) -> Text:  # noqa: ANN001
        builds.append(1)
        return original(self)

    monkeypatch.setattr(FinitePlotext, "build_text", build_text)

    app = ChartHost()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(MetricChart)
        chart.set_series([Series("train", [1, 2, 3], [0.5, 0.6, 0.7])])
        await pilot.pause()
        drawn = len(builds)
        first = str(chart.render())
        assert drawn >= 1 and "Accuracy" in first
        for _ in range(3):  # what Textual does when the screen is shown again or laid out: the same drawing
            chart.refresh()
            await pilot.pause()
            assert str(chart.render()) == first
        assert len(builds) == drawn
        chart.set_series([Series("train", [1, 2, 3, 4], [0.5, 0.6, 0.7, 0.9])])
        await pilot.pause()
        assert len(builds) == drawn + 1 and str(chart.render()) != first
        await pilot.resize_terminal(60, 20)
        for _ in range(100):
            if chart.size.width == 60:
                break
            await pilot.pause(0.02)
        built = len(builds)
        chart.render()
        assert len(builds) == built + 1 or built > drawn + 1  # drawn at the new width (here, or already by Textual)
        built = len(builds)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        chart.render()
        assert len(builds) == built + 1


class ProgressHost(App[None]):
    """An epoch progress line on its own, as wide as the dashboard's."""

    def compose(self) -> ComposeResult:
        from hptune.tui.widgets.epoch_progress import EpochProgress

        yield EpochProgress(id="progress")


@pytest.mark.parametrize("epochs", [10, 300, 10000])
async def test_the_epoch_label_shows_every_figure_of_a_long_run(epochs: int) -> None:
    """The label had 13 columns: "Epoch 300/300" touched the bar and "Epoch 5878/8000" showed as "Epoch" alone."""
    from textual.widgets import Label

    from hptune.core.events import BatchProgress
    from hptune.tui.widgets.epoch_progress import EpochProgress

    app = ProgressHost()
    async with app.run_test(size=(90, 3)) as pilot:
        progress = app.query_one(EpochProgress)
        label = app.query_one("#progress-epoch", Label)
        progress.reset(epochs, "starting…")
        await pilot.pause()
        progress.show(BatchProgress(epoch=epochs, step=3, steps=14, loss=0.1, samples_per_second=1000.0,
                                    eta_seconds=0.1), epochs)
        await pilot.pause()
        text = f"Epoch {epochs}/{epochs}"
        assert str(label.render()) == text
        assert label.size.width >= len(text) + 1  # the figures whole, and a space before the bar
        progress.stored(2, epochs, "stopped")
        await pilot.pause()
        assert label.size.width >= len(text) + 1


def test_progress_figures_give_up_the_speed_then_the_eta_before_the_loss() -> None:
    from hptune.tui.widgets.epoch_progress import fitting

    parts = {"step": "14/14", "eta": "ETA 0.0s", "speed": "298,692 img/s", "loss": "loss 0.0312"}
    whole = "14/14 · ETA 0.0s · 298,692 img/s · loss 0.0312"
    assert fitting(parts, 80) == whole
    assert fitting(parts, len(whole)) == whole
    assert fitting(parts, len(whole) - 1) == "14/14 · ETA 0.0s · loss 0.0312"
    assert fitting(parts, 25) == "14/14 · loss 0.0312"
    assert fitting(parts, 10) == "14/14 · l…"
    assert fitting(parts, 0) == whole  # not laid out yet: the label crops it, as before
