"""The compiled engine against the model.fit reference path: real Keras on the bundled digits, tiny models."""

from __future__ import annotations

import math
import threading

import pytest

from hptune.core.config import ACTIVATIONS, OPTIMIZERS, ConfigError, make_config
from hptune.core.events import BatchProgress, EpochEnded
from hptune.core.trainer import train

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 32, "epochs": 2, "batch_size": 128}
DIGITS = {"dataset": "digits", "hidden_layers": 1, "hidden_units": 16, "epochs": 2, "batch_size": 32,
          "learning_rate": 0.01}


def test_both_engines_reach_the_same_test_accuracy() -> None:
    config = SMALL | {"epochs": 3, "seed": 3}
    compiled = train(make_config(config | {"engine": "compiled"}))
    reference = train(make_config(config | {"engine": "keras"}))
    assert compiled.status == reference.status == "completed"
    assert compiled.backend == "jax, compiled" and reference.backend == "jax, model.fit"
    assert compiled.test_accuracy > 0.8
    assert abs(compiled.test_accuracy - reference.test_accuracy) <= 0.01
    assert [e.epoch for e in compiled.epochs] == [e.epoch for e in reference.epochs] == [1, 2, 3]


def test_dropout_is_seeded_and_changes_training() -> None:
    config = SMALL | {"dropout": 0.4, "engine": "compiled"}
    first, again = train(make_config(config | {"seed": 4})), train(make_config(config | {"seed": 4}))
    plain = train(make_config(config | {"seed": 4, "dropout": 0.0}))
    curve = lambda r: [(e.loss, e.val_loss, e.accuracy) for e in r.epochs]  # noqa: E731
    assert first.status == "completed" and curve(first) == curve(again)
    assert curve(first) != curve(plain)
    # Dropout acts in training only: the training loss (with units dropped) is above the validation loss.
    assert first.epochs[-1].loss > first.epochs[-1].val_loss
    assert first.test_accuracy > 0.7


def test_early_stopping_restores_the_best_weights() -> None:
    from hptune.core.backend import import_keras
    from hptune.core.data import load_dataset
    from hptune.core.engine import CompiledEngine, fit_compiled
    from hptune.core.model import build_model

    config = make_config({"dataset": "digits", "hidden_layers": 1, "hidden_units": 64, "epochs": 300, "patience": 2,
                          "learning_rate": 0.01, "batch_size": 64, "engine": "compiled"})
    keras = import_keras()
    data = load_dataset(config.dataset, config.validation_size, config.normalize)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, data.info.image_shape)
    engine = CompiledEngine(keras, model, data.x_train, data.y_train, data.x_val, data.y_val, config.batch_size,
                            config.seed)
    history: list = []
    status, _ = fit_compiled(engine, config, lambda event: None, threading.Event(), history, diverged_loss=1e5,
                             progress_interval=0.1)
    assert status == "early-stopped" and len(history) < 300
    best = min(history, key=lambda e: e.val_loss)
    assert best.epoch == len(history) - 2
    # The weights left in the engine and in the Keras model are the best epoch's, not the last one's.
    assert engine.validate() == pytest.approx((best.val_loss, best.val_accuracy), rel=1e-6)
    assert history[-1].val_loss > best.val_loss
    keras_loss, keras_accuracy = model.evaluate(data.x_val, data.y_val, verbose=0)
    assert keras_accuracy == pytest.approx(best.val_accuracy, abs=1e-6)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_transposed_kernels_train_as_the_model_layout_does(optimizer: str) -> None:
    """The engine keeps the first kernel (64 x 16) transposed and steps it with a twin of the model's optimizer;
    written back, the weights and every optimizer variable (moments, step count) are what the model's own layout
    gives, in the model's shapes."""
    import numpy as np

    from hptune.core.backend import import_keras
    from hptune.core.data import load_dataset
    from hptune.core.engine import CompiledEngine, fit_compiled
    from hptune.core.model import build_model

    momentum = 0.9 if optimizer in ("sgd", "rmsprop") else 0.0
    config = make_config(DIGITS | {"optimizer": optimizer, "momentum": momentum, "engine": "compiled"})
    keras = import_keras()
    data = load_dataset(config.dataset, config.validation_size, config.normalize)
    trained = []
    for transposed in (True, False):
        model = build_model(config, data.info.image_shape)
        engine = CompiledEngine(keras, model, data.x_train, data.y_train, data.x_val, data.y_val, config.batch_size,
                                config.seed, transposed=transposed)
        assert engine._flipped[0] is transposed and engine.trainable[0].shape == ((16, 64) if transposed else (64, 16))
        status, _ = fit_compiled(engine, config, lambda event: None, threading.Event(), [], diverged_loss=1e5,
                                 progress_interval=0.1)
        assert status == "completed"
        trained.append(([np.asarray(v.value) for v in model.weights],
                        [np.asarray(v.value) for v in model.optimizer.variables]))
    (weights, state), (reference_weights, reference_state) = trained
    assert [w.shape for w in weights] == [w.shape for w in reference_weights]
    for mine, reference in zip(weights + state, reference_weights + reference_state, strict=True):
        assert mine.shape == reference.shape
        np.testing.assert_allclose(mine, reference, rtol=1e-3, atol=1e-5)
    assert any(np.abs(v).sum() > 0 for v in state[2:])  # the moments moved: the comparison is not of zeros


