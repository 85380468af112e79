"""Sweep throughput: trials per minute with 1 and 2 `hptune worker` processes on the same small space, and on the
README's 20-trial TPE sweep with the compiled engine against the model.fit path.

    python bench/sweep_throughput.py [--trials 12] [--store URL] [--tpe-repeats 2]

Each run creates a fresh grid sweep (tiny networks, 2 epochs on mnist-5k) in a temporary journal store (or the
given store, e.g. PostgreSQL), starts the workers and waits for them. Two figures per worker count: wall time
from start to the last worker's exit (process start-up with TensorFlow's import included), and the steady rate
from the first trial's start to the last trial's end, read from the workers' execution logs.

The second table runs the README's sweep, `hptune sweep --space S --algorithm tpe --trials 20 --pruner median --seed
0` over its space (1-3 layers of 32-256 units, log learning rate, dropout, batch size; 10 epochs on mnist-5k), once
with the default engine and once with `engine = "keras"` fixed (model.fit, the path every trial took before the
compiled engine), alternating, each in a fresh journal store, with sweep seeds 0, 1, ... for the repeats (one seed
gives one draw of a search; several show how far the best accuracy moves from seed to seed); it prints trials per
minute from launch to exit and the best validation accuracy each reached, so a faster sweep is seen to search as
well.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


README_SPACE = """[space]
hidden_layers = [1, 2, 3]
hidden_units = [32, 64, 128, 256]
learning_rate = { low = 1e-4, high = 1e-1, log = true }
dropout = { low = 0.0, high = 0.5 }
batch_size = [64, 128, 256]
[fixed]
dataset = "mnist-5k"
epochs = 10
"""


def tpe_sweep(engine: str, tmp: Path, index: int, seed: int) -> tuple[float, float, int]:
    """Seconds for the README's TPE sweep from launch to exit, its best validation accuracy, trials completed."""
    space_file = tmp / f"space-{engine}.toml"
    text = README_SPACE + (f'engine = "{engine}"\n' if engine != "default" else "")
    space_file.write_text(text)
    store = tmp / f"tpe-{engine}-{index}.journal"
    env = {**os.environ, "HPTUNE_STORE": str(store), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "hptune.tui.cli_entry", "sweep", "--space", str(space_file), "--algorithm",
               "tpe", "--trials", "20", "--pruner", "median", "--seed", str(seed), "--json"]
    started = time.time()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.time() - started
    if done.returncode != 0:
        raise SystemExit(f"the {engine} sweep failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    completed = sum(1 for t in result["trials"] if t["state"] == "COMPLETE")
    return wall, float(result["best"]["value"]), completed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--store", help="a store URL (default: a temporary journal file)")
    parser.add_argument("--tpe-repeats", type=int, default=2, help="alternating pairs of the TPE sweep (0: skip)")
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
        if args.tpe_repeats:
            tpe_table(Path(tmp), args.tpe_repeats)
    return 0


def tpe_table(tmp: Path, repeats: int) -> None:
    print("\nthe README's 20-trial TPE sweep (median pruning, one process), alternating; repeat N uses sweep seed N-1,"
          " the same seed for both engines:")
    results: dict[str, list[tuple[float, float, int]]] = {"default": [], "keras": []}
    for index in range(repeats):
        for engine in results:
            wall, best, completed = tpe_sweep(engine, tmp, index, seed=index)
            results[engine].append((wall, best, completed))
            print(f"  {engine:<8} seed {index}: {20 / wall * 60:5.1f} trials/min ({wall:5.1f}s), best val acc"
                  f" {best:.4f}, {completed} completed", flush=True)
    medians = {engine: statistics.median(r[0] for r in rows) for engine, rows in results.items()}
    for engine, rows in results.items():
        bests = [r[1] for r in rows]
        print(f"  {engine:<8} median {20 / medians[engine] * 60:5.1f} trials/min, best val acc median"
              f" {statistics.median(bests):.4f} (per seed {', '.join(f'{b:.4f}' for b in bests)};"
              f" range {100 * (max(bests) - min(bests)):.2f} points)")
    gaps = [100 * (d[1] - k[1]) for d, k in zip(results["default"], results["keras"], strict=True)]
    print(f"  compiled engine over model.fit: {medians['keras'] / medians['default']:.2f}x trials per minute; best val"
          f" acc, compiled minus model.fit, per seed: {', '.join(f'{g:+.2f}' for g in gaps)} points (median"
          f" {statistics.median(gaps):+.2f})")


if __name__ == "__main__":
    sys.exit(main())
