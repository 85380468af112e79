"""Memory of one sweep worker across many trials: resident memory must not grow without bound.

    python bench/sweep_memory.py [--trials 30] [--only default|off]

TensorFlow keeps a few MiB per model even after `keras.backend.clear_session()` (plain Keras shows the same), so
`hptune worker` restarts itself in place (same pid, `os.execv`, between trials) once its memory passes
--recycle-at (default 1.1) times what it was after its first trial. This script runs one `hptune worker` process
over a random sweep of tiny networks on mnist-5k (temporary journal store) twice: with the default and with
recycling off, reading the worker's resident memory after every trial from its execution log. It prints the
first and last figures and their ratio for each; it fails when the default's last/first ratio exceeds --limit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hptune.core.space import SweepSettings, space_from_data  # noqa: E402
from hptune.core.store import Store  # noqa: E402
from hptune.core.sweeps import create_sweep  # noqa: E402

SPACE = {
    "space": {"hidden_layers": [1, 2], "hidden_units": [16, 32, 64],
              "learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}},
    "fixed": {"dataset": "mnist-5k", "epochs": 1},
}


def measure(trials: int, recycle_at: str, tmp: Path) -> tuple[list[float], int, float]:
    store = str(tmp / f"memory-{recycle_at}.journal")
    create_sweep(Store(store), "memory", space_from_data(SPACE), SweepSettings(algorithm="random", trials=trials))
    log = tmp / f"memory-{recycle_at}.jsonl"
    env = {**os.environ, "HPTUNE_STORE": store, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hptune.core.cli.worker", "--study", "memory", "--quiet", "--log", str(log),
                    "--recycle-at", recycle_at], cwd=ROOT, env=env, check=True)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    rss = [e["rss_mib"] for e in events if e["event"] == "end"]
    assert len(rss) == trials, f"{len(rss)} of {trials} trials ran"
    assert len({e["pid"] for e in events}) == 1, "the worker changed pid"
    return rss, sum(e["event"] == "recycle" for e in events), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--limit", type=float, default=1.12, help="largest last/first ratio that passes")
    parser.add_argument("--only", choices=["default", "off"], help="run one of the two variants")
    args = parser.parse_args()
    variants = {"default": "1.1", "off": "0"}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, ratio in variants.items():
            if args.only and args.only != name:
                continue
            rss, recycles, seconds = measure(args.trials, ratio, Path(tmp))
            every = " ".join(f"{v:.0f}" for v in rss)
            print(f"recycling {name:<7} ({'--recycle-at ' + ratio}): {args.trials} trials in {seconds:.0f}s,"
                  f" {recycles} restarts; RSS MiB after each trial: {every}")
            print(f"  first {rss[0]:.1f} MiB, last {rss[-1]:.1f} MiB, peak {max(rss):.1f} MiB,"
                  f" ratio last/first {rss[-1] / rss[0]:.3f}", flush=True)
            if name == "default" and rss[-1] / rss[0] > args.limit:
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
