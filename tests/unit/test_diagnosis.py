from __future__ import annotations

import math

import pytest

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


# --- recorded curves: `hptune run --preset ... --dataset mnist-5k` on the bundled sample (loss, acc, val_loss, val_acc)
SEED_2X100_RAW = [
    (21.0422, 0.4692, 5.8126, 0.7226), (3.9397, 0.7897, 3.6546, 0.7991), (2.1627, 0.8542, 2.8104, 0.8186),
    (1.2762, 0.8971, 2.6080, 0.8276), (0.7677, 0.9268, 2.1853, 0.8456), (0.4680, 0.9379, 1.9428, 0.8546),
    (0.2697, 0.9598, 2.0496, 0.8486), (0.1702, 0.9721, 1.9167, 0.8471), (0.0645, 0.9862, 1.9841, 0.8531),
    (0.0345, 0.9922, 1.9410, 0.8531),
]
SEED_2X10_RAW = [
    (21.1239, 0.1143, 6.3220, 0.1424), (4.4364, 0.1461, 2.9178, 0.1004), (2.5048, 0.1155, 2.4217, 0.0990),
    (2.3015, 0.1191, 2.3760, 0.0990), (2.2629, 0.1224, 2.3590, 0.0960), (2.2431, 0.1266, 2.3492, 0.0975),
    (2.2262, 0.1401, 2.3352, 0.1229), (2.2102, 0.1515, 2.3214, 0.1274), (2.1938, 0.1593, 2.3197, 0.1364),
    (2.1636, 0.1704, 2.2906, 0.1499),
]
SEED_10X10_NORMALIZED = [
    (2.3013, 0.1017, 2.2976, 0.1364), (2.2913, 0.1662, 2.2781, 0.1934), (2.2589, 0.1953, 2.2269, 0.1964),
    (2.1963, 0.1962, 2.1641, 0.1949), (2.1392, 0.1947, 2.1147, 0.1949), (2.0965, 0.1947, 2.0751, 0.1919),
    (2.0595, 0.1947, 2.0457, 0.2279), (2.0265, 0.2208, 2.0276, 0.1964), (2.0025, 0.2097, 2.0076, 0.1964),
    (1.9796, 0.2133, 1.9897, 0.1964),
]
#: Made by hand (not recorded): a normalized 10x10 run that learnt, levelling off near 0.9 with a small gap.
LEARNT_10X10_NORMALIZED = [
    (2.10, 0.30, 1.80, 0.45), (1.40, 0.58, 1.20, 0.64), (0.95, 0.72, 0.90, 0.74), (0.70, 0.80, 0.72, 0.79),
    (0.55, 0.85, 0.62, 0.82), (0.46, 0.87, 0.58, 0.835), (0.40, 0.885, 0.56, 0.84), (0.36, 0.893, 0.55, 0.842),
    (0.33, 0.899, 0.55, 0.843), (0.31, 0.903, 0.55, 0.842),
]


def recorded(rows) -> list[EpochMetrics]:
    return curves(*zip(*rows, strict=True))


def preset(name: str, **values) -> object:
    from hptune.core.config import make_config

    return make_config({"dataset": "mnist-5k", **values}, preset=name)


def test_seed_2x100_flat_validation_is_variance_with_the_gap_as_a_number() -> None:
    result = diagnose(recorded(SEED_2X100_RAW), preset("seed-2x100"))
    assert result.label == "overfitting" and result.source == "variance"
    assert result.train_accuracy == 0.9922 and result.val_accuracy == 0.8531
    assert result.gap == pytest.approx(0.9922 - 0.8531)
    assert "gap 0.139 (variance)" in result.figures and "(variance)" in result.line
    data = result.to_dict()
    assert data["gap"] == pytest.approx(0.1391) and data["source"] == "variance"


def test_a_wide_gap_stays_variance_when_validation_wobbles_up_at_the_end() -> None:
    rows = [*SEED_2X100_RAW[:-1], (0.0300, 0.9930, 1.9000, 0.8581)]
    result = diagnose(recorded(rows), preset("seed-2x100"))
    assert result.label == "overfitting" and result.source == "variance"


def test_seed_2x10_raw_pixels_near_chance_is_bias_not_train_longer() -> None:
    result = diagnose(recorded(SEED_2X10_RAW), preset("seed-2x10"))
    assert result.label == "underfitting" and result.source == "bias"
    assert "near chance" in result.advice and "normalize the pixels" in result.advice
    assert result.bias == pytest.approx(1 - 0.1704)


