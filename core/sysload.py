"""Live load of the training process and the machine: CPU and memory, and each NVIDIA GPU's use where one exists.

No third-party dependency for CPU and memory: Linux's /proc gives any process's CPU time and resident memory;
elsewhere the standard `resource` module gives this process's own. GPU figures come from NVIDIA's management
library through its maintained binding `nvidia-ml-py` (module `pynvml`), which is imported only when an NVIDIA
device node exists and is never required: without it the sample says how to get GPU figures.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GpuLoad:
    index: int
    name: str
    utilization: float  # percent of the last sample period the GPU was busy
    memory_used: int  # bytes
    memory_total: int


@dataclass(frozen=True)
class LoadSample:
    """One reading. `cpu_percent` is of one core (200 means two cores busy) over the time since the last one."""

    pid: int
    cpu_percent: float | None
    rss: int | None  # bytes
    memory_total: int | None
    memory_available: int | None
    cores: int
    gpus: tuple[GpuLoad, ...] = field(default=())
    gpu_note: str | None = None


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        pass
    if pid == os.getpid():
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    return None


def _rss(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        pass
    if pid == os.getpid():
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak: the best a portable call offers
        return peak if sys.platform == "darwin" else peak * 1024
    return None


def _meminfo() -> tuple[int | None, int | None]:
    try:
        values = {}
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) * 1024
        return values.get("MemTotal"), values.get("MemAvailable")
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), None
    except (OSError, ValueError):
        return None, None


def nvidia_present() -> bool:
    """An NVIDIA device node or driver entry exists (cheap; loads nothing)."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/gpus").is_dir()


class GpuReader:
    """NVML, opened once on first use and only where an NVIDIA GPU is present."""

    def __init__(self) -> None:
        self._nvml: Any = None
        self._handles: list[Any] = []
        self.note: str | None = None
        self._tried = False

    def _open(self) -> None:
        self._tried = True
        if not nvidia_present():
            self.note = "no NVIDIA GPU"
            return
        try:
            import pynvml
        except ImportError:
            self.note = "GPU present: pip install nvidia-ml-py to see its load"
            return
        try:
            pynvml.nvmlInit()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            self._nvml = pynvml
        except pynvml.NVMLError as err:
            self.note = f"GPU present but NVML failed: {err}"

    def read(self) -> tuple[GpuLoad, ...]:
        if not self._tried:
            self._open()
        if self._nvml is None:
            return ()
        nvml, out = self._nvml, []
        for i, handle in enumerate(self._handles):
            try:
                name = nvml.nvmlDeviceGetName(handle)
                util = nvml.nvmlDeviceGetUtilizationRates(handle)
                mem = nvml.nvmlDeviceGetMemoryInfo(handle)
            except nvml.NVMLError as err:
                self.note = f"GPU {i}: {err}"
                continue
            out.append(GpuLoad(i, name.decode() if isinstance(name, bytes) else str(name), float(util.gpu),
                               int(mem.used), int(mem.total)))
        return tuple(out)

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError:
                pass
            self._nvml = None


class LoadSampler:
    """Successive readings of one process (by default this one); CPU percent is measured between readings."""

    def __init__(self) -> None:
        self._last: tuple[int, float, float] | None = None  # pid, wall time, cpu seconds
        self.gpu = GpuReader()

    def sample(self, pid: int | None = None) -> LoadSample:
        pid = pid or os.getpid()
        now, cpu = time.monotonic(), _cpu_seconds(pid)
        percent = None
        if cpu is not None and self._last is not None and self._last[0] == pid and now > self._last[1]:
            percent = max(0.0, (cpu - self._last[2]) / (now - self._last[1]) * 100)
        self._last = (pid, now, cpu) if cpu is not None else None
        total, available = _meminfo()
        gpus = self.gpu.read()
        return LoadSample(pid, percent, _rss(pid), total, available, os.cpu_count() or 1, gpus, self.gpu.note)

    def close(self) -> None:
        self.gpu.close()


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit in ("B", "KiB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


__all__ = ["GpuLoad", "GpuReader", "LoadSample", "LoadSampler", "human_bytes", "nvidia_present"]
