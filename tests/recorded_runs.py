"""Stores of many runs, written through hptune's own Recorder with the events a training run sends (no network is
trained: the epochs' figures are made up, the writes are the real ones). Used by the store's index tests, the
history's Pilot test and bench/store_scale.py."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hptune.core.config import make_config
from hptune.core.events import DatasetInfo, Diagnosis, EpochEnded, EpochMetrics, RunFinished, RunStarted
from hptune.core.outcome import RunOutcome
from hptune.core.store import Recorder, Store

DATASET = DatasetInfo("mnist-5k", "mnist-5k", 4000, 500, 500, (28, 28))
_OPTIMIZERS = ("adam", "sgd", "rmsprop")


def _config(rng: random.Random, epochs: int) -> Any:
    return make_config({"dataset": "mnist-5k", "epochs": epochs, "hidden_layers": rng.choice((1, 2, 3)),
                        "hidden_units": rng.choice((16, 32, 64, 128)), "optimizer": rng.choice(_OPTIMIZERS),
                        "learning_rate": round(10 ** rng.uniform(-4, -1), 6), "batch_size": rng.choice((32, 64, 128))})


def start(recorder: Recorder, rng: random.Random, epochs: int) -> Any:
    config = _config(rng, epochs)
    recorder(RunStarted(config, 1000 + rng.randrange(100_000), "cpu", "tensorflow", DATASET, 16))
    return config


def epoch(recorder: Recorder, rng: random.Random, number: int, epochs: int) -> EpochMetrics:
    acc = min(0.99, 0.5 + 0.45 * number / epochs + rng.uniform(-0.03, 0.03))
    metrics = EpochMetrics(number, 1.0 - acc, acc, 1.05 - acc, acc - 0.02, 0.4)
    recorder(EpochEnded(metrics, epochs))
    return metrics


def finish(recorder: Recorder, config: Any, done: list[EpochMetrics], rng: random.Random) -> RunOutcome:
    outcome = RunOutcome(
        status="completed", config=config, dataset=DATASET, epochs=done, test_accuracy=done[-1].val_accuracy,
        test_macro_f1=done[-1].val_accuracy - 0.01, val_macro_f1=done[-1].val_accuracy - 0.01,
        confusion=tuple(tuple(50 if i == j else 0 for j in range(10)) for i in range(10)),
        train_seconds=0.4 * len(done), params=1234, device="cpu", backend="tensorflow", best_epoch=len(done),
        diagnosis=Diagnosis("good fit", "nothing to change"),
        mistakes=tuple((rng.randrange(500), rng.randrange(10), rng.randrange(10)) for _ in range(20)),
    )
    recorder(RunFinished(outcome))
    return outcome


def record_runs(store: Store, count: int, *, epochs: int = 20, study: str = "runs", seed: int = 0,
                timings: list[float] | None = None) -> list[int]:
    """`count` finished runs of `epochs` epochs each in `study`; their run ids. With `timings`, the seconds each
    epoch's write took are appended to it."""
    rng = random.Random(seed)
    ids = []
    for _ in range(count):
        recorder = store.recorder(study=study)
        config = start(recorder, rng, epochs)
        done = []
        for n in range(1, epochs + 1):
            began = time.perf_counter()
            done.append(epoch(recorder, rng, n, epochs))
            if timings is not None:
                timings.append(time.perf_counter() - began)
        finish(recorder, config, done, rng)
        ids.append(recorder.run_id)
    return ids


def record_pruned(store: Store, study: str, epochs: int = 3) -> int:
    """A sweep-style trial (the sweep owns it) that is pruned after `epochs` epochs."""
    import optuna

    rng = random.Random(7)
    optuna_study = store.study(study)
    trial = optuna_study.ask({"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
                              "optimizer": optuna.distributions.CategoricalDistribution(list(_OPTIMIZERS))})
    recorder = store.recorder(study=study, trial=trial)
    start(recorder, rng, 10)
    for n in range(1, epochs + 1):
        epoch(recorder, rng, n, 10)
    recorder._set("status", "pruned")
    optuna_study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    return recorder.run_id


_KILLED_CHILD = """
import random, sys, time
from hptune.core.store import Store
sys.path.insert(0, sys.argv[2])
from tests.recorded_runs import start, epoch
store = Store(sys.argv[1])
recorder = store.recorder()
rng = random.Random(3)
start(recorder, rng, 10)
epoch(recorder, rng, 1, 10)
epoch(recorder, rng, 2, 10)
print(recorder.run_id, flush=True)
time.sleep(600)
"""


def record_killed(path: Path) -> int:
    """A run whose process was SIGKILLed after two epochs: still RUNNING in the journal, nobody to finish it."""
    root = str(Path(__file__).resolve().parent.parent)
    child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, str(path), root], stdout=subprocess.PIPE,
                             text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert child.stdout is not None
    run_id = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    return run_id


def grow_by_copies(path: Path, total: int) -> int:
    """Append copies of the finished runs already in the journal at `path` until it holds `total` trials: each copy
    is the same journal records as its original (written by the Recorder), under the next trial id, so a store of
    thousands of runs takes seconds to make instead of the minutes that fsyncing every write would. Runs are
    copied in turn, so every study keeps its share. Returns the number of trials in the journal."""
    lines = path.read_bytes().splitlines()
    blocks: list[list[dict[str, Any]]] = []  # the records of each trial, its creation first
    owner: dict[int, int] = {}
    for raw in lines:
        op = json.loads(raw)
        if op["op_code"] == 4:  # CREATE_TRIAL: trial ids are given in creation order
            owner[len(blocks)] = len(blocks)
            blocks.append([op])
        elif "trial_id" in op:
            blocks[op["trial_id"]].append(op)
    finished = [b for b in blocks if any(op["op_code"] == 6 and op["state"] == 1 for op in b)]
    assert finished, "record some finished runs first"
    next_id = len(blocks)
    out = []
    while next_id < total:
        block = finished[next_id % len(finished)]
        for op in block:
            if "trial_id" in op:
                op = {**op, "trial_id": next_id}
            out.append(json.dumps(op, separators=(",", ":")))
        next_id += 1
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in out))
    return next_id
