"""Memory of hptune's trainer: peak resident memory of one 2x100 run on MNIST-sized data, and whether resident
memory stays flat over 30 sequential runs in one process (as in a TUI session or a sweep worker).

Both parts run in one fresh child process: Keras, Optuna and the trainer imported first (the "after imports"
line), then one 2x100 run of hptune's defaults on 50,000 train / 10,000 validation images of the synthetic
60,000-image MNIST-format set (peak = the process's maximum resident set, getrusage ru_maxrss), then 30 short runs
in a row into one journal-file store, reading the current resident set (/proc/self/statm) after each. The target
is that memory after the 30th run is within 10% of memory after the first. The data set is cached per process by
core.data, so the growth left is the trainer's own (models, graphs, optimizer state, events, the store).

A second process then makes the same 30 short runs through core.isolated.TrainingHost, as the TUI does, and
reports its own memory (it never imports TensorFlow) and how often the training child was replaced.

Run: `python bench/memory.py` (a 10-epoch 2x100 run, then 30 one-epoch 2x100 runs on the 60,000-image set; about
2 minutes on 2 cores) or `python bench/memory.py --quick` (2 epochs, then 30 one-epoch runs on the bundled
5,000-image mnist-5k sample; under a minute).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine_line, run_in_terminal, scratch_dir, synthetic_mnist, table  # noqa: E402


def child(spec: dict, out: Path) -> None:
    """Runs in the measured process."""
    sys.path.insert(0, str(ROOT))
    import optuna  # noqa: F401
    from _worker import peak_rss_bytes, rss_bytes

    from hptune.core.backend import import_keras
    from hptune.core.config import make_config
    from hptune.core.store import Store
    from hptune.core.trainer import train

    if spec.get("mode") == "host":
        host_child(spec, out)
        return
    import_keras()
    report: dict = {"after_imports": rss_bytes()}
    store = Store(str(Path(tempfile.mkdtemp(dir=scratch_dir())) / "runs.journal"))
    big = make_config(dict(hidden_layers=2, hidden_units=100, epochs=spec["epochs"], dataset=spec["dataset"]))
    started = time.perf_counter()
    result = train(big, record=store.recorder())
    report.update(peak_one_run=peak_rss_bytes(), after_one_run=rss_bytes(), one_run_s=time.perf_counter() - started,
                  one_run_status=result.status, params=result.params)

    short = make_config(dict(hidden_layers=2, hidden_units=100, epochs=1, dataset=spec["short_dataset"]))
    series = []
    for _ in range(spec["runs"]):
        result = train(short, record=store.recorder())
        if result.status != "completed":
            raise RuntimeError(f"run ended {result.status}: {result.message}")
        series.append(rss_bytes())
    report.update(series=series, peak_end=peak_rss_bytes())
    out.write_text(json.dumps(report))


def host_child(spec: dict, out: Path) -> None:
    """The same short runs through core.isolated.TrainingHost, as the TUI trains: this process never imports
    TensorFlow, and the training child is replaced once it has grown 10% past its size after its first run."""
    from _worker import rss_bytes

    from hptune.core.config import make_config
    from hptune.core.isolated import TrainingHost
    from hptune.core.store import Store

    store = Store(str(Path(tempfile.mkdtemp(dir=scratch_dir())) / "runs.journal"))
    short = make_config(dict(hidden_layers=2, hidden_units=100, epochs=1, dataset=spec["short_dataset"]))
    host = TrainingHost()
    series, started = [], time.perf_counter()
    try:
        for _ in range(spec["runs"]):
            result = host.train(short, record=store.recorder())
            if result.status != "completed":
                raise RuntimeError(f"run ended {result.status}: {result.message}")
            series.append(rss_bytes())
    finally:
        host.close()
    out.write_text(json.dumps({"series": series, "restarts": host.restarts, "seconds": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child[0]), Path(args.child[1]))
        return
    dataset = str(synthetic_mnist())
    spec = dict(dataset=dataset, epochs=2 if args.quick else 10, runs=args.runs,
                short_dataset="mnist-5k" if args.quick else dataset)
    print(machine_line())
    print(f"one run: 2x100, {spec['epochs']} epochs on {dataset} (50,000 train / 10,000 val); then {args.runs}"
          f" one-epoch 2x100 runs on {spec['short_dataset']}\n")
    out = Path(tempfile.mkstemp(suffix=".json", dir=scratch_dir())[1])
    rc, tail = run_in_terminal([sys.executable, __file__, "--child", json.dumps(spec), str(out)], timeout=1800)
    if rc != 0:
        raise SystemExit(f"the measured process failed (rc {rc}):\n{tail[-3000:]}")
    report = json.loads(out.read_text())
    out.unlink()

    mib = 2**20
    series = report["series"]
    first, last = series[0], series[-1]
    ratio = last / first
    rows = [
        ["after imports (keras, optuna, core)", report["after_imports"] / mib],
        [f"peak during one 2x100 run ({spec['epochs']} epochs, 60,000-image set)", report["peak_one_run"] / mib],
        ["after that run", report["after_one_run"] / mib],
        ["after short run 1", first / mib],
        *[[f"after short run {i + 1}", series[i] / mib] for i in range(4, len(series), 5) if i + 1 != len(series)],
        [f"after short run {len(series)}", last / mib],
        ["peak over the whole process", report["peak_end"] / mib],
    ]
    print(table(["resident memory", "MiB"], rows, title="memory (RSS)"))
    verdict = "met" if ratio <= 1.10 else "NOT met"
    print(f"\nafter run {len(series)} / after run 1: {ratio:.3f} ({(ratio - 1):+.1%}; target within +10%: {verdict})")

    # The same runs as the TUI makes them: through a TrainingHost (training in a recycled child process).
    host_spec = dict(spec, mode="host")
    rc, tail = run_in_terminal([sys.executable, __file__, "--child", json.dumps(host_spec), str(out)], timeout=1800)
    if rc != 0:
        raise SystemExit(f"the measured process failed (rc {rc}):\n{tail[-3000:]}")
    hosted = json.loads(out.read_text())
    out.unlink()
    series = hosted["series"]
    ratio = series[-1] / series[0]
    print(f"\nthrough core.isolated.TrainingHost ({args.runs} runs in {hosted['seconds']:.0f} s, the training child"
          f" replaced {hosted['restarts']} times): the caller's memory {series[0] / mib:.1f} MiB after run 1,"
          f" {series[-1] / mib:.1f} MiB after run {len(series)}: {ratio:.3f}"
          f" ({(ratio - 1):+.1%}; target within +10%: {'met' if ratio <= 1.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
