"""Real Keras on the bundled digits: small models, few epochs."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hptune.core.config import ConfigError, make_config
from hptune.core.events import BatchProgress, DataLoading, EpochEnded, RunFinished, RunStarted
from hptune.core.trainer import score_predictions, train

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 32, "epochs": 2, "batch_size": 128}


def test_a_run_emits_events_in_order_and_scores_the_test_set() -> None:
    events = []
    result = train(make_config(SMALL), on_event=events.append)
    kinds = [type(e) for e in events]
    assert kinds[0] is DataLoading and kinds[1] is RunStarted and kinds[-1] is RunFinished
    assert [e.metrics.epoch for e in events if isinstance(e, EpochEnded)] == [1, 2]
    assert any(isinstance(e, BatchProgress) for e in events)
    started = events[1]
    assert started.params == make_config(SMALL).param_count() and started.device == "CPU"
    assert started.dataset.name == "mnist-5k"
    assert result.status == "completed" and len(result.epochs) == 2
    assert result.test_accuracy is not None and result.test_accuracy > 0.7
    assert 0 < result.test_macro_f1 <= 1
    assert sum(map(sum, result.confusion)) == 1000
    assert result.diagnosis is not None
    assert all(true != pred for _, true, pred in result.mistakes)
    finished = events[-1]
    assert finished.outcome is result  # the event carries the very outcome train() returns


def test_same_seed_same_curves() -> None:
    first = train(make_config(SMALL | {"seed": 7}))
    second = train(make_config(SMALL | {"seed": 7}))
    other = train(make_config(SMALL | {"seed": 8}))
    curve = lambda r: [(e.loss, e.val_loss, e.accuracy, e.val_accuracy) for e in r.epochs]  # noqa: E731
    assert curve(first) == curve(second)
    assert curve(first) != curve(other)


def test_stop_ends_the_run_and_keeps_finished_epochs() -> None:
    stop = threading.Event()

    def on_event(event) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch == 2:
            stop.set()

    result = train(make_config(SMALL | {"epochs": 50}), on_event=on_event, stop=stop)
    assert result.status == "stopped"
    assert [e.epoch for e in result.epochs] == [1, 2]
    assert result.test_accuracy is not None


def test_stop_mid_epoch_drops_the_partial_epoch() -> None:
    stop = threading.Event()
    seen = []

    def on_event(event) -> None:
        seen.append(event)
        if isinstance(event, BatchProgress) and event.epoch == 2 and event.step < event.steps:
            stop.set()

    config = make_config(SMALL | {"epochs": 5, "batch_size": 16, "steps_per_execution": 1})
    result = train(config, on_event=on_event, stop=stop)
    assert result.status == "stopped" and [e.epoch for e in result.epochs] == [1]


def test_huge_learning_rate_on_raw_pixels_diverges() -> None:
    result = train(make_config(SMALL | {"learning_rate": 10, "normalize": False, "epochs": 5}))
    assert result.status == "diverged"
    assert result.diagnosis is not None and result.diagnosis.label == "diverged"
    assert result.test_accuracy is None


def test_patience_stops_early_and_restores_best() -> None:
    config = make_config({"dataset": "digits", "hidden_layers": 1, "hidden_units": 64, "epochs": 300,
                          "patience": 2, "learning_rate": 0.01, "batch_size": 64})
    result = train(config)
    assert result.status == "early-stopped"
    assert len(result.epochs) < 300
    assert result.best_epoch == len(result.epochs) - 2


def test_batch_larger_than_training_set_is_refused_before_training() -> None:
    with pytest.raises(ConfigError, match="batch_size: 5,000 is larger than the 3,333 training images"):
        train(make_config(SMALL | {"batch_size": 5000}))


def test_score_predictions() -> None:
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    acc, f1, confusion = score_predictions(y_true, y_pred, classes=3)
    assert acc == pytest.approx(0.6)
    assert confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    # per class F1: 0.5, 0.8, 0.0
    assert f1 == pytest.approx((0.5 + 0.8 + 0.0) / 3)


@pytest.fixture
def collections(monkeypatch) -> list[tuple]:
    """The arguments of every cycle collection from now on (the collections still run)."""
    import gc

    calls: list[tuple] = []
    original = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args) or original(*args))
    return calls


def test_a_run_collects_its_garbage_unless_another_follows_at_once(collections) -> None:
    """The training process's warm-up leaves the collection to the run that stopped it."""
    config = make_config(SMALL | {"epochs": 1})
    assert train(config, collect=False).status == "completed"
    assert not collections
    assert train(config).status == "completed"
    assert collections


def test_a_run_closes_with_one_collection_that_skips_keras(collections) -> None:
    """Keras and its backend, once imported, are frozen out of the cycle collector's full passes, and a run ends with
    one full pass (Keras' clear_session would add a second): a sweep worker pays that pass every trial."""
    import gc

    from hptune.core.backend import import_keras
    from hptune.core.engine import CompiledEngine

    keras = import_keras()
    assert not any(o is keras.layers.Dense for o in gc.get_objects())  # frozen: not in the collected generations
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, CompiledEngine)}  # another test's, if any
    collections.clear()  # importing Keras above may have collected the young generations before freezing
    result = train(make_config(SMALL | {"epochs": 1}))
    assert result.status == "completed"
    assert collections == [()]
    # That pass freed the run's network and engine (held in a cycle by the engine's compiled methods), so a worker's
    # memory does not carry one run's programs into the next.
    assert not [o for o in gc.get_objects() if isinstance(o, CompiledEngine) and id(o) not in earlier]
