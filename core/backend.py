"""The Keras backend, imported only when training or data loading needs it (it takes seconds)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType

log = logging.getLogger(__name__)

_lock = threading.Lock()
_keras: ModuleType | None = None


def import_keras() -> ModuleType:
    """Import Keras once, with quiet logs and, on a GPU, memory that grows rather than taking the whole card."""
    global _keras
    with _lock:
        if _keras is None:
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
            os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # the JAX equivalent
            with native_logs_captured():
                import keras

                keras.ops.add(1, 1)  # the first op starts the runtime, which logs its start-up notices
            _keras = keras
        return _keras


@contextlib.contextmanager
def native_logs_captured() -> Iterator[None]:
    """TensorFlow's C++ start-up notices (oneDNN, CUDA probing) go straight to file descriptor 2, past Python's
    logging and TF_CPP_MIN_LOG_LEVEL; keep them off the user's terminal and hand them to logging at debug level."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode(errors="replace").splitlines():
                log.debug("backend: %s", line)


def backend_name() -> str:
    return import_keras().backend.backend()


def device_name() -> str:
    """The device that trains: 'CPU' or the GPU's name, asked of whichever backend Keras runs on."""
    backend = backend_name()
    try:
        with native_logs_captured():
            return _device_name(backend)
    except Exception:  # noqa: BLE001 - a device query must never stop training; CPU is the safe answer
        return "CPU"


def _device_name(backend: str) -> str:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"GPU: {details.get('device_name', gpus[0].name)}"
        elif backend == "jax":
            import jax

            devices = [d for d in jax.devices() if d.platform != "cpu"]
            if devices:
                return f"GPU: {devices[0].device_kind}"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"GPU: {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001 - a device query must never stop training; CPU is the safe answer
        return "CPU"
    return "CPU"
