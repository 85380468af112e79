"""Reading the curves: pure functions that name a run's bias or variance and give advice the config does not
already follow.

The verdict reads the whole curve and the run's config:
- a wide train-validation gap is variance (overfitting), even when validation wobbles up at the end;
- training accuracy near chance, or far below what dense networks reach on digits, is bias (underfitting);
- "train longer" only while both accuracy curves still climb by more than their own epoch-to-epoch noise;
- advice never names what the config already does (normalized pixels, dropout, patience, a wide network).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from hptune.core.events import Diagnosis, EpochMetrics

#: Validation loss this much above its minimum (relative) counts as having turned.
TURN_MARGIN = 0.05
#: Training accuracy below this once the curves level off: the network cannot fit the images it learns from
#: (dense networks reach 0.97 and more on every bundled digit set).
UNDERFIT_ACCURACY = 0.90
#: Training accuracy this far above validation accuracy is memorising, not learning.
GAP = 0.05
#: Accuracy this close to guessing (1 / classes) means the network learnt next to nothing.
NEAR_CHANCE = 0.10
#: A rise smaller than this over the last epochs is not worth more epochs, whatever the noise.
MIN_RISE = 0.005
#: How many noise widths a rise must exceed to count as still climbing.
NOISE_WIDTHS = 2.0
#: Dropout at or above this is already strong: advice does not ask for more.
HIGH_DROPOUT = 0.5
#: Hidden layers at least this wide (each) count as a wide network: advice does not ask for more units.
WIDE = 512
NUM_CLASSES = 10


def best_epoch(epochs: Sequence[EpochMetrics]) -> int | None:
    """The epoch with the lowest validation loss (the one early stopping would restore)."""
    finite = [e for e in epochs if math.isfinite(e.val_loss)]
    return min(finite, key=lambda e: e.val_loss).epoch if finite else None


def _slope(values: Sequence[float]) -> float:
    """Least-squares slope per step."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def noise(values: Sequence[float]) -> float:
    """The epoch-to-epoch wobble of a curve: the spread of its values around their straight-line trend."""
    n = len(values)
    if n < 3:
        return 0.0
    slope = _slope(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    residuals = [v - (mean_y + slope * (i - mean_x)) for i, v in enumerate(values)]
    return statistics.pstdev(residuals)


def rise(values: Sequence[float]) -> tuple[float, float]:
    """(how much the trend climbed across `values`, the noise around it)."""
    return _slope(values) * (len(values) - 1), noise(values)


def climbing(values: Sequence[float]) -> bool:
    """Still rising by more than its noise (and by a visible amount)."""
    gain, wobble = rise(values)
    return gain > max(MIN_RISE, NOISE_WIDTHS * wobble)


def _window(epochs: Sequence[EpochMetrics]) -> Sequence[EpochMetrics]:
    """The last stretch of the curve the trend is read from: the last half, at least 3 and at most 20 epochs."""
    return epochs[-min(20, max(3, len(epochs) // 2)):]


def _kept(epochs: Sequence[EpochMetrics], config: Any) -> EpochMetrics:
    """The epoch whose weights the run kept: the best one when early stopping stopped and restored it."""
    best = best_epoch(epochs)
    patience = getattr(config, "patience", None)
    if patience and best is not None and epochs[-1].epoch - best >= patience:
        return next(e for e in epochs if e.epoch == best)
    return epochs[-1]


def _join(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _widths(config: Any) -> list[int]:
    return list(getattr(config, "widths", []) or [])


def _shape(config: Any) -> str:
    widths = _widths(config)
    if not widths:
        return "no hidden layer"
    return f"{len(widths)}x{widths[0]}" if len(set(widths)) == 1 else "x".join(map(str, widths))


def _underfit_advice(config: Any, near_chance: bool) -> str:
    if config is None:
        return "add hidden layers or units, normalize the pixels, or tune the learning rate"
    parts = []
    too_fast = config.learning_rate > 0.01
    if too_fast:
        parts.append(f"lower the learning rate (now {config.learning_rate:g})")
    if not config.normalize:
        parts.append("normalize the pixels (they are raw 0-255)")
    if config.dropout >= 0.3:
        parts.append(f"lower dropout (now {config.dropout:g})")
    widths = _widths(config)
    if (not widths or min(widths) < WIDE) and not (near_chance and too_fast):
        parts.append(f"use wider or more hidden layers (now {_shape(config)})")
    if config.learning_rate < 1e-4:
        parts.append(f"raise the learning rate (now {config.learning_rate:g})")
    elif not too_fast and not near_chance:
        parts.append("tune the learning rate")
    return _join(parts) or "try another optimizer or learning rate"


def _overfit_advice(config: Any, best: int | None, last: int) -> str:
    parts = []
    if config is None or config.dropout < HIGH_DROPOUT:
        now = f" (now {config.dropout:g})" if config is not None and config.dropout else ""
        parts.append(("raise dropout" if config is not None and config.dropout else "add dropout") + now)
    if (config is None or config.patience is None) and best is not None and last - best >= 2:
        parts.append(f"stop early (set patience, which keeps epoch {best})")  # only where val_loss turned up
    widths = _widths(config)
    if config is None or (widths and max(widths) > 16):
        parts.append("use fewer units")
    parts.append("train on more data")
    return _join(parts)


def _diverged_advice(config: Any) -> str:
    if config is None:
        return "lower the learning rate, or normalize the pixels"
    parts = [f"lower the learning rate (now {config.learning_rate:g})"]
    if not config.normalize:
        parts.append("normalize the pixels (they are raw 0-255)")
    elif config.optimizer == "sgd" and config.momentum >= 0.9:
        parts.append(f"lower the momentum (now {config.momentum:g})")
    return _join(parts)


def diagnose(epochs: Sequence[EpochMetrics], config: Any = None, diverged: bool = False) -> Diagnosis:
    """Label a run's curves. `config` (the run's RunConfig) keeps the advice from naming what the run already does;
    without one the advice is generic."""
    if diverged or any(not math.isfinite(e.loss) for e in epochs):
        return Diagnosis("diverged", "the loss blew up (NaN, infinite or huge): " + _diverged_advice(config))
    if not epochs:
        return Diagnosis("too short", "no finished epoch to judge")
    kept = _kept(epochs, config)
    train_acc, val_acc = kept.accuracy, kept.val_accuracy
    figures = {"train_accuracy": train_acc, "val_accuracy": val_acc}
    if len(epochs) < 3:
        return Diagnosis("too short", "too few epochs to judge the curves: train for more epochs", **figures)

    best = best_epoch(epochs)
    window = _window(epochs)
    gap = train_acc - val_acc
    min_val_loss = min(e.val_loss for e in epochs if math.isfinite(e.val_loss))
    turned = (
        best is not None
        and epochs[-1].epoch - best >= 2
        and epochs[-1].val_loss > min_val_loss * (1 + TURN_MARGIN)
        and _slope([e.loss for e in window]) < 0
        and gap > noise([e.val_accuracy for e in window])
    )
    if turned:
        return Diagnosis(
            "overfitting",
            f"validation loss is lowest at epoch {best} and rises while training loss falls; training accuracy"
            f" {train_acc:.1%} against validation {val_acc:.1%}: " + _overfit_advice(config, best, epochs[-1].epoch),
            since_epoch=best, **figures,
        )
    if gap > GAP:
        since = next((e.epoch for e in epochs if e.accuracy - e.val_accuracy > GAP), kept.epoch)
        return Diagnosis(
            "overfitting",
            f"training accuracy {train_acc:.1%} but validation {val_acc:.1%}, a gap of {gap * 100:.1f} points:"
            " the network memorises the training images; " + _overfit_advice(config, best, epochs[-1].epoch),
            since_epoch=since, **figures,
        )

    chance = 1.0 / NUM_CLASSES
    near_chance = train_acc < chance + NEAR_CHANCE
    still_climbing = climbing([e.accuracy for e in window]) and climbing([e.val_accuracy for e in window])
    if near_chance:
        return Diagnosis(
            "underfitting",
            f"training accuracy {train_acc:.1%} is near chance ({chance:.0%}): the network learnt next to nothing; "
            + _underfit_advice(config, near_chance=True),
            **figures,
        )
    if still_climbing:
        gain, _ = rise([e.val_accuracy for e in window])
        planned = f" (now {config.epochs})" if config is not None else ""
        return Diagnosis(
            "train longer",
            f"training and validation accuracy both still climb (validation +{gain * 100:.1f} points over the last"
            f" {len(window)} epochs, more than their epoch-to-epoch noise): train for more epochs{planned}",
            **figures,
        )
    if train_acc < UNDERFIT_ACCURACY:
        return Diagnosis(
            "underfitting",
            f"training accuracy levelled off at {train_acc:.1%}, far below what the data allows: "
            + _underfit_advice(config, near_chance=False),
            **figures,
        )
    return Diagnosis(
        "good fit", f"training and validation curves levelled off together, {gap * 100:.1f} points apart", **figures
    )
