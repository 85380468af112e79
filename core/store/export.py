"""Runs out of the store as CSV (a spreadsheet row per run) or JSON (everything, one object per run)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from hptune.core.outcome import RunOutcome, to_json

CSV_COLUMNS = [
    "run_id", "study", "status", "hidden_layers", "hidden_units", "activation", "dropout", "optimizer",
    "learning_rate", "momentum", "batch_size", "epochs_planned", "epochs_done", "normalize", "seed", "dataset",
    "val_accuracy", "best_val_accuracy", "test_accuracy", "test_macro_f1", "train_seconds", "started_at",
]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def to_csv(runs: Iterable[RunOutcome]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in runs:
        c = r.config
        writer.writerow([
            r.run_id, r.study, r.status, c.hidden_layers,
            "x".join(map(str, c.hidden_units)) if isinstance(c.hidden_units, list) else c.hidden_units,
            c.activation, c.dropout, c.optimizer, c.learning_rate, c.momentum, c.batch_size, c.epochs,
            len(r.epochs), c.normalize, c.seed, r.dataset.name if r.dataset else c.dataset,
            _fmt(r.val_accuracy), _fmt(r.best_val_accuracy), _fmt(r.test_accuracy), _fmt(r.test_macro_f1),
            _fmt(r.train_seconds), r.started_at.isoformat() if r.started_at else "",
        ])
    return buffer.getvalue()


def to_json_list(runs: Iterable[RunOutcome]) -> str:
    """A JSON array of every run, as `hptune runs --format json` prints it."""
    return to_json([r.to_dict() for r in runs])
