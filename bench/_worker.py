"""One measurement in a fresh process: `python bench/_worker.py '<task json>' RESULT.json` (the scripts call it).

Tasks:
  plain   the tutorial's plain Keras script: one-hot labels, categorical cross-entropy, model.fit(verbose=1)
  hptune  hptune's own path: core.trainer.train with the CLI's progress printer and a journal-file store
A task's "backend" (default: plain on tensorflow, as the tutorial ran; hptune on its own choice) is set before Keras
is imported. Imports happen before the clock starts; `total_s` runs from loading the data to the test accuracy.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from hptune.core.isolated import rss_bytes  # noqa: E402,F401 - re-exported for the benchmark scripts


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class EpochStamps:
    """Wall and CPU clocks at the start of training and at every epoch end, in the same place for both scripts.

    An epoch's cycle runs from one epoch end to the next, so it holds everything that happens per epoch: the
    steps, validation, callbacks, events and store writes (the first cycle also traces the graph).
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def mark(self) -> None:
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def cycles(self, started: float, ended: float) -> dict[str, Any]:
        return {
            "setup_s": self.wall[0] - started,  # data, model, store: up to the start of training
            "wrapup_s": ended - self.wall[-1],  # after the last epoch: test accuracy, final store writes
            "epoch_seconds": [b - a for a, b in zip(self.wall, self.wall[1:], strict=False)],
            "epoch_cpu_seconds": [b - a for a, b in zip(self.cpu, self.cpu[1:], strict=False)],
        }


def hptune_first_weights(task: dict[str, Any], image_shape: tuple[int, ...]) -> list[Any]:
    """The first weights hptune's own model draws for this task's network and seed."""
    from hptune.core.config import make_config
    from hptune.core.model import build_model

    config = make_config({"hidden_layers": task["layers"], "hidden_units": task["units"], "activation": "relu",
                          "optimizer": "adam", "seed": task.get("seed", 0)})
    return build_model(config, tuple(image_shape)).get_weights()


def plain(task: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from hptune.core.backend import import_keras

    keras = import_keras()
    stamps = EpochStamps()

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs: Any = None) -> None:
            if not stamps.wall:  # one fit per epoch with same_order: the clock starts at the first
                stamps.mark()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            stamps.mark()

    started = time.perf_counter()
    keras.utils.set_random_seed(task.get("seed", 0))
    if Path(task["dataset"]).is_dir():  # an MNIST-format IDX folder, read as keras.datasets.mnist reads its files
        from hptune.core.data import load_raw

        raw, _, _ = load_raw(task["dataset"])
        x_all, y_all = raw.x_train.astype("float32"), raw.y_train
        x_test, y_test = raw.x_test.astype("float32"), raw.y_test
    else:
        with np.load(task["dataset"]) as data:
            x_all, y_all = data["x_train"].astype("float32"), data["y_train"]
            x_test, y_test = data["x_test"].astype("float32"), data["y_test"]
    n_val = task.get("n_val", 10_000)
    split = len(x_all) - n_val
    y_all = keras.utils.to_categorical(y_all, 10)
    y_test = keras.utils.to_categorical(y_test, 10)
    x_train, y_train, x_val, y_val = x_all[:split], y_all[:split], x_all[split:], y_all[split:]

    model = keras.Sequential()
    model.add(keras.Input(shape=x_train.shape[1:]))
    model.add(keras.layers.Flatten())
    for _ in range(task["layers"]):
        model.add(keras.layers.Dense(task["units"]))
        model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dense(10))
    model.add(keras.layers.Activation("softmax"))
    if task.get("same_start"):  # hptune's first weights (drawn with NumPy from the seed), not TensorFlow's
        model.set_weights(hptune_first_weights(task, x_train.shape[1:]))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=task.get("steps_per_execution", 1))
    fit = dict(batch_size=task.get("batch_size", 256), validation_data=(x_val, y_val), verbose=task.get("verbose", 1),
               callbacks=[EpochTimer()])
    if task.get("same_order"):  # each epoch in the order hptune's engine draws from the seed: one fit per epoch
        rng = np.random.default_rng(task.get("seed", 0))
        for epoch in range(task["epochs"]):
            order = rng.permutation(len(x_train))
            history = model.fit(x_train[order], y_train[order], epochs=epoch + 1, initial_epoch=epoch, shuffle=False,
                                **fit)
    else:
        history = model.fit(x_train, y_train, epochs=task["epochs"], **fit)
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    ended = time.perf_counter()
    total = ended - started
    return {
        **stamps.cycles(started, ended),
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "test_accuracy": float(test_accuracy),
        "total_s": total,
        "steps_per_epoch": -(-len(x_train) // task.get("batch_size", 256)),
        "peak_rss": peak_rss_bytes(),
    }


def hptune(task: dict[str, Any]) -> dict[str, Any]:
    import optuna  # noqa: F401 - imported by Store(); imports stay outside the clock, as for plain Keras

    from hptune.core.backend import import_keras
    from hptune.core.cli.progress import RunPrinter
    from hptune.core.config import make_config
    from hptune.core.events import EpochEnded, RunStarted
    from hptune.core.store import Store
    from hptune.core.trainer import train

    import_keras()
    values = {
        "hidden_layers": task["layers"],
        "hidden_units": task["units"],
        "epochs": task["epochs"],
        "dataset": task["dataset"],
        "batch_size": task.get("batch_size", 256),
        "optimizer": "adam",
        "activation": "relu",
        "normalize": task.get("normalize", False),
        "seed": task.get("seed", 0),
    }
    for key in ("steps_per_execution", "engine", "backend"):
        if task.get(key) is not None:
            values[key] = task[key]
    config = make_config(values)
    journal = Path(tempfile.mkdtemp(prefix="store-", dir=task.get("scratch"))) / "runs.journal"

    started = time.perf_counter()
    store = Store(str(journal))
    printer = RunPrinter(sys.stdout, sys.stderr) if task.get("progress", True) else None
    stamps = EpochStamps()

    def on_event(event: Any) -> None:
        if isinstance(event, (RunStarted, EpochEnded)):
            stamps.mark()  # RunStarted comes just before fit; EpochEnded after the recorder saved the epoch
        if printer is not None:
            printer(event)

    result = train(config, on_event=on_event, record=store.recorder())
    ended = time.perf_counter()
    total = ended - started
    if result.status != "completed":
        raise RuntimeError(f"run ended {result.status}: {result.message}")
    return {
        **stamps.cycles(started, ended),
        "val_accuracy": result.epochs[-1].val_accuracy,
        "test_accuracy": result.test_accuracy,
        "total_s": total,
        "steps_per_execution": config.steps_per_execution,
        "backend": result.backend,
        "params": result.params,
        "peak_rss": peak_rss_bytes(),
        "journal_bytes": journal.stat().st_size,
    }


def main() -> None:
    task = json.loads(sys.argv[1])
    backend = task.get("backend") or ("tensorflow" if task["kind"] == "plain" else None)
    if backend:
        os.environ["KERAS_BACKEND"] = backend  # before anything imports Keras
    result = {"plain": plain, "hptune": hptune}[task["kind"]](task)
    Path(sys.argv[2]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
