"""Sweeps end to end: a small TPE sweep with pruning through the command line, and in one process the time
budget, a stop that keeps the best so far, and sampled points that RunConfig refuses."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from hptune.core.space import SweepSettings, space_from_data
from hptune.core.store import Store
from hptune.core.sweeps import SweepWorker, create_sweep, request_stop, snapshot
from tests.sweeps.sweep_helpers import hptune

pytestmark = pytest.mark.slow

TPE_SPACE = """
[space]
hidden_units = [8, 32]
learning_rate = { low = 1e-6, high = 3e-2, log = true }

[fixed]
dataset = "mnist-5k"
hidden_layers = 1
epochs = 3

[sweep]
startup_trials = 2
"""


def test_a_tpe_sweep_with_pruning_through_the_command_line(tmp_path: Path) -> None:
    space_file = tmp_path / "space.toml"
    space_file.write_text(TPE_SPACE)
    store = str(tmp_path / "store.journal")
    done = hptune("sweep", "--space", str(space_file), "--algorithm", "tpe", "--trials", "8", "--pruner", "median",
                  "--study", "tpe-pruned", "--json", store=store)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["study"] == "tpe-pruned" and result["algorithm"] == "tpe" and result["pruner"] == "median"
    trials = result["trials"]
    assert [t["number"] for t in trials] == list(range(8))
    assert {t["state"] for t in trials} <= {"COMPLETE", "PRUNED"}
    pruned = [t for t in trials if t["state"] == "PRUNED"]
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    # learning rates near 1e-6 are hopeless after one epoch: the median pruner stops some of them
    assert pruned, "no trial was pruned"
    assert all(1 <= len(t["epochs"]) < 3 and t["status"] == "pruned" for t in pruned)
    assert all(len(t["epochs"]) == 3 and t["value"] == t["epochs"][-1]["val_accuracy"] for t in complete)
    best = result["best"]
    assert best["value"] == max(t["value"] for t in complete)
    assert best["config"]["learning_rate"] == best["params"]["learning_rate"]
    assert best["config"]["dataset"] == "mnist-5k" and best["config"]["hidden_layers"] == 1
    # live progress went to stderr with --json: one line per finished trial, then the best
    assert done.stderr.count("] trial ") == 8 and "best: trial" in done.stderr

    # every trial is a run in the history, pruned ones with the epochs they trained
    runs = json.loads(hptune("runs", "--study", "tpe-pruned", "--format", "json", store=store).stdout)
    assert sorted(r["number"] for r in runs) == list(range(8))
    assert {r["number"]: len(r["epochs"]) for r in runs if r["status"] == "pruned"} == {
        t["number"]: len(t["epochs"]) for t in pruned}
    studies = json.loads(hptune("studies", "--json", store=store).stdout)
    [row] = [s for s in studies if s["name"] == "tpe-pruned"]
    assert row["algorithm"] == "tpe" and row["trials"] == 8


def tiny(**fixed: object) -> dict[str, object]:
    return {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 8, **fixed}


def test_a_time_budget_starts_no_trial_after_it_ends(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.journal"))
    space = space_from_data({"space": {"learning_rate": {"low": 1e-3, "high": 1e-2}}, "fixed": tiny(epochs=1)})
    create_sweep(store, "timed", space, SweepSettings(algorithm="random", timeout=4))
    started = time.time()
    ran = SweepWorker(store, "timed").run()
    snap = snapshot(store, "timed")
    assert ran >= 1 and len(snap.trials) == ran
    assert all(t.state == "COMPLETE" for t in snap.trials)
    deadline = snap.sweep.deadline
    assert deadline is not None and started < deadline <= started + 4
    frozen = store.storage.get_all_trials(snap.sweep.study_id)
    assert all(t.datetime_start.timestamp() < deadline for t in frozen)


def test_stop_keeps_the_best_so_far_and_leaves_the_rest_queued(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.journal"))
    space = space_from_data({"space": {"hidden_units": [8, 16, 24, 32]},
                             "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 5}})
    create_sweep(store, "stopped", space, SweepSettings(algorithm="grid"))
    worker = SweepWorker(store, "stopped")
    seen: list[int] = []
    worker.on_trial = lambda event: seen.append(event.number) if type(event).__name__ == "TrialEnded" else None
    thread = threading.Thread(target=worker.run)
    thread.start()
    deadline = time.monotonic() + 600
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    request_stop(store, "stopped")  # as a remote `stop` would: workers see it at the next epoch end
    thread.join(60)
    assert not thread.is_alive()
    snap = snapshot(store, "stopped")
    states = [t.state for t in snap.trials]
    assert states[0] == "COMPLETE" and "WAITING" in states
    assert snap.best is not None and snap.best.number == 0 and snap.finished
    stopped = [t for t in snap.trials if t.state == "FAIL"]
    assert all(t.status == "stopped" and len(t.epochs) < 5 for t in stopped)


def test_points_run_config_refuses_fail_without_training(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.journal"))
    space = space_from_data({"space": {"hidden_layers": [1, 2], "hidden_units": [[8], [8, 8]]},
                             "fixed": {"dataset": "mnist-5k", "epochs": 1}})
    create_sweep(store, "mixed", space, SweepSettings(algorithm="grid"))
    SweepWorker(store, "mixed").run()
    snap = snapshot(store, "mixed")
    by_layers = {(t.params["hidden_layers"], len(t.params["hidden_units"])): t for t in snap.trials}
    assert by_layers[(1, 1)].state == by_layers[(2, 2)].state == "COMPLETE"
    for bad in (by_layers[(1, 2)], by_layers[(2, 1)]):
        assert bad.state == "FAIL" and bad.status == "invalid" and not bad.epochs
        assert "one width per hidden layer" in (bad.message or "")
    assert len(Store(str(tmp_path / "s.journal")).runs(study="mixed")) == 2  # only real runs are in the history


def test_a_sweep_over_a_missing_dataset_says_so_in_one_line_before_any_worker_starts(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    space_file = tmp_path / "space.toml"
    space_file.write_text(f'[space]\nhidden_units = [8, 16]\n[fixed]\ndataset = "{missing}"\nepochs = 1\n')
    store = str(tmp_path / "store.journal")
    done = hptune("sweep", "--space", str(space_file), "--algorithm", "grid", "--workers", "2", "--study", "missing",
                  store=store)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("hptune: dataset: ") and str(missing) in line
    # checked before the sweep was created, so no worker was started on it (and the name is still free)
    assert Store(store).studies() == []


def test_the_best_config_line_names_every_searched_field(tmp_path: Path) -> None:
    """normalize=True is the default, so a plain label leaves it out; swept, it must be said."""
    from hptune.core.cli.output import summary_lines

    store = Store(str(tmp_path / "s.journal"))
    space = space_from_data({"space": {"normalize": [True, False]}, "fixed": tiny(epochs=1)})
    create_sweep(store, "pixels", space, SweepSettings(algorithm="grid"))
    SweepWorker(store, "pixels").run()
    snap = snapshot(store, "pixels")
    best_line = [line for line in summary_lines(snap, 1.0) if line.startswith("best config:")][0]
    assert snap.best_config().normalize  # 0-1 inputs win on this sample (raw pixels stay near chance at 1 epoch)
    assert "normalized" in best_line
