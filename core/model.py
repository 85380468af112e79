"""Builds the network from a config with the Keras 3 API only, so every Keras backend can train it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hptune.core.backend import import_keras
from hptune.core.config import NUM_CLASSES, RunConfig

if TYPE_CHECKING:
    from hptune.core.outcome import RunOutcome


def build_optimizer(config: RunConfig) -> Any:
    keras = import_keras()
    lr = config.learning_rate
    match config.optimizer:
        case "adam":
            return keras.optimizers.Adam(learning_rate=lr)
        case "sgd":
            return keras.optimizers.SGD(learning_rate=lr, momentum=config.momentum)
        case "rmsprop":
            return keras.optimizers.RMSprop(learning_rate=lr, momentum=config.momentum)
        case "adamw":
            return keras.optimizers.AdamW(learning_rate=lr)
        case "nadam":
            return keras.optimizers.Nadam(learning_rate=lr)
        case "adagrad":
            return keras.optimizers.Adagrad(learning_rate=lr)
    raise ValueError(f"optimizer: unknown {config.optimizer!r}")  # unreachable: the config's Literal rules it out


def _host_initializers(keras: Any, seed: int) -> tuple[Any, Any]:
    """Keras' Dense defaults (Glorot-uniform kernels, zero biases) drawn with NumPy from the run's seed.

    On the JAX backend Keras draws each weight with a compiled random program, one per shape: a second or more of
    compilation before a new user's first epoch (and a cache lookup per shape on every later start). The same
    distribution drawn on the host costs nothing to start and gives the same first weights on every backend."""
    rng = np.random.default_rng(seed)

    class GlorotUniform(keras.initializers.Initializer):
        def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
            fan_in, fan_out = (shape[0], shape[-1]) if len(shape) >= 2 else (shape[0], shape[0])
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            values = rng.uniform(-limit, limit, size=shape).astype(np.float32)
            return keras.ops.convert_to_tensor(values, dtype=dtype)

    class Zeros(keras.initializers.Initializer):
        def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
            return keras.ops.convert_to_tensor(np.zeros(shape, np.float32), dtype=dtype)

    return GlorotUniform(), Zeros()


def build_model(config: RunConfig, image_shape: tuple[int, ...]) -> Any:
    """Flatten -> (Dense, Activation[, Dropout]) x hidden_layers -> Dense(10) -> softmax, compiled."""
    keras = import_keras()
    kernel, bias = _host_initializers(keras, config.seed)
    dense = []
    layers = [keras.Input(shape=image_shape), keras.layers.Flatten()]
    for width in config.widths:
        dense.append(keras.layers.Dense(width, kernel_initializer=kernel, bias_initializer=bias))
        layers.append(dense[-1])
        layers.append(keras.layers.Activation(config.activation))
        if config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout))
    dense.append(keras.layers.Dense(NUM_CLASSES, kernel_initializer=kernel, bias_initializer=bias))
    layers += [dense[-1], keras.layers.Activation("softmax")]
    model = keras.Sequential(layers, name="hptune_mlp")  # builds the layers: the weights are drawn here
    for layer in dense:  # a saved model names Keras' own initializers, which draw the same distribution
        layer.kernel_initializer = keras.initializers.GlorotUniform()
        layer.bias_initializer = keras.initializers.Zeros()
    model.compile(
        optimizer=build_optimizer(config),
        # Integer labels with the sparse loss equal the tutorial's one-hot categorical cross-entropy, with less memory.
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        # The PyTorch backend runs one step per call; the others batch steps for speed.
        steps_per_execution=1 if keras.backend.backend() == "torch" else config.effective_steps_per_execution(
            math.prod(image_shape)
        ),
    )
    return model


def load_kept_model(path: str | Path) -> Any:
    """Open a model file hptune wrote, with Keras' safe mode on (no arbitrary code runs while it loads)."""
    keras = import_keras()
    return keras.models.load_model(path, safe_mode=True)


def export_model(record: RunOutcome, out: str | Path) -> int:
    """Write a run's kept model to `out` (a `.keras` file) once Keras has opened it in safe mode; returns its size.
    The copy is written to a temporary file beside `out` and renamed, so `out` is never half-written."""
    from hptune.core.backend import select_backend
    from hptune.core.errors import InputError, StoreFailure
    from hptune.core.store.models import write_atomically

    if not record.model_file:
        raise InputError(f"run {record.run_id} kept no model: train it again with --keep-model (or tick Keep model"
                         " in the form) to export it", field="run_id")
    target = Path(out)
    if target.suffix != ".keras":
        raise InputError(f"--out: {out} should end in .keras (the Keras model format)", field="out")
    source = Path(record.model_file)
    if not source.is_file():
        raise StoreFailure(f"run {record.run_id}: its model file {source} is missing (moved or deleted?)",
                           file=str(source))
    select_backend()  # a .keras file opens on any backend
    try:
        load_kept_model(source)
    except Exception as err:  # noqa: BLE001 - whatever Keras raises, the file is not a model it will open safely
        raise StoreFailure(f"run {record.run_id}: {source} is not a Keras model file that opens in safe mode"
                           f" ({type(err).__name__}: {err})", file=str(source)) from None
    if not target.parent.is_dir():
        raise InputError(f"--out: the folder {target.parent} does not exist", field="out")
    write_atomically(source, target)
    return target.stat().st_size
