"""The results of a run: test scores, time, best epoch, the diagnosis, the device and the data actually used."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from hptune.core.outcome import RunOutcome

__all__ = ["ResultsPanel"]

_STATUS_STYLE = {
    "completed": "$success",
    "early-stopped": "$success",
    "stopped": "$warning",
    "running": "$accent",
    "diverged": "$error",
    "failed": "$error",
    "interrupted": "$warning",
}


def _num(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


class ResultsPanel(Static):
    """A compact table of a run's outcome; empty until a run starts."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("[dim]Results appear here when a run ends.[/]", id=id)
        self.border_title = "Results"
        self.outcome: RunOutcome | None = None

    def show(self, outcome: RunOutcome, spread: str | None = None) -> None:
        """A finished run, live or read from the store: the same model either way; `spread` is the mean and
        standard deviation over a repeated config's seeds, shown under the last seed's run."""
        self.outcome = outcome
        s = outcome
        style = _STATUS_STYLE.get(s.status, "$foreground")
        title = f"run {s.run_id}: " if s.run_id is not None else ""
        head = f"{title}[b {style}]{s.status}[/]" + (f" [dim]({escape(s.message)})[/]" if s.message else "")
        time_text = "-" if s.train_seconds is None else f"{s.train_seconds:.1f}s"
        lines = [
            head,
            f"test accuracy [b]{_num(s.test_accuracy)}[/] · macro-F1 [b]{_num(s.test_macro_f1)}[/]"
            f" · time {time_text} · best epoch {s.best_epoch if s.best_epoch else '-'}",
        ]
        if s.diagnosis:
            lines.append(f"diagnosis: [b]{escape(s.diagnosis.line)}[/]")
            if s.diagnosis.figures:
                lines.append(f"fit: {escape(s.diagnosis.figures)}")
        if spread:
            lines.append(f"[b]{escape(spread)}[/]")
        where = []
        if s.device:
            where.append(f"device {escape(s.device)} ({s.backend})" + (f" · {s.params:,} params" if s.params else ""))
        if s.dataset is not None:
            d = s.dataset
            where.append(f"data {escape(d.name)}: {d.n_train:,} train, {d.n_val:,} val, {d.n_test:,} test")
        if where:
            lines.append(" · ".join(where))
        if s.dataset is not None and s.dataset.fallback:
            lines.append(f"[$warning]notice: {escape(s.dataset.fallback)}[/]")
        self.update("\n".join(lines))
