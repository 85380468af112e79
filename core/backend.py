"""The Keras backend, imported only when training or data loading needs it (it takes seconds)."""

from __future__ import annotations

import os
import threading
from types import ModuleType

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
            import keras

            _keras = keras
        return _keras


def backend_name() -> str:
    return import_keras().backend.backend()


def device_name() -> str:
    """The device that trains: 'CPU' or the GPU's name, asked of whichever backend Keras runs on."""
    backend = backend_name()
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
