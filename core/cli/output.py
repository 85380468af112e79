"""What the commands print: the runs table, JSON without NaN, and the lines of a sweep's progress and summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hptune.core.fit import text_table
from hptune.core.labels import config_label

if TYPE_CHECKING:
    from hptune.core.space import SearchSpace, SweepSettings
    from hptune.core.sweeps import SweepSnapshot, TrialRow

__all__ = ["describe", "params_text", "runs_table", "summary_lines", "trial_line"]


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def runs_table(records: Sequence[Any]) -> str:
    """Every column takes the room its values need (a study name can be pasted into `--study`); the pixels column
    says raw or 0-1 for every run, and the config label runs on at the end."""
    rows = []
    for r in records:
        c = r.config
        seconds = "-" if r.train_seconds is None or not math.isfinite(r.train_seconds) else f"{r.train_seconds:.1f}s"
        rows.append([str(r.run_id), r.study or "", r.status, _fmt(r.val_accuracy), _fmt(r.test_accuracy),
                     f"{len(r.epochs)}/{c.epochs}", seconds, r.dataset.name if r.dataset else c.dataset,
                     "0-1" if c.normalize else "raw", config_label(c)])
    lines = text_table(["id", "study", "status", "val_acc", "test", "ep", "time", "dataset", "pixels", "config"],
                       rows)
    if not records:
        lines.append("(no runs yet: try `hptune run --dataset mnist-5k --epochs 2`)")
    return "\n".join(lines)


def describe(settings: SweepSettings, space: SearchSpace, queued: int) -> str:
    budget = []
    if settings.algorithm == "grid":
        budget.append(f"{queued} grid points")
    elif settings.trials:
        budget.append(f"{settings.trials} trials")
    if settings.timeout:
        budget.append(f"at most {settings.timeout:g}s")
    return (
        f"{settings.algorithm} over {', '.join(space.space)}; {' and '.join(budget)}; pruner {settings.pruner};"
        f" objective {settings.objective} ({settings.direction}); {settings.workers} worker"
        + ("s" if settings.workers > 1 else "")
    )


def params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}".replace(" ", "") for k, v in params.items())


def trial_line(row: TrialRow, snap: SweepSnapshot, done: int) -> str:
    total = snap.count("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
    best = snap.best
    objective = snap.sweep.settings.objective
    if row.state == "COMPLETE":
        what = f"complete  {objective} {row.value:.4f}"
    elif row.state == "PRUNED":
        what = f"pruned    {row.message or ''}"
    else:
        what = f"{row.status:<9} {row.message or ''}"
    retry = f" (retry of #{row.retry_of})" if row.retry_of is not None else ""
    best_text = f"best {best.value:.4f} (#{best.number})" if best else "best -"
    return (f"[{done:>3}/{total}] trial {row.number:<3} {what}  | {len(row.epochs)} epochs | {best_text}"
            f" | {params_text(row.params)}{retry}")


def summary_lines(snap: SweepSnapshot, seconds: float) -> list[str]:
    counts = ", ".join(f"{snap.count(s)} {s.lower()}" for s in ("COMPLETE", "PRUNED", "FAIL") if snap.count(s))
    lines = [f"done in {seconds:.0f}s: {counts or 'no trials finished'}"
             + (f"; {snap.count('WAITING')} not run" if snap.count("WAITING") else "")]
    if snap.resumable:
        lines.append(f"to go on: hptune sweep --resume {snap.sweep.name}")
    best = snap.best
    if best is not None:
        lines.append(f"best: trial {best.number} (run {best.run_id}) {snap.sweep.settings.objective} {best.value:.4f}"
                     f" with {params_text(best.params)}")
        searched = list(snap.sweep.space.space)
        lines.append(f"best config: {config_label(snap.best_config(), also=searched)}"  # type: ignore[union-attr]
                     f"  (hptune show {best.run_id})")  # type: ignore[union-attr]
    return lines
