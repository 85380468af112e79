"""Several real worker processes on one study, with the journal store and with PostgreSQL: every queued point
runs exactly once, and a worker killed mid-trial has its trial failed (epochs kept) and run again elsewhere."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from hptune.core.space import SweepSettings, space_from_data
from hptune.core.store import Store
from hptune.core.sweeps import create_sweep, snapshot
from tests.sweeps.sweep_helpers import read_log, start_worker

pytestmark = pytest.mark.slow


def finish(procs: list[subprocess.Popen[str]], timeout: float = 900) -> list[tuple[int, str, str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        results.append((proc.returncode, out, err))
    return results


def test_two_workers_run_every_grid_point_exactly_once(sweep_store: str, study_name: str, tmp_path: Path) -> None:
    space = space_from_data({
        "space": {"hidden_layers": [1, 2], "hidden_units": [8, 16, 24]},
        "fixed": {"dataset": "mnist-5k", "epochs": 2},
    })
    store = Store(sweep_store)
    assert create_sweep(store, study_name, space, SweepSettings(algorithm="grid")) == 6
    logs = [tmp_path / "worker-a.jsonl", tmp_path / "worker-b.jsonl"]
    procs = [start_worker(sweep_store, study_name, log) for log in logs]
    for code, _out, err in finish(procs):
        assert code == 0, err[-2000:]

    executions = [read_log(log) for log in logs]
    starts = [e for log in executions for e in log if e["event"] == "start"]
    ends = [e for log in executions for e in log if e["event"] == "end"]
    # the execution log, not only the final state: no point was started twice, by either worker
    started = sorted((e["params"]["hidden_layers"], e["params"]["hidden_units"]) for e in starts)
    assert started == sorted((layers, units) for layers in (1, 2) for units in (8, 16, 24))
    assert sorted(e["trial"] for e in starts) == list(range(6))
    assert sorted(e["trial"] for e in ends) == list(range(6)) and {e["state"] for e in ends} == {"COMPLETE"}
    assert all(any(e["event"] == "start" for e in log) for log in executions), "a worker took no trial"
    assert len({e["pid"] for e in starts}) == 2

    snap = snapshot(store, study_name)
    assert [t.state for t in snap.trials] == ["COMPLETE"] * 6
    assert all(len(t.epochs) == 2 for t in snap.trials)
    # every trial is a run in the history, with its epochs
    runs = Store(sweep_store).runs(study=study_name)
    assert len(runs) == 6 and {r.status for r in runs} == {"completed"}
    assert all(len(r.epochs) == 2 and r.test_accuracy is not None for r in runs)


def running_trial_of(store: Store, study_name: str, pid: int) -> tuple[int, int] | None:
    """(trial number, finished epochs) of the trial the worker `pid` is training, read straight from storage."""
    [frozen] = [s for s in store.storage.get_all_studies() if s.study_name == study_name]
    for trial in store.storage.get_all_trials(frozen._study_id, deepcopy=False):
        if trial.state.name == "RUNNING" and trial.user_attrs.get("pid") == pid:
            return trial.number, sum(k.startswith("epoch_") for k in trial.user_attrs)
    return None


def test_a_killed_worker_s_trial_fails_with_its_epochs_and_is_run_again_once(
    sweep_store: str, study_name: str, tmp_path: Path
) -> None:
    space = space_from_data({
        "space": {"hidden_units": [8, 12]},
        "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 8, "batch_size": 64, "steps_per_execution": 1},
    })
    store = Store(sweep_store)
    create_sweep(store, study_name, space, SweepSettings(algorithm="grid"))
    victim_log, survivor_log = tmp_path / "victim.jsonl", tmp_path / "survivor.jsonl"
    victim = start_worker(sweep_store, study_name, victim_log)
    survivor = start_worker(sweep_store, study_name, survivor_log)
    try:
        deadline = time.monotonic() + 600
        killed = None
        while time.monotonic() < deadline:
            assert victim.poll() is None, victim.communicate()[1][-2000:]
            seen = running_trial_of(store, study_name, victim.pid)
            if seen is not None and seen[1] >= 2:
                victim.send_signal(signal.SIGKILL)
                victim.wait(10)
                killed = seen[0]
                break
            time.sleep(0.05)
        assert killed is not None, "the victim never got two epochs into a trial"
        [(code, out, err)] = finish([survivor])
        assert code == 0, err[-2000:]
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.kill()

    snap = snapshot(store, study_name)
    by_number = {t.number: t for t in snap.trials}
    dead = by_number[killed]
    assert dead.state == "FAIL"
    assert len(dead.epochs) >= 2 and [e.epoch for e in dead.epochs] == list(range(1, len(dead.epochs) + 1))
    retries = [t for t in snap.trials if t.retry_of is not None]
    assert [t.retry_of for t in retries] == [killed], "the dead trial must be retried exactly once"
    [retry] = retries
    assert retry.state == "COMPLETE" and len(retry.epochs) == 8
    assert retry.params == dead.params
    assert retry.worker is not None and retry.worker.endswith(f":{survivor.pid}")
    # both grid points are done, each completed once
    done = sorted(t.params["hidden_units"] for t in snap.trials if t.state == "COMPLETE")
    assert done == [8, 12]
    # the survivor's execution log shows it ran the retry; the victim's shows a start with no end
    survivor_runs = read_log(survivor_log)
    assert {"event": "end", "trial": retry.number, "state": "COMPLETE"}.items() <= next(
        e for e in survivor_runs if e["event"] == "end" and e["trial"] == retry.number).items()
    victim_runs = read_log(victim_log)
    assert any(e["event"] == "start" and e["trial"] == killed for e in victim_runs)
    assert not any(e["event"] == "end" and e["trial"] == killed for e in victim_runs)
    # the failed run stays in the history, with what it had trained
    record = next(r for r in Store(sweep_store).runs(study=study_name) if r.number == killed)
    assert record.status in ("interrupted", "failed") and len(record.epochs) >= 2
