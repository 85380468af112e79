"""One finished run: what the trainer returns, what its RunFinished event carries, what the store writes and reads
back, and what every front end shows. `to_json` is the one way any of it leaves as JSON (no NaN in it)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any

from hptune.core.config import RunConfig
from hptune.core.events import DatasetInfo, Diagnosis, EpochMetrics, Status

#: Statuses that end a run with its finished epochs usable (exit code 0 on the command line).
OK_STATUSES: frozenset[str] = frozenset({"completed", "early-stopped", "stopped"})


@dataclass
class RunOutcome:
    """A run as it ended (or, read from the store, as far as it got).

    The trainer fills one in as the run goes and hands it over once, in RunFinished and as `train()`'s return
    value; nobody changes it after that except the store's recorder, which gives it its `run_id`. The last five
    fields are the store's: where the run sits and when it ran.
    """

    status: Status
    config: RunConfig
    dataset: DatasetInfo | None = None
    epochs: list[EpochMetrics] = field(default_factory=list)
    message: str | None = None
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    #: Macro-F1 of the final weights on the validation set: a sweep may select on it (the test set it may not).
    val_macro_f1: float | None = None
    #: Rows are the true label, columns the predicted one.
    confusion: tuple[tuple[int, ...], ...] | None = None
    train_seconds: float | None = None
    #: Trainable parameters of the network.
    params: int | None = None
    device: str | None = None
    backend: str | None = None
    best_epoch: int | None = None
    diagnosis: Diagnosis | None = None
    #: Up to 100 misclassified test images: (index into the test set, true label, predicted label).
    mistakes: tuple[tuple[int, int, int], ...] = ()
    run_id: int | None = None
    study: str | None = None
    #: The trial number within its study.
    number: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: The values a sweep sampled for this trial (empty for a single run).
    trial_params: dict[str, Any] = field(default_factory=dict)
    #: The run's trained network as a Keras file, when it was kept (`keep_model`); None when none was.
    model_file: str | None = None
    #: The size of that file in bytes.
    model_bytes: int | None = None
    #: Labels a writer attached to the run (`hptune_*` attributes: its repeat group, a lesson's step, ...).
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """It ended with usable results (completed, early-stopped or stopped)."""
        return self.status in OK_STATUSES

    @property
    def val_accuracy(self) -> float | None:
        """The validation accuracy of the last finished epoch."""
        return self.epochs[-1].val_accuracy if self.epochs else None

    @property
    def best_val_accuracy(self) -> float | None:
        finite = [e.val_accuracy for e in self.epochs if math.isfinite(e.val_accuracy)]
        return max(finite) if finite else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the config as its fields, the diagnosis with its one-line text."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["config"] = self.config.model_dump()
        data["diagnosis"] = self.diagnosis.to_dict() if self.diagnosis else None
        return json_safe(data)


def json_safe(value: Any) -> Any:
    """Plain JSON data: non-finite floats become null, dataclasses dicts, tuples lists, datetimes ISO text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return json_safe(value.to_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return json_safe({f.name: getattr(value, f.name) for f in fields(value)})
    if hasattr(value, "model_dump"):
        return json_safe(value.model_dump())
    return value


def to_json(value: Any) -> str:
    """One line of strict JSON (no NaN or Infinity) for anything hptune prints or logs."""
    return json.dumps(json_safe(value), allow_nan=False)
