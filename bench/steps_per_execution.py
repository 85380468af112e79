"""How hptune's epoch time depends on `steps_per_execution`, to choose its default by measurement.

Each cell is the median over fresh-process runs, interleaved across the values, of the steady epoch time (the
median over epochs 2..N of the time from one epoch's end to the next, so the first epoch's tracing is left out)
of `core.trainer.train` with the CLI's progress printer on a terminal and a journal-file store: 50,000 training /
10,000 validation images of a synthetic 60,000-image MNIST-format set, batch 256, adam, raw pixels, seed 0.
Speed-ups are against steps_per_execution=1.

Because the trainer checks Stop and emits progress only between executions, the script also times the executions
themselves at each value on 2x100 (a callback on the same model, built by core.model): the median gap between two
`on_train_batch_end` calls is how long Stop can wait and how often the progress bar can move.

Run: `python bench/steps_per_execution.py` (full: 1, 8, 16, 32, 64 on 2x10, 2x100 and 10x10, 6 epochs, 3 repeats;
about 12 minutes on 2 cores) or `python bench/steps_per_execution.py --quick` (2x100, 1, 8, 32, under 2 minutes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    TUTORIAL_MODELS,
    interleaved,
    machine_line,
    median,
    run_worker,
    scratch_dir,
    synthetic_mnist,
    table,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2x100 only, three values, three epochs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--values", type=lambda s: [int(v) for v in s.split(",")], help="e.g. 1,8,16,32,64")
    args = parser.parse_args()

    models = [(2, 100)] if args.quick else list(TUTORIAL_MODELS)
    values = args.values or ([1, 8, 32] if args.quick else [1, 8, 16, 32, 64])
    epochs = 3 if args.quick else 6
    dataset = str(synthetic_mnist())
    print(machine_line())
    print(f"data: {dataset} (50,000 train / 10,000 val), batch 256, {epochs} epochs, {args.repeats} repeats\n")

    runs: dict[tuple[tuple[int, int], int], list[dict]] = {}
    variants = [(m, v) for m in models for v in values]
    for r, (model, value) in interleaved(variants, args.repeats):
        res = run_worker(dict(kind="hptune", layers=model[0], units=model[1], epochs=epochs, dataset=dataset,
                              steps_per_execution=value, engine="keras", backend="tensorflow",
                              scratch=str(scratch_dir())))
        runs.setdefault((model, value), []).append(res)
        steady = median(res["epoch_seconds"][1:])
        print(f"  repeat {r + 1} {model[0]}x{model[1]} spe {value:>3}: epoch {steady:.3f}s"
              f" val_acc {res['val_accuracy']:.4f}", flush=True)

    rows = []
    for model in models:
        base = median(median(x["epoch_seconds"][1:]) for x in runs[(model, values[0])])
        for value in values:
            group = runs[(model, value)]
            epoch = median(median(x["epoch_seconds"][1:]) for x in group)
            cpu = median(median(x["epoch_cpu_seconds"][1:]) for x in group)
            rows.append([f"{model[0]}x{model[1]}", value, epoch, base / epoch, cpu,
                         median(x["val_accuracy"] for x in group), median(x["test_accuracy"] for x in group)])
    print()
    headers = ["model", "steps/exec", "epoch s", f"speed-up vs {values[0]}", "cpu s/epoch", "val acc", "test acc"]
    print(table(headers, rows,
                title="hptune epoch time by steps_per_execution (medians)"))

    print()
    print(execution_gaps(values, dataset))


def execution_gaps(values: list[int], dataset: str) -> str:
    """Time per execution on 2x100: how long Stop and the progress bar wait at each value."""
    import time

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from hptune.core.backend import import_keras, select_backend

    select_backend("tensorflow")  # steps_per_execution belongs to the model.fit path, measured as it ran on TensorFlow
    from hptune.core.config import make_config
    from hptune.core.data import load_dataset
    from hptune.core.model import build_model

    keras = import_keras()
    data = load_dataset(dataset, "auto", normalize=False)
    rows = []
    for value in values:
        config = make_config(dict(hidden_layers=2, hidden_units=100, dataset=dataset, steps_per_execution=value,
                                  engine="keras"))
        keras.utils.set_random_seed(0)
        model = build_model(config, data.info.image_shape)

        class Gaps(keras.callbacks.Callback):
            """The times of the last epoch's batch ends (and of its start)."""

            def __init__(self) -> None:
                super().__init__()
                self.stamps: list[float] = []

            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                self.stamps.append(time.perf_counter())

            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                self.stamps.clear()
                self.stamps.append(time.perf_counter())

        timer = Gaps()
        model.fit(data.x_train, data.y_train, batch_size=256, epochs=2, verbose=0, callbacks=[timer])
        gaps = np.diff(timer.stamps)  # the second epoch's executions (the first one traces the function)
        rows.append([value, len(gaps), float(np.median(gaps) * 1000), float(np.max(gaps) * 1000)])
        keras.backend.clear_session()
    return table(["steps/exec", "executions/epoch", "median ms", "max ms"], rows,
                 title="time per execution on 2x100 (second epoch, in this process): the longest a Stop waits")


if __name__ == "__main__":
    main()
