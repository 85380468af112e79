"""`hptune sweep --resume STUDY`: a stopped or cut-short sweep goes on where it stopped, with its budget counting
the trials done, every grid point run once, and TPE learning from the trials before the resume."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import optuna
import pytest

from hptune.core.space import SweepSettings, load_space, space_from_data
from hptune.core.store import Store, process_attrs
from hptune.core.sweeps import SweepWorker, TrialStarted, create_sweep, make_sampler, request_stop, snapshot
from tests.sweeps.sweep_helpers import hptune

pytestmark = pytest.mark.slow

TPE_SPACE = """
[space]
hidden_units = [8, 16, 32]
learning_rate = { low = 1e-4, high = 3e-2, log = true }

[fixed]
dataset = "mnist-5k"
hidden_layers = 1
epochs = 1

[sweep]
startup_trials = 2
"""


def blind_params(space_file: Path, settings: SweepSettings, number: int) -> dict[str, object]:
    """What trial `number` would be given by a sampler that had seen no finished trial (TPE's start-up draws)."""
    space = load_space(space_file)
    study = optuna.create_study(sampler=make_sampler(settings, number))
    for _ in range(number):  # the same trial number, with no finished trial before it
        study.ask()
    trial = study.ask()
    space.suggest(trial)
    return dict(trial.params)


def test_a_tpe_sweep_resumed_past_its_budget_runs_the_rest_and_learns_from_the_earlier_trials(tmp_path: Path) -> None:
    space_file = tmp_path / "space.toml"
    space_file.write_text(TPE_SPACE)
    store = str(tmp_path / "store.journal")
    first = hptune("sweep", "--space", str(space_file), "--trials", "2", "--study", "tpe", store=store)
    assert first.returncode == 0, first.stderr[-3000:]

    again = hptune("sweep", "--resume", "tpe", "--trials", "4", "--json", store=store)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed: 2 trials done, 2 to run" in again.stderr
    result = json.loads(again.stdout.strip().splitlines()[-1])
    trials = result["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3]
    assert [t["state"] for t in trials] == ["COMPLETE"] * 4
    assert again.stderr.count("] trial ") == 2  # the two new trials are reported, not the two before

    # With 2 start-up trials, trials 2 and 3 are TPE's only if it saw trials 0 and 1; a sampler blind to them
    # would have drawn its start-up (random) points, which the comparison below shows it does for a fresh study.
    settings = SweepSettings(algorithm="tpe", trials=4, startup_trials=2)
    raw = {t.number: t.params for t in Store(store).storage.get_all_trials(
        Store(store).storage.get_study_id_from_name("tpe"))}
    assert raw[0] == blind_params(space_file, settings, 0)  # the check below can tell the two apart
    for number in (2, 3):
        assert raw[number] != blind_params(space_file, settings, number)


def tiny_grid() -> object:
    return space_from_data({"space": {"hidden_units": [8, 16], "learning_rate": [0.001, 0.01]},
                            "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 2}})


def test_a_grid_sweep_stopped_mid_trial_resumes_with_every_point_run_once(tmp_path: Path) -> None:
    location = str(tmp_path / "s.journal")
    store = Store(location)
    create_sweep(store, "grid", tiny_grid(), SweepSettings(algorithm="grid"))  # type: ignore[arg-type]
    worker = SweepWorker(store, "grid")

    def on_trial(event: object) -> None:
        if isinstance(event, TrialStarted) and event.number == 1:
            request_stop(store, "grid")  # seen at trial 1's first epoch end: it stops there

    worker.on_trial = on_trial
    thread = threading.Thread(target=worker.run)
    thread.start()
    thread.join(600)
    assert not thread.is_alive()
    stopped = snapshot(Store(location), "grid")
    assert [(t.state, t.status) for t in stopped.trials] == [
        ("COMPLETE", "completed"), ("FAIL", "stopped"), ("WAITING", "not run"), ("WAITING", "not run")]
    studies = hptune("studies", store=location)
    assert "complete 1 not run 2 stopped 1" in studies.stdout and "waiting" not in studies.stdout

    done = hptune("sweep", "--resume", "grid", "--json", store=location)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resumed: 1 trial done, 3 to run" in done.stdout.splitlines()[0] + done.stderr
    trials = json.loads(done.stdout.strip().splitlines()[-1])["trials"]
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    points = [(t["params"]["hidden_units"], t["params"]["learning_rate"]) for t in complete]
    assert sorted(points) == [(8, 0.001), (8, 0.01), (16, 0.001), (16, 0.01)]  # each grid point once
    assert len(trials) == 5 and trials[1]["status"] == "stopped"
    assert trials[4]["params"] == trials[1]["params"]  # the stopped point, run again last
    assert all(len(t["epochs"]) == 2 for t in complete)

    # nothing is left: a second resume says so, and a smaller budget than what is done is refused
    nothing = hptune("sweep", "--resume", "grid", store=location)
    assert nothing.returncode == 2 and "nothing left to run (4 trials done)" in nothing.stderr


def test_resume_refuses_what_it_cannot_continue(tmp_path: Path) -> None:
    location = str(tmp_path / "s.journal")
    store = Store(location)
    store.study("plain")
    space = space_from_data({"space": {"hidden_units": [8, 16]}, "fixed": {"dataset": "mnist-5k", "epochs": 1}})
    create_sweep(store, "live", space, SweepSettings(algorithm="random", trials=3))
    # a trial taken by a worker that is alive (this test's own process)
    trial_id = store.storage.get_all_trials(store.storage.get_study_id_from_name("live"))[0]._trial_id
    store.storage.set_trial_state_values(trial_id, optuna.trial.TrialState.RUNNING)
    for key, value in process_attrs().items():
        store.storage.set_trial_user_attr(trial_id, key, value)

    cases = {
        ("--resume", "nope"): "no study 'nope'",
        ("--resume", "plain"): "study 'plain'",
        ("--resume", "live"): "is still running: 1 trial(s) in live workers",
        ("--resume", "live", "--space", "x.toml"): "--resume: --space cannot change",
        ("--resume", "live", "--algorithm", "grid"): "--algorithm cannot change",
    }
    before = Path(location).read_bytes()
    for args, expected in cases.items():
        done = hptune("sweep", *args, store=location)
        assert done.returncode == 2, (args, done.stderr)
        [line] = done.stderr.splitlines()
        assert expected in line, (args, line)
        assert "Traceback" not in line
    assert "not a sweep" in hptune("sweep", "--resume", "plain", store=location).stderr
    assert Path(location).read_bytes() == before  # refused before anything was written


def test_a_sweep_keeps_the_model_of_each_trial_that_was_best_when_it_finished(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    location = str(tmp_path / "s.journal")
    store = Store(location)
    space = space_from_data({"space": {"hidden_units": [32, 8, 4], "learning_rate": [0.01, 0.0001]},
                             "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 1}})
    create_sweep(store, "kept", space, SweepSettings(algorithm="grid"))
    SweepWorker(store, "kept").run()
    snap = snapshot(Store(location), "kept")
    runs = {r.number: r for r in Store(location).runs(study="kept")}
    assert len(runs) == 6 and all(t.state == "COMPLETE" for t in snap.trials)
    best_so_far = -1.0
    for trial in snap.trials:  # one worker: trials finished in number order
        kept = runs[trial.number].model_file
        assert (kept is not None) == (trial.value >= best_so_far), (trial.number, trial.value, best_so_far)
        best_so_far = max(best_so_far, trial.value)
        if kept:
            assert Path(kept) == tmp_path / "s.journal.models" / "kept" / f"{trial.run_id}.keras"
            assert Path(kept).stat().st_size == runs[trial.number].model_bytes
    assert runs[snap.best.number].model_file is not None
    assert sum(r.model_file is not None for r in runs.values()) < 6  # the worse points' networks were not kept
    assert list(scratch.iterdir()) == []  # nor left in the temporary folder


def test_a_resumed_time_budget_counts_the_time_already_spent(tmp_path: Path) -> None:
    import time

    from hptune.core.store import SWEEP_ATTR
    from hptune.core.sweeps import load_sweep, resume_sweep

    store = Store(str(tmp_path / "s.journal"))
    space = space_from_data({"space": {"hidden_units": [8, 16]}, "fixed": {"dataset": "mnist-5k", "epochs": 1}})
    create_sweep(store, "timed", space, SweepSettings(algorithm="random", timeout=60))
    study_id = store.storage.get_study_id_from_name("timed")
    meta = store.storage.get_study_user_attrs(study_id)[SWEEP_ATTR]
    store.storage.set_study_user_attr(study_id, SWEEP_ATTR, {**meta, "created": time.time() - 50})
    finished = optuna.trial.create_trial(params={"hidden_units": "8"}, value=0.5, distributions={
        "hidden_units": optuna.distributions.CategoricalDistribution(["8", "16"])})
    store.study("timed").add_trial(finished)  # a trial that ended 50 s into the sweep
    request_stop(store, "timed")

    resumed = resume_sweep(store, "timed")
    assert resumed.done == 1 and resumed.queued == 0 and not resumed.sweep.stopped
    assert resumed.sweep.deadline == pytest.approx(time.time() + 10, abs=3)  # 60 s budget, 50 s spent

    request_stop(store, "timed")
    resume_sweep(store, "timed", timeout=30)  # a new time budget starts afresh
    sweep = load_sweep(store, "timed")
    assert sweep.deadline == pytest.approx(time.time() + 30, abs=3) and sweep.settings.timeout == 30
