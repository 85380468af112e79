"""Live load: CPU and memory of the process that trains, the machine's free memory, and each NVIDIA GPU's use.

Readings are taken in a thread a few times a second and posted as messages, so a slow /proc or NVML call never
holds up the screen; the pane only redraws text when a reading arrives."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from rich.markup import escape
from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from hptune.core.sysload import LoadSample, LoadSampler, human_bytes

__all__ = ["SystemPane"]

#: Seconds between readings.
INTERVAL = 0.3


class SystemPane(Static):
    """Shown and hidden with `SystemPane.toggle(screen, pid)`; `pid()` names the process to watch (None: this one)."""

    class Sampled(Message):
        def __init__(self, sample: LoadSample) -> None:
            super().__init__()
            self.sample = sample

        def can_replace(self, message: Message) -> bool:  # only the newest reading matters
            return isinstance(message, SystemPane.Sampled)

    def __init__(self, pid: Callable[[], int | None] | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("Reading the system load …", id=id or "system-pane")
        self.pid = pid or (lambda: None)
        self.sample: LoadSample | None = None
        self.samples = 0
        self.border_title = "System"

    @classmethod
    def toggle(cls, screen: Screen, pid: Callable[[], int | None] | None = None) -> SystemPane | None:
        """Mount the pane at the foot of `screen`, or remove it if it is there; returns the pane when shown."""
        found = screen.query(cls)
        if found:
            found.remove()
            return None
        pane = cls(pid)
        screen.mount(pane)
        return pane

    def on_mount(self) -> None:
        self._sample_loop()

    @work(thread=True, exclusive=True, exit_on_error=False, group="system-load")
    def _sample_loop(self) -> None:
        worker = get_current_worker()
        sampler = LoadSampler()
        try:
            while not worker.is_cancelled:
                self.post_message(self.Sampled(sampler.sample(self.pid())))
                deadline = time.monotonic() + INTERVAL
                while not worker.is_cancelled and time.monotonic() < deadline:
                    time.sleep(0.05)
        finally:
            sampler.close()

    def on_system_pane_sampled(self, message: SystemPane.Sampled) -> None:
        message.stop()
        self.sample, s = message.sample, message.sample
        self.samples += 1
        who = "this process" if s.pid == os.getpid() else f"trainer (pid {s.pid})"
        cpu = "-" if s.cpu_percent is None else f"{s.cpu_percent:.0f}%"
        lines = [f"[b]{who}[/]  CPU {cpu} of {s.cores} core{'s' if s.cores != 1 else ''}"
                 f"  ·  memory {human_bytes(s.rss)}"
                 + (f"  ·  machine {human_bytes(s.memory_available)} free of {human_bytes(s.memory_total)}"
                    if s.memory_available is not None else "")]
        for g in s.gpus:
            lines.append(f"GPU {g.index} {escape(g.name)}: {g.utilization:.0f}% busy · memory"
                         f" {human_bytes(g.memory_used)} of {human_bytes(g.memory_total)}")
        if not s.gpus and s.gpu_note:
            lines.append(f"[$text-muted]{escape(s.gpu_note)}[/]")
        self.update("\n".join(lines))
