"""The results of a run: test scores, time, best epoch, the diagnosis, the device and the data actually used."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.markup import escape
from textual.widgets import Static

from hptune.core.events import DatasetInfo, RunFinished, RunStarted

__all__ = ["ResultsPanel", "RunSummary"]

_STATUS_STYLE = {
    "completed": "$success",
    "early-stopped": "$success",
    "stopped": "$warning",
    "running": "$accent",
    "diverged": "$error",
    "failed": "$error",
    "interrupted": "$warning",
}


@dataclass(frozen=True)
class RunSummary:
    """What the panel shows, from live events or from a stored run."""

    status: str = "running"
    run_id: int | None = None
    message: str | None = None
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    train_seconds: float | None = None
    best_epoch: int | None = None
    diagnosis: str | None = None
    #: The figures behind the diagnosis: final train and validation accuracy, their gap (variance), the bias.
    fit: str | None = None
    #: Over the repeats of a config trained with several seeds: mean ± std of test accuracy and the gap.
    spread: str | None = None
    device: str | None = None
    backend: str | None = None
    params: int | None = None
    dataset: DatasetInfo | None = None

    @classmethod
    def started(cls, event: RunStarted, run_id: int | None) -> RunSummary:
        return cls(run_id=run_id, device=event.device, backend=event.backend, params=event.params,
                   dataset=event.dataset)

    def finished(self, event: RunFinished) -> RunSummary:
        return replace(
            self,
            status=event.status,
            message=event.message,
            test_accuracy=event.test_accuracy,
            test_macro_f1=event.test_macro_f1,
            train_seconds=event.train_seconds,
            best_epoch=event.best_epoch,
            diagnosis=event.diagnosis.line if event.diagnosis else None,
            fit=event.diagnosis.figures if event.diagnosis else None,
        )

    @classmethod
    def from_record(cls, record: Any) -> RunSummary:
        from hptune.core.store import dataset_info

        attrs = record.attrs
        return cls(
            status=record.status,
            run_id=record.run_id,
            message=record.message,
            test_accuracy=record.test_accuracy,
            test_macro_f1=record.test_macro_f1,
            train_seconds=record.train_seconds,
            best_epoch=attrs.get("best_epoch"),
            diagnosis=record.diagnosis.line if record.diagnosis else None,
            fit=record.diagnosis.figures if record.diagnosis else None,
            device=attrs.get("device"),
            backend=attrs.get("backend"),
            params=attrs.get("n_params"),
            dataset=dataset_info(record.dataset),
        )


def _num(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


class ResultsPanel(Static):
    """A compact table of a run's outcome; empty until a run starts."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("[dim]Results appear here when a run ends.[/]", id=id)
        self.border_title = "Results"
        self.summary: RunSummary | None = None

    def show(self, summary: RunSummary) -> None:
        self.summary = summary
        s = summary
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
            lines.append(f"diagnosis: [b]{escape(s.diagnosis)}[/]")
        if s.fit:
            lines.append(f"fit: {escape(s.fit)}")
        if s.spread:
            lines.append(f"[b]{escape(s.spread)}[/]")
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
