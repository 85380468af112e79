"""Reading runs back: every function here only reads. A run whose process died reads as `interrupted`, worked out
from its recorded host, pid, process start time and heartbeat; writing that down is `repair`'s job."""

from __future__ import annotations

import math
import os
import re
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from hptune.core.config import RunConfig
from hptune.core.events import DatasetInfo, Diagnosis, EpochMetrics
from hptune.core.outcome import RunOutcome

RUNS_STUDY = "runs"
#: A running trial on another host whose heartbeat is older than this is taken as interrupted.
STALE_SECONDS = 600.0
#: Study user attribute that marks a sweep (its settings); interrupted trials of a sweep are run again once.
SWEEP_ATTR = "hptune_sweep"
#: Study user attribute listing the trial ids of deleted runs (Optuna cannot delete a single trial).
DELETED_ATTR = "hptune_deleted"
INTERRUPTED_MESSAGE = "the process training this run ended without finishing it"
_EPOCH_KEY = re.compile(r"^epoch_(\d+)$")


def proc_start(pid: int) -> str | None:
    """A process's start time (Linux), so a reused pid is not mistaken for the run's own process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_alive(pid: int, start: str | None) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    current = proc_start(pid)
    return start is None or current is None or current == start


def is_dead(trial: Any) -> bool:
    """A trial still RUNNING in the store whose process has ended: by pid on this host, by heartbeat elsewhere."""
    attrs = trial.user_attrs
    if trial.state.name != "RUNNING" or attrs.get("status") != "running":
        return False
    if attrs.get("host") == socket.gethostname():
        return not process_alive(int(attrs.get("pid", -1)), attrs.get("proc_start"))
    return time.time() - float(attrs.get("heartbeat", 0)) > STALE_SECONDS


def _config(data: Any) -> RunConfig:
    """The stored config as a RunConfig. One stored elsewhere may not validate here (say, too big for this
    machine's memory): it is still shown, as it was stored."""
    from pydantic import ValidationError

    data = data if isinstance(data, dict) else {}
    try:
        return RunConfig.model_validate(data)
    except ValidationError:
        known = {k: v for k, v in data.items() if k in RunConfig.model_fields}
        return RunConfig.model_construct(**known)


def _dataset(data: Any) -> DatasetInfo | None:
    if not isinstance(data, dict):
        return None
    try:
        return DatasetInfo(**{**data, "image_shape": tuple(data["image_shape"])})
    except (KeyError, TypeError):
        return None


def _float(value: Any) -> float:
    try:
        return float(value)  # non-finite values are stored as text ("nan", "inf")
    except (TypeError, ValueError):
        return math.nan


def _epochs(attrs: dict[str, Any]) -> list[EpochMetrics]:
    epochs = []
    for key, value in attrs.items():
        if _EPOCH_KEY.match(key) and isinstance(value, dict):
            epochs.append(EpochMetrics(
                epoch=int(value.get("epoch", int(key[6:]))),
                loss=_float(value.get("loss")),
                accuracy=_float(value.get("accuracy")),
                val_loss=_float(value.get("val_loss")),
                val_accuracy=_float(value.get("val_accuracy")),
                seconds=_float(value.get("seconds")),
            ))
    return sorted(epochs, key=lambda e: e.epoch)


def status_of(trial: Any) -> tuple[str, str | None]:
    """The run's status and message as a reader sees them now."""
    attrs = trial.user_attrs
    state = trial.state.name
    status = attrs.get("status") or state.lower()
    message = attrs.get("message")
    if state == "PRUNED":
        status = "pruned"
    elif state == "FAIL" and status == "running":
        status = "failed"
    elif is_dead(trial):
        status, message = "interrupted", INTERRUPTED_MESSAGE
    return status, message


def _epoch_rows(rows: list[list[Any]]) -> list[EpochMetrics]:
    """Epochs kept as rows of numbers (epoch, loss, accuracy, val_loss, val_accuracy, seconds) by the read index."""
    return [EpochMetrics(int(r[0]), _float(r[1]), _float(r[2]), _float(r[3]), _float(r[4]), _float(r[5]))
            for r in rows]


def outcome_from_trial(study: str, trial: Any, run_id: int) -> RunOutcome:
    """A stored run as a RunOutcome, from an Optuna trial or the read index's copy of one (whose light copy, for
    lists, has its epochs as rows and leaves out the confusion matrix and misclassified digits)."""
    attrs = trial.user_attrs
    rows = getattr(trial, "epochs", None)
    status, message = status_of(trial)
    diagnosis = attrs.get("diagnosis")
    confusion = attrs.get("confusion")
    return RunOutcome(
        status=status,  # type: ignore[arg-type]
        config=_config(attrs.get("config")),
        dataset=_dataset(attrs.get("dataset")),
        epochs=_epochs(attrs) if rows is None else _epoch_rows(rows),
        message=message,
        test_accuracy=attrs.get("test_accuracy"),
        test_macro_f1=attrs.get("test_macro_f1"),
        val_macro_f1=attrs.get("val_macro_f1"),
        confusion=tuple(tuple(int(v) for v in row) for row in confusion) if confusion else None,
        train_seconds=attrs.get("train_seconds"),
        params=attrs.get("n_params"),
        device=attrs.get("device"),
        backend=attrs.get("backend"),
        best_epoch=attrs.get("best_epoch"),
        diagnosis=Diagnosis.from_dict(diagnosis) if isinstance(diagnosis, dict) else None,
        mistakes=tuple(tuple(int(v) for v in m) for m in attrs.get("mistakes") or ()),  # type: ignore[misc]
        run_id=run_id,
        study=study,
        number=trial.number,
        started_at=trial.datetime_start,
        finished_at=trial.datetime_complete,
        trial_params=dict(trial.params),
        attrs={k: v for k, v in attrs.items() if k.startswith("hptune_")},
        model_file=attrs.get("model_path"),
        model_bytes=attrs.get("model_bytes"),
    )


def is_run(trial: Any) -> bool:
    """A trial that trained (or began to): a sweep's queued slots and invalid points are not runs."""
    return "config" in trial.user_attrs


def sort_key(outcome: RunOutcome) -> tuple[datetime, int]:
    return (outcome.started_at or datetime.min, outcome.run_id or 0)
