"""Builds the network from a config with the Keras 3 API only, so every Keras backend can train it."""

from __future__ import annotations

import math
from typing import Any

from hptune.core.backend import import_keras
from hptune.core.config import NUM_CLASSES, RunConfig


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


def build_model(config: RunConfig, image_shape: tuple[int, ...]) -> Any:
    """Flatten -> (Dense, Activation[, Dropout]) x hidden_layers -> Dense(10) -> softmax, compiled."""
    keras = import_keras()
    layers = [keras.Input(shape=image_shape), keras.layers.Flatten()]
    for width in config.widths:
        layers.append(keras.layers.Dense(width))
        layers.append(keras.layers.Activation(config.activation))
        if config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout))
    layers += [keras.layers.Dense(NUM_CLASSES), keras.layers.Activation("softmax")]
    model = keras.Sequential(layers, name="hptune_mlp")
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
