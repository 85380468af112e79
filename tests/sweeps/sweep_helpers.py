"""Helpers for the sweep tests: worker processes, their execution logs, the command line in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
#: Short Optuna heartbeats so a killed worker's trial goes stale in seconds, not minutes; the grace stays long
#: enough that a live worker starved of CPU (two busy cores) is not taken for dead and its point run twice.
FAST_HEARTBEAT = {"HPTUNE_HEARTBEAT_INTERVAL": "1", "HPTUNE_HEARTBEAT_GRACE": "20"}


def start_worker(store: str, study: str, log: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HPTUNE_STORE": store, "TF_CPP_MIN_LOG_LEVEL": "3", **FAST_HEARTBEAT}
    return subprocess.Popen(
        [sys.executable, "-m", "hptune.core.cli.worker", "--study", study, "--log", str(log)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def hptune(*args: str, store: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HPTUNE_STORE": store, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "hptune.core.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
