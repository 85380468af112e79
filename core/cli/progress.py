"""Progress printed while something trains: Keras-verbose-style lines for a run."""

from __future__ import annotations

from typing import Any, TextIO

__all__ = ["RunPrinter"]


class RunPrinter:
    """Keras-verbose-style output: a progress bar within the epoch on a terminal, a line per epoch."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.tty = err.isatty()
        self._bar_shown = False

    def __call__(self, event: Any) -> None:
        from hptune.core.events import BatchProgress, DataLoading, EpochEnded, RunFinished, RunStarted
        from hptune.core.labels import config_label, epoch_line, result_lines

        if isinstance(event, DataLoading):
            self._line(self.err, f"loading {event.dataset} ...")
        elif isinstance(event, RunStarted):
            info = event.dataset
            if info.fallback:
                self._line(self.err, f"notice: {info.fallback}")
            self._line(
                self.out,
                f"{config_label(event.config)} | {event.params:,} params | {info.name}: {info.n_train:,} train,"
                f" {info.n_val:,} val, {info.n_test:,} test | {event.device} ({event.backend})",
            )
        elif isinstance(event, BatchProgress) and self.tty:
            width = 24
            filled = int(width * event.step / max(1, event.steps))
            bar = "=" * max(0, filled - 1) + (">" if filled < width else "=") + "." * (width - filled)
            self.err.write(
                f"\r{event.epoch:>4} [{bar}] {event.step}/{event.steps} loss {event.loss:.4f}"
                f" ETA {event.eta_seconds:4.1f}s {event.samples_per_second:,.0f} img/s\x1b[K"
            )
            self.err.flush()
            self._bar_shown = True
        elif isinstance(event, EpochEnded):
            self._line(self.out, epoch_line(event.metrics, event.epochs))
        elif isinstance(event, RunFinished):
            for text in result_lines(event.outcome):
                self._line(self.out, text)

    def _line(self, stream: TextIO, text: str) -> None:
        if self._bar_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._bar_shown = False
        stream.write(text + "\n")
        stream.flush()
