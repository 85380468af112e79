"""The load sampler on this machine's real /proc: this process and a busy child."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from hptune.core.isolated import rss_bytes
from hptune.core.sysload import LoadSampler, human_bytes, nvidia_present


def test_a_busy_process_shows_cpu_time_and_memory() -> None:
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        sampler = LoadSampler()
        first = sampler.sample(child.pid)
        assert first.pid == child.pid and first.cpu_percent is None  # nothing to measure against yet
        deadline, percent = time.monotonic() + 30, 0.0
        while time.monotonic() < deadline and percent <= 1:
            time.sleep(0.3)
            percent = sampler.sample(child.pid).cpu_percent or 0.0
        assert percent > 1  # it gets some share of a core even with both cores busy elsewhere
        sample = sampler.sample(child.pid)
        assert sample.rss and sample.rss > 1_000_000
        assert sample.memory_total and sample.memory_available and sample.memory_available <= sample.memory_total
    finally:
        child.kill()
        child.wait()


def test_this_process_by_default_and_gpu_note_without_a_gpu() -> None:
    sampler = LoadSampler()
    sample = sampler.sample()
    assert sample.pid == os.getpid() and sample.cores == (os.cpu_count() or 1)
    assert abs((sample.rss or 0) - rss_bytes()) < 50_000_000
    if not nvidia_present():
        assert sample.gpus == () and sample.gpu_note == "no NVIDIA GPU"
    switched = sampler.sample(1)  # another process: CPU percent starts afresh
    assert switched.cpu_percent is None
    assert human_bytes(1536) == "2 KiB" and human_bytes(3 * 2**30) == "3.0 GiB" and human_bytes(None) == "-"
