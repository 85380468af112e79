from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hptune.core.config import make_config
from hptune.core.events import EpochEnded
from hptune.core.store import Store, StoreError, redact
from hptune.core.trainer import train

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 16, "epochs": 2, "batch_size": 256}


def test_a_run_is_stored_with_every_epoch_and_its_results(store_path: Path) -> None:
    store = Store(str(store_path))
    recorder = store.recorder()
    result = train(make_config(SMALL), record=recorder)
    [record] = Store(str(store_path)).runs()  # a second handle reads what the first wrote
    assert record.run_id == recorder.run_id and record.status == "completed"
    assert [e.to_dict() for e in record.epochs] == [e.to_dict() for e in result.epochs]
    assert record.test_accuracy == pytest.approx(result.test_accuracy)
    assert record.run_config() == make_config(SMALL)
    assert record.dataset["name"] == "mnist-5k"
    assert record.diagnosis == result.diagnosis
    assert len(record.confusion) == 10
    assert store.get(record.run_id).epochs == record.epochs


def test_epochs_are_committed_while_training(store_path: Path) -> None:
    store = Store(str(store_path))
    recorder = store.recorder()
    seen_in_store = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnded):
            [record] = Store(str(store_path)).runs()
            seen_in_store.append((record.status, len(record.epochs)))

    train(make_config(SMALL | {"epochs": 3}), on_event=on_event, record=recorder)
    assert seen_in_store == [("running", 1), ("running", 2), ("running", 3)]


def test_stopped_run_is_kept_as_stopped(store_path: Path) -> None:
    store = Store(str(store_path))
    stop = threading.Event()
    stop.set()
    train(make_config(SMALL), stop=stop, record=store.recorder())
    # Stopped before the first step: nothing finished, but the run is still there, marked stopped.
    [record] = store.runs()
    assert record.status == "stopped" and record.epochs == []


def test_delete_and_csv(store_path: Path) -> None:
    store = Store(str(store_path))
    for seed in (1, 2):
        train(make_config(SMALL | {"seed": seed, "epochs": 1}), record=store.recorder())
    first, second = store.runs()
    csv_text = Store.to_csv([first, second])
    assert csv_text.splitlines()[0].startswith("run_id,study,status")
    assert len(csv_text.splitlines()) == 3
    store.delete_run(first.run_id)
    assert [r.run_id for r in Store(str(store_path)).runs()] == [second.run_id]


def test_redact_hides_passwords() -> None:
    assert redact("postgresql://alice:s3cret@db:5432/hp") == "postgresql://alice:***@db:5432/hp"
    assert redact("/home/a/runs.journal") == "/home/a/runs.journal"


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError) as err:
        Store("postgresql://bob:hunter2@127.0.0.1:1/nothing")
    assert "cannot connect" in str(err.value) and "hunter2" not in str(err.value)


def test_store_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        Store(str(tmp_path))
