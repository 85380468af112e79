"""The diagnosis on real runs: real Keras on the bundled mnist-5k sample, through the trainer and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hptune.core.config import make_config
from hptune.core.trainer import train
from tests.unit.test_cli import hptune

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 32, "epochs": 3, "batch_size": 128}


def test_a_normalized_run_stuck_by_a_huge_learning_rate_is_told_to_lower_it_not_to_normalize() -> None:
    result = train(make_config(SMALL | {"learning_rate": 10.0, "optimizer": "sgd", "momentum": 0.9}))
    d = result.diagnosis
    assert d is not None and d.source == "bias" and d.train_accuracy is not None and d.train_accuracy < 0.3
    assert "lower the learning rate (now 10)" in d.advice and "normalize" not in d.line


def test_a_raw_pixel_run_that_diverges_is_told_to_normalize() -> None:
    result = train(make_config(SMALL | {"learning_rate": 10, "normalize": False, "epochs": 5}))
    assert result.status == "diverged" and "normalize the pixels" in result.diagnosis.advice


def test_a_run_carries_its_final_accuracies_and_gap() -> None:
    result = train(make_config(SMALL | {"normalize": True}))
    d, last = result.diagnosis, result.epochs[-1]
    assert d.train_accuracy == last.accuracy and d.val_accuracy == last.val_accuracy
    assert d.gap == pytest.approx(last.accuracy - last.val_accuracy)


@pytest.mark.slow
def test_seed_2x100_names_overfitting_variance_with_the_gap(store_path: Path) -> None:
    done = hptune("run", "--preset", "seed-2x100", "--dataset", "mnist-5k", "--json", store=store_path, timeout=400)
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout.strip().splitlines()[-1])["diagnosis"]
    assert d["label"] == "overfitting" and d["source"] == "variance"
    assert d["gap"] > 0.05 and d["gap"] == pytest.approx(d["train_accuracy"] - d["val_accuracy"])
    assert f"gap {d['gap']:.3f} (variance)" in d["figures"]
