"""Training in a child process: same events and results as train(), the caller's memory stays flat."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from hptune.core.config import ConfigError, make_config
from hptune.core.events import EpochEnded, RunFinished, RunStarted
from hptune.core.isolated import TrainingHost
from hptune.core.store import Store

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 16, "epochs": 2}


@pytest.fixture
def host():
    host = TrainingHost()
    yield host
    host.close()


def test_events_results_and_store_match_an_in_process_run(host: TrainingHost, store_path: Path) -> None:
    store = Store(str(store_path))
    events = []
    result = host.train(make_config(SMALL), on_event=events.append, record=store.recorder())
    assert result.status == "completed" and len(result.epochs) == 2 and result.test_accuracy > 0.3
    assert isinstance(events[1], RunStarted) and isinstance(events[-1], RunFinished)
    assert [e.metrics for e in events if isinstance(e, EpochEnded)] == result.epochs
    [record] = store.runs()
    assert record.status == "completed" and record.epochs == result.epochs
    again = host.train(make_config(SMALL))  # the same child serves the next run
    assert [e.loss for e in again.epochs] == [e.loss for e in result.epochs]


def test_stop_reaches_the_child(host: TrainingHost) -> None:
    stop = threading.Event()

    def on_event(event) -> None:
        if isinstance(event, EpochEnded):
            stop.set()

    result = host.train(make_config(SMALL | {"epochs": 100}), on_event=on_event, stop=stop)
    assert result.status == "stopped" and len(result.epochs) == 1


def test_bad_input_raises_as_train_does(host: TrainingHost) -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        host.train(make_config(SMALL | {"batch_size": 4000}))
    assert host.train(make_config(SMALL | {"epochs": 1})).status == "completed"


def test_a_killed_child_fails_the_run_and_keeps_its_epochs(host: TrainingHost, store_path: Path) -> None:
    store = Store(str(store_path))

    def on_event(event) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch == 2:
            os.kill(host._process.pid, signal.SIGKILL)

    config = make_config(SMALL | {"epochs": 50, "batch_size": 32, "steps_per_execution": 1})
    result = host.train(config, on_event=on_event, record=store.recorder())
    assert result.status == "failed" and "ended unexpectedly" in result.message
    assert [e.epoch for e in result.epochs][:2] == [1, 2]
    [record] = store.runs()
    assert record.status == "failed" and len(record.epochs) >= 2
    assert host.train(make_config(SMALL | {"epochs": 1})).status == "completed"  # a fresh child takes over


def test_a_warmed_child_serves_the_next_run_unchanged(host: TrainingHost) -> None:
    config = make_config(SMALL)
    assert host.warm_up(config)  # returns at once; the child imports, loads and compiles in the background
    child = host._process.pid
    result = host.train(config)
    assert host._process.pid == child  # the warmed child trained, no new one was started
    assert result.status == "completed" and [e.epoch for e in result.epochs] == [1, 2]
    again = host.train(config)  # the warm-up's unseen training left no trace on the run's weights or seeds
    assert [e.loss for e in again.epochs] == [e.loss for e in result.epochs]


def test_another_backend_gets_a_new_child(host: TrainingHost) -> None:
    first = host.train(make_config(SMALL | {"epochs": 1, "backend": "jax"}))
    child = host._process.pid
    second = host.train(make_config(SMALL | {"epochs": 1, "backend": "tensorflow", "engine": "keras"}))
    assert first.backend == "jax, compiled" and second.backend == "tensorflow, model.fit"
    assert host._process.pid != child and second.status == "completed"


def test_a_child_that_could_not_start_leaves_nothing_to_close(monkeypatch) -> None:
    """The process could not be started (out of processes, say): the host raises it, and closing it later neither
    joins nor kills a process that never ran; the next run starts a child as usual."""
    from hptune.core import isolated

    host = TrainingHost()

    def refuse(process) -> None:  # noqa: ANN001
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(isolated, "_start_lowered", refuse)
    assert host.warm_up(make_config({"dataset": "mnist-5k"})) is False
    assert host.pid is None
    host.close()  # no AssertionError from joining a process never started
    monkeypatch.undo()
    try:
        host.warm_up(make_config({"dataset": "mnist-5k"}))
        assert host.pid is not None
    finally:
        host.close()
