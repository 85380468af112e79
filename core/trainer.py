"""`train(config, on_event, stop)`: the one entry point that the CLI, the TUI and sweep workers call.

Training runs on the calling thread. Progress leaves as frozen events; a `threading.Event` asks for a stop, which
is honoured at the next step boundary. Input problems found before training starts raise ConfigError or
DatasetError; anything that goes wrong once the run has started ends it with a status instead.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from hptune.core.config import COMPILED_BACKENDS, ConfigError, RunConfig, check_fits_memory
from hptune.core.data import load_dataset
from hptune.core.diagnosis import best_epoch, diagnose
from hptune.core.events import (
    BatchProgress,
    DataLoading,
    EpochEnded,
    EpochMetrics,
    Event,
    RunFinished,
    RunStarted,
    Status,
)
from hptune.core.outcome import RunOutcome

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]
#: Seconds between BatchProgress events: enough for a smooth bar, too few to flood a UI.
PROGRESS_INTERVAL = 0.1
#: A cross-entropy this large means the weights have blown up, even before it turns NaN or infinite.
DIVERGED_LOSS = 1e5
#: How each engine is named after the backend in a run's `backend` string ("jax, compiled").
ENGINE_LABELS = {"compiled": "compiled", "keras": "model.fit"}
#: How many misclassified test images a run keeps for display.
MAX_MISTAKES = 100


class _Halt(Exception):
    """Raised from a Keras callback to leave `fit` at once (stop or divergence), skipping the partial epoch."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status


def score_predictions(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> tuple[float, float, np.ndarray]:
    """Accuracy, macro-averaged F1 and the confusion matrix (rows: true label, columns: predicted)."""
    confusion = np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)
    accuracy = float(np.trace(confusion) / max(1, confusion.sum()))
    tp = np.diag(confusion).astype(float)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    present = (predicted + actual) > 0
    f1 = np.divide(2 * tp, predicted + actual, out=np.zeros(classes), where=present)
    macro_f1 = float(f1[present].mean()) if present.any() else 0.0
    return accuracy, macro_f1, confusion


def _make_bridge(keras: Any, emit: EventSink, stop: threading.Event, epochs: int, steps: int, batch: int,
                 history: list[EpochMetrics]) -> Any:
    class Bridge(keras.callbacks.Callback):
        """Turns Keras' callbacks into hptune events; checks stop and divergence after every step."""

        def __init__(self) -> None:
            super().__init__()
            self.history = history
            self._epoch_start = 0.0
            self._last_progress = 0.0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self._epoch_start = time.perf_counter()
            self._last_progress = 0.0

        def on_train_batch_begin(self, batch_index: int, logs: dict | None = None) -> None:
            if stop.is_set():
                raise _Halt("stopped", "stopped by the user")

        def on_train_batch_end(self, batch_index: int, logs: dict | None = None) -> None:
            loss = float((logs or {}).get("loss", 0.0))
            if not math.isfinite(loss) or loss > DIVERGED_LOSS:
                raise _Halt("diverged", f"the training loss reached {loss:.4g} in epoch {len(self.history) + 1}")
            if stop.is_set():
                raise _Halt("stopped", "stopped by the user")
            now = time.perf_counter()
            done = min(batch_index + 1, steps)
            if now - self._last_progress >= PROGRESS_INTERVAL or done == steps:
                self._last_progress = now
                elapsed = max(now - self._epoch_start, 1e-9)
                emit(
                    BatchProgress(
                        epoch=len(self.history) + 1,
                        step=done,
                        steps=steps,
                        loss=loss,
                        samples_per_second=done * batch / elapsed,
                        eta_seconds=(steps - done) * elapsed / done,
                    )
                )

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            metrics = EpochMetrics(
                epoch=epoch + 1,
                loss=float(logs.get("loss", math.nan)),
                accuracy=float(logs.get("accuracy", math.nan)),
                val_loss=float(logs.get("val_loss", math.nan)),
                val_accuracy=float(logs.get("val_accuracy", math.nan)),
                seconds=time.perf_counter() - self._epoch_start,
            )
            self.history.append(metrics)
            emit(EpochEnded(metrics=metrics, epochs=epochs))
            if not all(math.isfinite(v) and v <= DIVERGED_LOSS for v in (metrics.loss, metrics.val_loss)):
                worst = max(metrics.loss, metrics.val_loss)
                raise _Halt("diverged", f"the loss reached {worst:.4g} in epoch {metrics.epoch}")
            if stop.is_set():
                raise _Halt("stopped", "stopped by the user")

    return Bridge()


