"""Real runs through the app: a short run fills the charts and results, Stop keeps the run, quitting stops it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from textual.widgets import Button, Static

from hptune.core.config import make_config
from hptune.tui.app import make_app
from hptune.tui.messages import EpochDone, Finished, Progress, Started
from hptune.tui.widgets import EpochLog, MetricChart, ResultsPanel


def _text(widget: Static) -> str:
    return str(widget.render())


@contextlib.asynccontextmanager
async def _past_first_epoch(store, wait_for) -> AsyncIterator[tuple[Any, Any, list]]:  # noqa: ANN001
    """The app training a 500-epoch run, once its first epoch has reached the screen: (app, pilot, messages seen)."""
    seen: list = []
    app = make_app(store, make_config({"dataset": "mnist-5k", "epochs": 500}))
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: any(isinstance(m, EpochDone) for m in seen), what="the first epoch")
        yield app, pilot, seen


async def test_a_short_run_fills_charts_log_and_results(wait_for, store) -> None:
    seen: list = []
    app = make_app(store, make_config({"dataset": "mnist-5k", "epochs": 2, "hidden_units": 32}))
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = app.screen
        await pilot.press("ctrl+r")
        assert screen.running
        assert screen.query_one("#train", Button).disabled and not screen.query_one("#stop", Button).disabled
        await wait_for(pilot, lambda: not screen.running, what="the run to finish")

        records = store.runs()
        assert [r.status for r in records] == ["completed"]
        record = records[0]
        assert len([m for m in seen if isinstance(m, EpochDone)]) == 2
        assert any(isinstance(m, Started) for m in seen) and any(isinstance(m, Finished) for m in seen)
        assert any(isinstance(m, Progress) for m in seen)

        acc = screen.query_one("#acc-chart", MetricChart)
        assert [s.label for s in acc.series] == ["train", "val"]
        assert list(acc.series[1].values) == [e.val_accuracy for e in record.epochs]
        loss = screen.query_one("#loss-chart", MetricChart)
        assert list(loss.series[0].values) == [e.loss for e in record.epochs]

        results = _text(screen.query_one(ResultsPanel))
        assert f"test accuracy {record.test_accuracy:.4f}" in results
        assert f"macro-F1 {record.test_macro_f1:.4f}" in results
        assert "diagnosis:" in results and record.diagnosis.line[:30] in results
        last = record.epochs[-1]
        assert f"train {last.accuracy:.3f} · val {last.val_accuracy:.3f}" in results
        assert f"gap {last.accuracy - last.val_accuracy:.3f} (variance)" in results and "(bias)" in results
        assert "device CPU" in results and "data mnist-5k" in results
        log_lines = [line.text for line in screen.query_one(EpochLog).lines]
        assert any(line.startswith("Epoch 2/2  ") for line in log_lines)
        assert not screen.query_one("#train", Button).disabled

        await pilot.press("ctrl+t")  # inspect the run just finished
        await pilot.pause()
        assert app.screen.id == "run-detail"


async def test_a_runs_first_epoch_is_drawn_as_soon_as_it_ends(wait_for, store, monkeypatch) -> None:
    """Later epochs are drawn together, at most every CHART_INTERVAL; the first is not kept waiting for that."""
    from hptune.tui.screens import main

    monkeypatch.setattr(main, "CHART_INTERVAL", 3600.0)  # only the first epoch can be drawn before the run ends
    async with _past_first_epoch(store, wait_for) as (app, pilot, seen):
        screen = app.screen
        await pilot.pause()
        assert not any(isinstance(m, Finished) for m in seen)
        log_lines = [line.text for line in screen.query_one(EpochLog).lines]
        assert any(line.startswith("Epoch 1/500  ") for line in log_lines)
        assert list(screen.query_one("#acc-chart", MetricChart).series[0].epochs)[:1] == [1]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.running, timeout=300, what="the run to stop")


async def test_stop_ends_the_run_and_keeps_it_as_stopped(wait_for, store) -> None:
    async with _past_first_epoch(store, wait_for) as (app, pilot, _):
        screen = app.screen
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.running, timeout=300, what="the run to stop")
        [record] = store.runs()
        assert record.status == "stopped"
        assert 1 <= len(record.epochs) < 500
        assert record.test_accuracy is not None
        assert "stopped" in _text(screen.query_one(ResultsPanel))


async def test_quitting_mid_run_stops_saves_and_exits(wait_for, store) -> None:
    async with _past_first_epoch(store, wait_for) as (app, pilot, _):
        worker = app.screen.training
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=300, what="the app to exit")
    assert worker.is_finished  # train() returned: no training thread keeps the process alive
    [record] = store.runs()
    assert record.status == "stopped"


async def test_resizing_while_training_and_a_tiny_terminal(wait_for, store) -> None:
    seen: list = []
    app = make_app(store, make_config({"dataset": "mnist-5k", "epochs": 3, "hidden_units": 16}))
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = app.screen
        await pilot.press("ctrl+r")
        for size in [(80, 24), (40, 12), (200, 60), (60, 16), (100, 30)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.2)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert app.has_class("-tiny")
        assert screen.query_one("#too-small").display and "too small" in _text(screen.query_one("#too-small"))
        await wait_for(pilot, lambda: not screen.running, what="the run to finish")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.has_class("-tiny") and app.has_class("-narrow")
        assert store.runs()[0].status == "completed"


async def test_a_bad_dataset_path_fails_in_a_dialog_not_a_crash(wait_for, store, tmp_path) -> None:
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip")
    app = make_app(store, make_config({"dataset": str(bad), "epochs": 1}))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not screen.running, what="the worker to fail")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ErrorDialog"
        assert "Dataset problem" in str(app.screen.query_one("#dialog-title", Static).render())
        await pilot.press("escape")
        assert app.screen is screen


async def test_the_keep_model_switch_keeps_the_network_and_the_detail_says_so(wait_for, store) -> None:
    from textual.widgets import Checkbox

    app = make_app(store, make_config({"dataset": "mnist-5k", "epochs": 1, "hidden_units": 16}))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        switch = screen.query_one("#field-keep_model", Checkbox)
        assert switch.value is False
        switch.value = True
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not screen.running, what="the run to finish")
        [record] = store.runs()
        assert record.config.keep_model and record.model_file is not None
        assert record.model_file.endswith(f"runs.journal.models/runs/{record.run_id}.keras")
        assert record.model_bytes and record.model_bytes > 0
        await pilot.press("ctrl+t")
        await pilot.pause()
        title = _text(app.screen.query_one("#detail-title", Static))
        assert f"model kept, {record.model_bytes / 1024:.1f} KiB: hptune export {record.run_id}" in title


async def test_the_progress_line_keeps_the_loss_when_the_form_is_beside_it(wait_for, store) -> None:
    from textual.widgets import Label

    async with _past_first_epoch(store, wait_for) as (app, pilot, seen):
        await wait_for(pilot, lambda: sum(isinstance(m, Progress) for m in seen) >= 2, what="progress")
        await pilot.pause(0.3)
        stats = app.screen.query_one("#progress-stats", Label)
        text = str(stats.render())
        assert "loss " in text and len(text) <= stats.content_size.width
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not app.screen.running, timeout=300, what="the run to stop")
