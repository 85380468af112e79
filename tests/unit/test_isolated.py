"""Training in a child process: same events and results as train(), the caller's memory stays flat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from hptune.core.config import ConfigError, make_config
from hptune.core.events import EpochEnded, RunFinished, RunStarted
from hptune.core.isolated import APP_GONE, TrainingHost
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


def test_the_child_records_its_run_and_the_recorder_names_it_from_the_start(
    host: TrainingHost, store_location: str, study_name: str, capfd: pytest.CaptureFixture
) -> None:
    """The process that trains writes each epoch (as `hptune run` does), quietly (its output would land on the
    TUI's screen); the caller's recorder knows the run's id by the time the run's start reaches its screen."""
    store = Store(store_location)
    recorder = store.recorder(study_name)
    named = []

    def on_event(event) -> None:
        if isinstance(event, RunStarted):
            named.append(recorder.run_id)

    result = host.train(make_config(SMALL | {"epochs": 3}), on_event=on_event, record=recorder)
    [record] = store.runs(study_name)
    assert named == [record.run_id] == [result.run_id] and record.epochs == result.epochs
    attrs = store.storage.get_trial(record.run_id).user_attrs
    assert attrs["pid"] == host.pid != os.getpid()
    assert sorted(k for k in attrs if k.startswith("epoch_")) == ["epoch_0001", "epoch_0002", "epoch_0003"]
    assert "Warning" not in capfd.readouterr().err


class CountingConnection:
    """The host's end of the pipe, counting the batches of events that reach it."""

    def __init__(self, conn) -> None:  # noqa: ANN001
        self.conn, self.batches = conn, []

    def recv(self):  # noqa: ANN201
        message = self.conn.recv()
        if message[0] == "events":
            self.batches.append(message[1])
        return message

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.conn, name)


def test_short_epochs_reach_the_caller_in_a_few_batches_in_order(host: TrainingHost, store_path: Path) -> None:
    """A recording child sends finished epochs at most every EVENT_INTERVAL, the first one at once: the app's process
    wakes a few times a second, not once an epoch, and still sees every epoch, in order, and the newest progress."""
    from hptune.core.isolated import EVENT_INTERVAL

    host.warm_up(make_config(SMALL))
    host._conn = counting = CountingConnection(host._conn)
    events = []
    started = time.monotonic()
    result = host.train(make_config(SMALL | {"epochs": 80}), on_event=events.append, record=Store(str(store_path))
                        .recorder())
    elapsed = time.monotonic() - started
    assert [e.metrics.epoch for e in events if isinstance(e, EpochEnded)] == list(range(1, 81)) == [
        e.epoch for e in result.epochs]
    with_epochs = [b for b in counting.batches if any(isinstance(e, EpochEnded) for e in b)]
    first = next(b for b in with_epochs)
    assert isinstance(first[-1], EpochEnded) and first[-1].metrics.epoch == 1  # sent as soon as it ended
    assert len(with_epochs) <= 3 + elapsed / EVENT_INTERVAL < 80, (len(with_epochs), elapsed)


def test_a_killed_caller_leaves_every_finished_epoch_and_a_finished_run(store_path: Path) -> None:
    """The app's process is killed mid-run: the training process notices, stops the run, and records it as stopped
    with every epoch it finished (its test scores too), then exits."""
    script = textwrap.dedent(f"""
        import os, signal
        from hptune.core.config import make_config
        from hptune.core.events import EpochEnded
        from hptune.core.isolated import TrainingHost
        from hptune.core.store import Store

        def on_event(event):
            if isinstance(event, EpochEnded) and event.metrics.epoch >= 3:
                print(host.pid, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)

        if __name__ == "__main__":
            host = TrainingHost()
            config = make_config({SMALL | {"epochs": 500, "batch_size": 32, "steps_per_execution": 1}!r})
            host.train(config, on_event=on_event, record=Store({str(store_path)!r}).recorder())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        [record] = Store(str(store_path)).runs()
        if record.status != "running":
            break
        time.sleep(0.2)
    assert record.status == "stopped" and record.test_accuracy is not None
    assert record.message == APP_GONE
    epochs = [e.epoch for e in record.epochs]
    assert epochs[:3] == [1, 2, 3] and epochs == list(range(1, len(epochs) + 1)) and len(epochs) < 500
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split(")")[1][:3]


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


def test_a_replaced_child_is_started_and_warmed_at_once(store_path: Path) -> None:
    """Once the child has grown past `recycle_at` (here: at its second run), its successor starts as the run ends,
    ready for the same config and store, and serves the next run."""
    host = TrainingHost(recycle_at=0.5)
    try:
        store = Store(str(store_path))
        config = make_config(SMALL | {"epochs": 1})
        host.train(config, record=store.recorder())
        first = host.pid
        host.train(config, record=store.recorder())
        successor = host.pid
        assert host.restarts == 1 and successor is not None and successor != first
        third = host.train(config, record=store.recorder())  # the successor's first run: its size to compare with
        assert third.status == "completed" and host.restarts == 1 and host.pid == successor
        assert store.storage.get_trial(third.run_id).user_attrs["pid"] == successor
        assert [r.status for r in store.runs()] == ["completed"] * 3
    finally:
        host.close()


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