def save_model(model: Any) -> str:
    """The trained network, with the weights that were scored on the test set, as a Keras file in the temporary
    folder (the store's recorder moves it beside the store)."""
    import os
    import tempfile

    from hptune.core.backend import tensorflow_unless_used

    handle, path = tempfile.mkstemp(prefix="hptune-model-", suffix=".keras")
    os.close(handle)
    try:
        with tensorflow_unless_used():
            model.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def choose_engine(choice: str, backend: str) -> str:
    """The engine a config's `engine` means on `backend`: compiled where the backend has it, else model.fit."""
    if choice == "auto":
        return "compiled" if backend in COMPILED_BACKENDS else "keras"
    if choice == "compiled" and backend not in COMPILED_BACKENDS:
        raise ConfigError(f"engine: compiled runs on the jax backend, not {backend}; expected keras or auto", "engine")
    return choice


def _fit_keras(keras: Any, model: Any, config: RunConfig, data: Any, emit: EventSink, stop: threading.Event,
               history: list[EpochMetrics], steps: int) -> tuple[Status, str | None]:
    """The reference path: Keras' own `model.fit`, with a callback bridging to hptune's events."""
    bridge = _make_bridge(keras, emit, stop, config.epochs, steps, config.batch_size, history)
    callbacks = [bridge]
    early = None
    if config.patience is not None:
        early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        callbacks.append(early)
    status: Status
    message = None
    try:
        model.fit(
            data.x_train,
            data.y_train,
            batch_size=config.batch_size,
            epochs=config.epochs,
            validation_data=(data.x_val, data.y_val),
            callbacks=callbacks,
            shuffle=True,
            verbose=0,
        )
        status = "early-stopped" if early is not None and early.stopped_epoch > 0 else "completed"
    except _Halt as halt:
        status, message = halt.status, str(halt)
    if status == "stopped" and early is not None and early.best_weights is not None:
        model.set_weights(early.best_weights)
    return status, message


def _fit_and_score(keras: Any, config: RunConfig, data: Any, backend: str, engine: str, emit: EventSink,
                   stop: threading.Event, history: list[EpochMetrics], result: RunOutcome, keep_model: bool,
                   started: float) -> None:
    """Build, train and score the network into `result`; what it builds dies with this call."""
    from hptune.core.backend import device_name, seed_everything
    from hptune.core.model import build_model

    n_train = len(data.x_train)
    seed_everything(config.seed, engine)
    model = build_model(config, data.info.image_shape)
    result.device, result.backend = device_name(), f"{backend}, {ENGINE_LABELS[engine]}"
    steps = math.ceil(n_train / config.batch_size)
    emit(RunStarted(config, result.params, result.device, result.backend, data.info, steps))

    if engine == "compiled":
        from hptune.core.engine import CompiledEngine, fit_compiled

        compiled = CompiledEngine(keras, model, data.x_train, data.y_train, data.x_val, data.y_val,
                                  config.batch_size, config.seed)
        result.status, result.message = fit_compiled(compiled, config, emit, stop, history,
                                                     diverged_loss=DIVERGED_LOSS,
                                                     progress_interval=PROGRESS_INTERVAL)
        predict = compiled.predict
    else:
        result.status, result.message = _fit_keras(keras, model, config, data, emit, stop, history, steps)
        predict = lambda x: model.predict(x, batch_size=1024, verbose=0)  # noqa: E731
    result.epochs = list(history)
    result.train_seconds = time.perf_counter() - started

    if result.status != "diverged" and result.epochs:
        probabilities = predict(data.x_test)
        predicted = np.argmax(probabilities, axis=1)
        if not np.isfinite(probabilities).all():
            result.status, result.message = "diverged", "the network outputs NaN on the test images"
        else:
            acc, f1, confusion = score_predictions(data.y_test, predicted)
            result.test_accuracy, result.test_macro_f1 = acc, f1
            result.confusion = tuple(tuple(int(v) for v in row) for row in confusion)
            val_predicted = np.argmax(model.predict(data.x_val, batch_size=1024, verbose=0), axis=1)
            result.val_macro_f1 = score_predictions(data.y_val, val_predicted)[1]
            wrong = np.flatnonzero(predicted != data.y_test)[:MAX_MISTAKES]
            result.mistakes = tuple((int(i), int(data.y_test[i]), int(predicted[i])) for i in wrong)
            if keep_model:
                result.model_file = save_model(model)


