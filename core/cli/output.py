"""What the commands print: the runs table, JSON without NaN, and the lines of a sweep's progress and summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hptune.core.labels import config_label

if TYPE_CHECKING:
    from hptune.core.space import SearchSpace, SweepSettings
    from hptune.core.sweeps import SweepSnapshot, TrialRow

__all__ = ["describe", "params_text", "runs_table", "summary_lines", "trial_line"]


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def runs_table(records: Sequence[Any]) -> str:
    """One line a run. The study is never cut (it is what `--study` and `study:NAME` take)."""
    width = max([12, *(len(r.study or "") for r in records)])
    header = (f"{'id':>4}  {'study':<{width}} {'status':<13} {'val_acc':>7} {'test':>7} {'ep':>7} {'time':>7}"
              f"  {'dataset':<10} config")
    lines = [header]
    for r in records:
        c = r.config
        dataset = r.dataset.name if r.dataset else c.dataset
        lines.append(
            f"{r.run_id:>4}  {r.study or '':<{width}} {r.status:<13} {_fmt(r.val_accuracy):>7}"
            f" {_fmt(r.test_accuracy):>7} {len(r.epochs):>3}/{c.epochs:<3} {_fmt(r.train_seconds, '.1f'):>6}s"
            f"  {dataset[:10]:<10} {config_label(c)}"
        )
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
        lines.append(f"best config: {config_label(snap.best_config())}  (hptune show {best.run_id})")  # type: ignore[union-attr]
    return lines
