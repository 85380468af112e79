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

        if isinstance(event, DataLoading):
            self._line(self.err, f"loading {event.dataset} ...")
        elif isinstance(event, RunStarted):
            info = event.dataset
            if info.fallback:
                self._line(self.err, f"notice: {info.fallback}")
            self._line(
                self.out,
                f"{event.config.summary()} | {event.params:,} params | {info.name}: {info.n_train:,} train,"
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
            m = event.metrics
            self._line(
                self.out,
                f"Epoch {m.epoch}/{event.epochs} - {m.seconds:.2f}s - loss: {m.loss:.4f} - acc: {m.accuracy:.4f}"
                f" - val_loss: {m.val_loss:.4f} - val_acc: {m.val_accuracy:.4f}",
            )
        elif isinstance(event, RunFinished):
            lines = [f"status: {event.status}" + (f" ({event.message})" if event.message else "")]
            if event.test_accuracy is not None:
                lines.append(f"test accuracy: {event.test_accuracy:.4f}  macro-F1: {event.test_macro_f1:.4f}"
                             f"  train time: {event.train_seconds:.1f}s  best epoch: {event.best_epoch}")
            if event.diagnosis:
                lines.append(f"diagnosis: {event.diagnosis.line}")
            for text in lines:
                self._line(self.out, text)

    def _line(self, stream: TextIO, text: str) -> None:
        if self._bar_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._bar_shown = False
        stream.write(text + "\n")
        stream.flush()
