from __future__ import annotations

import math

from hptune.core.diagnosis import best_epoch, diagnose
from hptune.core.events import EpochMetrics


def curves(loss, acc, val_loss, val_acc) -> list[EpochMetrics]:
    rows = zip(loss, acc, val_loss, val_acc, strict=True)
    return [EpochMetrics(i + 1, lo, a, vl, va, 1.0) for i, (lo, a, vl, va) in enumerate(rows)]


def test_overfitting_names_the_turning_epoch() -> None:
    n = 30
    loss = [1.0 / (i + 1) for i in range(n)]
    acc = [min(0.999, 0.8 + 0.01 * i) for i in range(n)]
    val_loss = [0.5 - 0.05 * i if i < 6 else 0.25 + 0.02 * (i - 5) for i in range(n)]
    val_acc = [0.9 + 0.01 * min(i, 5) - 0.001 * max(0, i - 5) for i in range(n)]
    result = diagnose(curves(loss, acc, val_loss, val_acc))
    assert result.label == "overfitting" and result.since_epoch == 6
    assert "dropout" in result.advice and "since epoch 6" in result.line


def test_still_improving_says_train_longer() -> None:
    n = 10
    result = diagnose(curves([1 - 0.05 * i for i in range(n)], [0.6 + 0.03 * i for i in range(n)],
                             [1 - 0.05 * i for i in range(n)], [0.6 + 0.03 * i for i in range(n)]))
    assert result.label == "train longer" and "more epochs" in result.advice


def test_flat_and_low_is_underfitting() -> None:
    n = 12
    result = diagnose(curves([1.6] * n, [0.45 + 0.0001 * i for i in range(n)], [1.6] * n, [0.44] * n))
    assert result.label == "underfitting" and "units" in result.advice


def test_flat_and_high_is_a_good_fit() -> None:
    n = 12
    result = diagnose(curves([0.1] * n, [0.97] * n, [0.12] * n, [0.965] * n))
    assert result.label == "good fit"


def test_nan_loss_is_diverged() -> None:
    result = diagnose(curves([2.0, math.nan], [0.1, 0.1], [2.0, math.nan], [0.1, 0.1]))
    assert result.label == "diverged" and "learning rate" in result.advice


def test_too_few_epochs() -> None:
    assert diagnose(curves([1.0], [0.5], [1.0], [0.5])).label == "too short"


def test_best_epoch_is_lowest_val_loss() -> None:
    assert best_epoch(curves([1, 1, 1], [0, 0, 0], [0.5, 0.3, 0.4], [0, 0, 0])) == 2
    assert best_epoch([]) is None


def test_a_wide_gap_on_level_curves_is_overfitting() -> None:
    n = 40
    acc = [min(1.0, 0.5 + 0.1 * i) for i in range(n)]
    val_acc = [min(0.87, 0.5 + 0.08 * i) for i in range(n)]
    result = diagnose(curves([0.01] * n, acc, [1.9 - 0.001 * i for i in range(n)], val_acc))
    assert result.label == "overfitting" and "memorises" in result.advice
    assert result.since_epoch == next(i + 1 for i in range(n) if acc[i] - val_acc[i] > 0.05)
