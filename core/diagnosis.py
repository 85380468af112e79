"""Reading the curves: pure functions that label a run and give one line of advice."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hptune.core.events import Diagnosis, EpochMetrics

#: Validation loss this much above its minimum (relative) counts as having turned.
TURN_MARGIN = 0.05
#: Training accuracy below this after the curve flattened means the model is too small or too constrained.
UNDERFIT_ACCURACY = 0.90
#: Training accuracy this far above validation accuracy, once the curves level off, is memorising, not learning.
GAP = 0.05
#: Validation accuracy gain per epoch, over the last epochs, that still counts as improving.
IMPROVING_SLOPE = 0.002


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


def diagnose(epochs: Sequence[EpochMetrics], diverged: bool = False) -> Diagnosis:
    if diverged or any(not math.isfinite(e.loss) for e in epochs):
        return Diagnosis(
            "diverged",
            "the loss blew up (NaN, infinite or huge): the learning rate is likely too high for these inputs;"
            " lower it, or normalize the pixels",
        )
    if len(epochs) < 3:
        return Diagnosis("too short", "too few epochs to judge the curves: train for more epochs")

    best = best_epoch(epochs)
    last = epochs[-1]
    min_val_loss = min(e.val_loss for e in epochs)
    window = epochs[-max(3, len(epochs) // 5):]
    train_still_falling = _slope([e.loss for e in window]) < 0
    if (
        best is not None
        and last.epoch - best >= 2
        and last.val_loss > min_val_loss * (1 + TURN_MARGIN)
        and train_still_falling
    ):
        return Diagnosis(
            "overfitting",
            f"validation loss is lowest at epoch {best} and rising while training loss falls: stop earlier"
            " (set patience) or add dropout",
            since_epoch=best,
        )

    val_slope = _slope([e.val_accuracy for e in window])
    train_slope = _slope([e.accuracy for e in window])
    if val_slope > IMPROVING_SLOPE or (train_slope > IMPROVING_SLOPE and val_slope > 0):
        return Diagnosis("train longer", "validation accuracy is still rising: train for more epochs")
    if last.accuracy - last.val_accuracy > GAP:
        since = next(e.epoch for e in epochs if e.accuracy - e.val_accuracy > GAP)
        return Diagnosis(
            "overfitting",
            f"training accuracy {last.accuracy:.1%} but validation {last.val_accuracy:.1%}: the network memorises the"
            " training images; add dropout, use fewer units, or train on more data",
            since_epoch=since,
        )
    if last.accuracy < UNDERFIT_ACCURACY:
        return Diagnosis(
            "underfitting",
            f"training accuracy levelled off at {last.accuracy:.1%}: add hidden layers or units, normalize the"
            " pixels, or tune the learning rate",
        )
    return Diagnosis("good fit", "training and validation curves have levelled off together")