@pytest.mark.parametrize("rows", [SEED_10X10_NORMALIZED, LEARNT_10X10_NORMALIZED, SEED_2X10_RAW, SEED_2X100_RAW])
def test_a_normalized_run_is_never_told_to_normalize(rows) -> None:
    result = diagnose(recorded(rows), preset("seed-10x10", normalize=True))
    assert "normalize" not in result.line


def test_the_same_curves_on_raw_pixels_are_told_to_normalize() -> None:
    result = diagnose(recorded(SEED_10X10_NORMALIZED), preset("seed-10x10"))
    assert result.label == "underfitting" and "normalize the pixels" in result.advice


def test_a_diverged_normalized_run_is_not_told_to_normalize() -> None:
    rows = [(2.2, 0.2, 2.1, 0.2), (math.inf, 0.1, math.nan, 0.1)]
    normalized = diagnose(recorded(rows), preset("seed-2x100", normalize=True, learning_rate=5.0), diverged=True)
    assert normalized.label == "diverged" and "normalize" not in normalized.advice
    assert "learning rate (now 5)" in normalized.advice
    raw = diagnose(recorded(rows), preset("seed-2x100", learning_rate=5.0), diverged=True)
    assert "normalize the pixels" in raw.advice


def test_overfitting_advice_leaves_out_what_the_config_already_does() -> None:
    plain = diagnose(recorded(SEED_2X100_RAW), preset("seed-2x100"))
    assert "add dropout" in plain.advice and "patience" in plain.advice
    cured = diagnose(recorded(SEED_2X100_RAW), preset("seed-2x100", dropout=0.5, patience=20))
    assert cured.label == "overfitting"
    assert "dropout" not in cured.advice and "patience" not in cured.advice and "more data" in cured.advice


def test_early_stopping_is_not_advised_when_validation_loss_never_turned_up() -> None:
    rows = [(1.0 / (i + 1), min(1.0, 0.7 + 0.05 * i), 2.0 - 0.01 * i, 0.85) for i in range(12)]
    result = diagnose(recorded(rows), preset("seed-2x100"))
    assert result.label == "overfitting" and "patience" not in result.advice and "add dropout" in result.advice


def test_underfitting_advice_leaves_out_what_the_config_already_does() -> None:
    rows = [(1.6, 0.45 + 0.0001 * i, 1.6, 0.44) for i in range(12)]
    wide = diagnose(recorded(rows), preset("seed-2x100", hidden_units=1024, normalize=True))
    assert wide.label == "underfitting" and "wider" not in wide.advice and "normalize" not in wide.advice
    heavy = diagnose(recorded(rows), preset("seed-2x100", dropout=0.6, normalize=True))
    assert "lower dropout (now 0.6)" in heavy.advice


def test_train_longer_only_while_both_curves_climb_above_their_noise() -> None:
    n = 12
    wobble = [0.012 * (-1) ** i for i in range(n)]
    noisy_flat = [(0.3, 0.93 + 0.001 * i + wobble[i], 0.3, 0.92 + 0.001 * i - wobble[i]) for i in range(n)]
    assert diagnose(recorded(noisy_flat), preset("seed-2x100", normalize=True)).label == "good fit"
    climbing = [(0.5 - 0.02 * i, 0.90 + 0.006 * i, 0.5 - 0.02 * i, 0.89 + 0.006 * i) for i in range(n)]
    result = diagnose(recorded(climbing), preset("seed-2x100", normalize=True))
    assert result.label == "train longer" and "(now 10)" in result.advice
    train_only = [(0.5 - 0.02 * i, 0.90 + 0.006 * i, 0.5, 0.89 + 0.0002 * i) for i in range(n)]
    assert diagnose(recorded(train_only), preset("seed-2x100", normalize=True)).label != "train longer"


def test_an_early_stopped_run_is_judged_at_the_epoch_it_kept() -> None:
    rows = [*LEARNT_10X10_NORMALIZED[:6], (0.30, 0.95, 0.70, 0.83), (0.25, 0.97, 0.80, 0.83)]
    result = diagnose(recorded(rows), preset("seed-10x10", normalize=True, patience=2))
    assert result.train_accuracy == 0.87 and result.val_accuracy == 0.835


def test_figures_survive_a_round_trip_through_a_dict() -> None:
    from hptune.core.events import Diagnosis

    result = diagnose(recorded(SEED_2X100_RAW), preset("seed-2x100"))
    assert Diagnosis.from_dict(result.to_dict()) == result
    old = Diagnosis.from_dict({"label": "good fit", "advice": "fine", "since_epoch": None})
    assert old.gap is None and old.figures == ""