def train(config: RunConfig, on_event: EventSink | None = None, stop: threading.Event | None = None,
          *, record: EventSink | None = None, keep_model: bool | None = None, collect: bool = True) -> RunOutcome:
    """Train one network. `record` (a store's recorder) sees every event before `on_event` does, so an epoch is
    saved before any screen shows it; if saving fails the run fails rather than going on unsaved.

    With `keep_model` (default: the config's), the trained network is saved as a Keras file in the temporary
    folder and named in the outcome's `model_file`; the recorder moves it beside the store. With `collect` (the
    default) the process's garbage is collected at the end, which keeps a long-lived worker's memory flat; a
    run that another follows at once (the training process's warm-up) leaves that to the next one."""
    stop = stop or threading.Event()
    keep_model = config.keep_model if keep_model is None else keep_model

    def emit(event: Event) -> None:
        if record is not None:
            record(event)
        if on_event is not None:
            on_event(event)

    from hptune.core.backend import import_keras, select_backend

    # Before anything imports Keras (the mnist loader does): Keras reads its backend once, at import.
    backend = select_backend(config.backend)  # ConfigError: not installed, or another backend already loaded
    engine = choose_engine(config.engine, backend)
    emit(DataLoading(config.dataset))
    data = load_dataset(config.dataset, config.validation_size, config.normalize,  # DatasetError, ConfigError
                        config.train_fraction)
    n_train = len(data.x_train)
    if config.batch_size > n_train:
        raise ConfigError(
            f"batch_size: {config.batch_size:,} is larger than the {n_train:,} training images of {data.info.name};"
            f" expected 1 to {n_train:,}",
            "batch_size",
        )
    input_size = int(np.prod(data.info.image_shape))
    check_fits_memory(config, input_size)

    keras = import_keras()
    result = RunOutcome(status="failed", config=config, dataset=data.info, params=config.param_count(input_size))
    started = time.perf_counter()
    history: list[EpochMetrics] = []
    try:
        _fit_and_score(keras, config, data, backend, engine, emit, stop, history, result, keep_model, started)
    except Exception as err:  # noqa: BLE001 - a failed run is a result to keep and show, not a crash
        log.debug("run failed", exc_info=True)
        result.status, result.message = "failed", f"{type(err).__name__}: {err}"
        result.epochs = list(history)
        result.train_seconds = time.perf_counter() - started
    finally:
        # The network, its engine and their compiled programs were locals of _fit_and_score: garbage by now, so
        # this one pass frees them (the engine's jitted methods hold it in a cycle that only a pass frees).
        keras.backend.clear_session(free_memory=False)  # keeps memory flat across many runs in one process
        if collect:
            gc.collect()  # one full pass (clear_session's own would be a second one)

    result.best_epoch = best_epoch(result.epochs)
    if result.epochs or result.status == "diverged":
        result.diagnosis = diagnose(result.epochs, config, diverged=result.status == "diverged")
    emit(RunFinished(result))  # the recorder sees it first and gives it its run id
    return result
