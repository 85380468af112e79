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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hptune.core.config import ConfigError, RunConfig, check_fits_memory
from hptune.core.data import load_dataset
from hptune.core.diagnosis import best_epoch, diagnose
from hptune.core.events import (
    BatchProgress,
    DataLoading,
    DatasetInfo,
    Diagnosis,
    EpochEnded,
    EpochMetrics,
    Event,
    RunFinished,
    RunStarted,
    Status,
)

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]
#: Seconds between BatchProgress events: enough for a smooth bar, too few to flood a UI.
PROGRESS_INTERVAL = 0.1
#: A cross-entropy this large means the weights have blown up, even before it turns NaN or infinite.
DIVERGED_LOSS = 1e5
#: How many misclassified test images a run keeps for display.
MAX_MISTAKES = 100


@dataclass
class RunResult:
    """Everything a finished run produced; `to_dict` is the JSON the CLI prints and the store keeps."""

    status: Status
    config: RunConfig
    dataset: DatasetInfo | None = None
    epochs: list[EpochMetrics] = field(default_factory=list)
    message: str | None = None
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    #: Macro-F1 of the final weights on the validation set: a sweep may select on it (the test set it may not).
    val_macro_f1: float | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None
    train_seconds: float = 0.0
    params: int | None = None
    device: str | None = None
    backend: str | None = None
    best_epoch: int | None = None
    diagnosis: Diagnosis | None = None
    mistakes: tuple[tuple[int, int, int], ...] = ()
    run_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "message": self.message,
            "dataset": self.dataset.to_dict() if self.dataset else None,
            "config": self.config.model_dump(),
            "epochs": [e.to_dict() for e in self.epochs],
            "test_accuracy": self.test_accuracy,
            "test_macro_f1": self.test_macro_f1,
            "val_macro_f1": self.val_macro_f1,
            "train_seconds": self.train_seconds,
            "params": self.params,
            "device": self.device,
            "backend": self.backend,
            "best_epoch": self.best_epoch,
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "confusion": [list(row) for row in self.confusion] if self.confusion else None,
        }


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


def _make_bridge(keras: Any, emit: EventSink, stop: threading.Event, epochs: int, steps: int, batch: int) -> Any:
    class Bridge(keras.callbacks.Callback):
        """Turns Keras' callbacks into hptune events; checks stop and divergence after every step."""

        def __init__(self) -> None:
            super().__init__()
            self.history: list[EpochMetrics] = []
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
                raise _Halt("diverged", f"the loss reached {max(metrics.loss, metrics.val_loss):.4g} in epoch {metrics.epoch}")
            if stop.is_set():
                raise _Halt("stopped", "stopped by the user")

    return Bridge()


def train(config: RunConfig, on_event: EventSink | None = None, stop: threading.Event | None = None,
          *, record: EventSink | None = None) -> RunResult:
    """Train one network. `record` (a store's recorder) sees every event before `on_event` does, so an epoch is
    saved before any screen shows it; if saving fails the run fails rather than going on unsaved."""
    stop = stop or threading.Event()

    def emit(event: Event) -> None:
        if record is not None:
            record(event)
        if on_event is not None:
            on_event(event)

    emit(DataLoading(config.dataset))
    data = load_dataset(config.dataset, config.validation_size, config.normalize)  # DatasetError, ConfigError
    n_train = len(data.x_train)
    if config.batch_size > n_train:
        raise ConfigError(
            f"batch_size: {config.batch_size:,} is larger than the {n_train:,} training images of {data.info.name};"
            f" expected 1 to {n_train:,}",
            "batch_size",
        )
    input_size = int(np.prod(data.info.image_shape))
    check_fits_memory(config, input_size)

    from hptune.core.backend import backend_name, device_name, import_keras
    from hptune.core.model import build_model

    keras = import_keras()
    result = RunResult(status="failed", config=config, dataset=data.info, params=config.param_count(input_size))
    started = time.perf_counter()
    bridge = None
    try:
        keras.utils.set_random_seed(config.seed)
        model = build_model(config, data.info.image_shape)
        result.device, result.backend = device_name(), backend_name()
        steps = math.ceil(n_train / config.batch_size)
        emit(RunStarted(config, result.params, result.device, result.backend, data.info, steps))

        bridge = _make_bridge(keras, emit, stop, config.epochs, steps, config.batch_size)
        callbacks = [bridge]
        early = None
        if config.patience is not None:
            early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
            callbacks.append(early)
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
            result.status = "early-stopped" if early is not None and early.stopped_epoch > 0 else "completed"
        except _Halt as halt:
            result.status, result.message = halt.status, str(halt)
        result.epochs = list(bridge.history)
        result.train_seconds = time.perf_counter() - started

        if result.status != "diverged" and result.epochs:
            if result.status == "stopped" and early is not None and early.best_weights is not None:
                model.set_weights(early.best_weights)
            probabilities = model.predict(data.x_test, batch_size=1024, verbose=0)
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
    except Exception as err:  # noqa: BLE001 - a failed run is a result to keep and show, not a crash
        log.debug("run failed", exc_info=True)
        result.status, result.message = "failed", f"{type(err).__name__}: {err}"
        if bridge is not None:
            result.epochs = list(bridge.history)
        result.train_seconds = time.perf_counter() - started
    finally:
        keras.backend.clear_session()  # keeps memory flat across many runs in one process
        gc.collect()

    result.best_epoch = best_epoch(result.epochs)
    if result.epochs or result.status == "diverged":
        result.diagnosis = diagnose(result.epochs, diverged=result.status == "diverged")
    finished = RunFinished(
        status=result.status,
        message=result.message,
        test_accuracy=result.test_accuracy,
        test_macro_f1=result.test_macro_f1,
        confusion=result.confusion,
        train_seconds=result.train_seconds,
        best_epoch=result.best_epoch,
        diagnosis=result.diagnosis,
        mistakes=result.mistakes,
        val_macro_f1=result.val_macro_f1,
    )
    emit(finished)
    return result
