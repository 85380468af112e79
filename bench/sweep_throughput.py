"""Sweep throughput: trials per minute with 1 and 2 `hptune worker` processes on the same small space.

    python bench/sweep_throughput.py [--trials 12] [--store URL]

Each run creates a fresh grid sweep (tiny networks, 2 epochs on mnist-5k) in a temporary journal store (or the
given store, e.g. PostgreSQL), starts the workers and waits for them. Two figures per worker count: wall time
from start to the last worker's exit (process start-up with TensorFlow's import included), and the steady rate
from the first trial's start to the last trial's end, read from the workers' execution logs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hptune.core.space import SweepSettings, space_from_data  # noqa: E402
from hptune.core.store import Store, redact  # noqa: E402
from hptune.core.sweeps import create_sweep  # noqa: E402


def space(trials: int) -> dict:
    return {"space": {"hidden_units": {"low": 8, "high": 8 + 8 * (trials - 1), "step": 8}},
            "fixed": {"dataset": "mnist-5k", "hidden_layers": 1, "epochs": 2}}


def run(store_url: str, workers: int, trials: int, tmp: Path) -> tuple[float, float]:
    name = f"throughput-{workers}-{uuid.uuid4().hex[:6]}"
    create_sweep(Store(store_url), name, space_from_data(space(trials)), SweepSettings(algorithm="grid"))
    env = {**os.environ, "HPTUNE_STORE": store_url, "TF_CPP_MIN_LOG_LEVEL": "3"}
    logs = [tmp / f"{name}-{i}.jsonl" for i in range(workers)]
    started = time.time()
    worker = [sys.executable, "-m", "hptune.core.cli.worker", "--study", name, "--quiet"]
    procs = [subprocess.Popen([*worker, "--log", str(log)], cwd=ROOT, env=env) for log in logs]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a worker failed with exit code {proc.returncode}")
    wall = time.time() - started
    events = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    done = [e for e in events if e["event"] == "end" and e["state"] == "COMPLETE"]
    assert len(done) == trials, f"{len(done)} of {trials} trials completed"
    steady = max(e["time"] for e in done) - min(e["time"] for e in events if e["event"] == "start")
    return wall, steady


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--store", help="a store URL (default: a temporary journal file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or str(Path(tmp) / "bench.journal")
        print(f"{args.trials} trials of 1x8..{8 * args.trials} units, 2 epochs on mnist-5k; store {redact(url)};"
              f" {os.cpu_count()} CPUs")
        rows = []
        for workers in (1, 2):
            wall, steady = run(url, workers, args.trials, Path(tmp))
            rows.append((workers, wall, steady))
            print(f"{workers} worker{'s' if workers > 1 else ' '}: {args.trials / wall * 60:6.1f} trials/min overall"
                  f" ({wall:5.1f}s with start-up), {args.trials / steady * 60:6.1f} trials/min steady ({steady:5.1f}s)",
                  flush=True)
        print(f"speed-up with 2 workers: {rows[0][1] / rows[1][1]:.2f}x overall, {rows[0][2] / rows[1][2]:.2f}x steady")
    return 0


if __name__ == "__main__":
    sys.exit(main())
