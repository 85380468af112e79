from __future__ import annotations

import pytest

from hptune.core.config import make_config
from hptune.core.model import build_model


def layer_kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_tutorial_stack() -> None:
    model = build_model(make_config(preset="seed-2x10"), (28, 28))
    assert layer_kinds(model) == ["Flatten", "Dense", "Activation", "Dense", "Activation", "Dense", "Activation"]
    assert model.layers[-1].get_config()["activation"] == "softmax"
    assert model.count_params() == make_config(preset="seed-2x10").param_count()


def test_per_layer_widths_dropout_and_activation() -> None:
    config = make_config({"hidden_layers": 3, "hidden_units": [64, 32, 16], "dropout": 0.3, "activation": "tanh"})
    model = build_model(config, (8, 8))
    dense = [layer.units for layer in model.layers if type(layer).__name__ == "Dense"]
    assert dense == [64, 32, 16, 10]
    assert layer_kinds(model).count("Dropout") == 3
    assert {layer.get_config()["activation"] for layer in model.layers[2:-2:3]} == {"tanh"}
    assert model.count_params() == config.param_count(64)


def test_no_hidden_layers_is_softmax_regression() -> None:
    model = build_model(make_config({"hidden_layers": 0}), (28, 28))
    assert layer_kinds(model) == ["Flatten", "Dense", "Activation"]


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop", "adamw", "nadam", "adagrad"])
def test_every_optimizer_builds_with_its_settings(name: str) -> None:
    model = build_model(make_config({"optimizer": name, "learning_rate": 0.02, "momentum": 0.5}), (28, 28))
    optimizer = model.optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.02)
    if name in ("sgd", "rmsprop"):
        assert optimizer.momentum == pytest.approx(0.5)


def test_first_weights_come_from_the_seed_and_a_saved_model_names_keras_initializers() -> None:
    import math

    import numpy as np

    def first_weights(seed: int) -> tuple[list[np.ndarray], object]:
        model = build_model(make_config({"hidden_layers": 2, "hidden_units": 32, "seed": seed}), (8, 8))
        return [np.asarray(w) for w in model.get_weights()], model

    (a, model), (b, _), (c, _) = first_weights(1), first_weights(1), first_weights(2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    for kernel, bias in zip(a[::2], a[1::2], strict=True):
        limit = math.sqrt(6 / (kernel.shape[0] + kernel.shape[1]))  # Glorot-uniform, as Keras' Dense default
        assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
        assert not bias.any()
    for layer in (layer for layer in model.layers if type(layer).__name__ == "Dense"):
        config = layer.get_config()
        assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
        assert config["bias_initializer"]["class_name"] == "Zeros"
