"""The retry of a dead worker's trial, in one process (no training): readers see it as interrupted and change
nothing; the writer that opens the store fails it and queues its params once, and the failed trial keeps its
epochs."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from pathlib import Path

import optuna

from hptune.core.space import SweepSettings, space_from_data
from hptune.core.store import Store, proc_start
from hptune.core.sweeps import create_sweep, snapshot


def test_a_dead_workers_trial_is_failed_and_queued_again_once(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    store = Store(str(path))
    space = space_from_data({"space": {"hidden_units": [8, 16]}, "fixed": {"dataset": "mnist-5k"}})
    create_sweep(store, "dead", space, SweepSettings(algorithm="grid"))
    study = optuna.load_study(study_name="dead", storage=store.storage)
    trial = study.ask()  # takes the first queued point, as a worker would
    assert trial.suggest_categorical("hidden_units", [8, 16]) == 8
    dead_pid = subprocess.Popen(["true"])  # a pid that has ended
    dead_pid.wait()
    for key, value in {"host": socket.gethostname(), "pid": dead_pid.pid, "proc_start": "0", "status": "running",
                       "config": {"hidden_units": 8}, "epoch_0001": {"epoch": 1, "loss": 1.0, "accuracy": 0.5,
                       "val_loss": 1.0, "val_accuracy": 0.5, "seconds": 0.1}}.items():
        store.storage.set_trial_user_attr(trial._trial_id, key, value)

    before = hashlib.sha256(path.read_bytes()).digest()
    seen = snapshot(Store(str(path)), "dead")  # a reader: sees the death, writes nothing
    dead = seen.trials[0]
    assert dead.state == "FAIL" and dead.status == "interrupted" and len(dead.epochs) == 1
    assert not [t for t in seen.trials if t.retry_of is not None]
    assert Store(str(path)).runs(study="dead")[0].status == "interrupted"
    assert hashlib.sha256(path.read_bytes()).digest() == before, "a read changed the store"

    first = Store(str(path)).open_for_writing()  # a writer (a worker, a run) opening the store
    again = Store(str(path)).open_for_writing()  # a second writer must not queue it twice
    assert first.interrupted == first.retried == [trial._trial_id] and again.interrupted == again.retried == []
    snap = snapshot(store, "dead")
    dead = snap.trials[0]
    assert dead.state == "FAIL" and dead.status == "interrupted" and len(dead.epochs) == 1
    retries = [t for t in snap.trials if t.retry_of is not None]
    assert [(t.retry_of, t.state, t.params) for t in retries] == [(0, "WAITING", {"hidden_units": 8})]
    assert retries[0].epochs == () and retries[0].status == "queued"
    assert Store(str(path)).runs(study="dead")[0].status == "interrupted"
    assert proc_start(dead_pid.pid) is None