def test_patience_through_train_reports_early_stopped() -> None:
    result = train(make_config({"dataset": "digits", "hidden_layers": 1, "hidden_units": 64, "epochs": 300,
                                "patience": 2, "learning_rate": 0.01, "batch_size": 64}))
    assert result.status == "early-stopped" and result.backend == "jax, compiled"
    assert result.best_epoch == len(result.epochs) - 2
    assert result.test_accuracy is not None and result.test_accuracy > 0.8


def test_a_huge_learning_rate_diverges_and_is_not_scored() -> None:
    result = train(make_config(SMALL | {"learning_rate": 10, "normalize": False, "epochs": 5, "engine": "compiled"}))
    assert result.status == "diverged" and result.test_accuracy is None
    assert "loss reached" in result.message


@pytest.mark.parametrize("engine", ["compiled", "keras"])
def test_stop_mid_epoch_is_honoured_at_the_next_chunk(engine: str) -> None:
    stop = threading.Event()
    after_stop: list = []

    def on_event(event) -> None:
        if stop.is_set():
            after_stop.append(event)
        elif isinstance(event, BatchProgress) and event.epoch == 2 and event.step < event.steps:
            stop.set()

    config = make_config(SMALL | {"epochs": 5, "batch_size": 16, "steps_per_execution": 1, "engine": engine})
    result = train(config, on_event=on_event, stop=stop)
    assert result.status == "stopped" and [e.epoch for e in result.epochs] == [1]
    assert not any(isinstance(e, (BatchProgress, EpochEnded)) for e in after_stop)
    assert result.test_accuracy is not None


def test_progress_arrives_several_times_per_epoch() -> None:
    events: list = []
    result = train(make_config(SMALL | {"epochs": 3, "engine": "compiled"}), on_event=events.append)
    assert result.status == "completed"
    for epoch in (1, 2, 3):
        progress = [e for e in events if isinstance(e, BatchProgress) and e.epoch == epoch]
        assert len(progress) >= 2
        assert progress[0].step < progress[-1].step == progress[-1].steps
        assert all(math.isfinite(e.loss) and e.samples_per_second > 0 for e in progress)


@pytest.mark.parametrize(("optimizer", "activation"),
                         [(OPTIMIZERS[i % len(OPTIMIZERS)], activation) for i, activation in enumerate(ACTIVATIONS)])
def test_every_optimizer_and_activation_trains(optimizer: str, activation: str) -> None:
    momentum = 0.9 if optimizer in ("sgd", "rmsprop") else 0.0
    result = train(make_config(DIGITS | {"optimizer": optimizer, "activation": activation, "momentum": momentum,
                                         "learning_rate": 0.1 if optimizer in ("sgd", "adagrad") else 0.01}))
    assert result.status == "completed" and result.backend == "jax, compiled"
    assert all(math.isfinite(e.loss) and math.isfinite(e.val_loss) for e in result.epochs)
    assert result.epochs[1].loss < result.epochs[0].loss
    assert result.test_accuracy > 0.3


def test_compiled_engine_on_another_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="engine compiled runs on the jax backend, not tensorflow"):
        make_config({"engine": "compiled", "backend": "tensorflow"})


def test_a_process_keeps_its_backend() -> None:
    from hptune.core.backend import import_keras

    loaded = import_keras().backend.backend()
    other = "tensorflow" if loaded != "tensorflow" else "jax"
    with pytest.raises(ConfigError, match=f"already runs Keras on {loaded}"):
        train(make_config(SMALL | {"backend": other, "engine": "keras"}))
