"""Training throughput of hptune against the tutorial's plain Keras script, with a roofline line per model.

Variants train the same networks on the same data, each in a fresh process on a pseudo-terminal, interleaved
(plain, hptune, plain, hptune, ...):

  plain         the tutorial's script on TensorFlow: Sequential(Flatten, (Dense, Activation('relu')) x layers,
                Dense(10), Activation('softmax')), adam, categorical cross-entropy on one-hot labels, accuracy,
                batch 256, model.fit(verbose=1) drawing Keras' progress bar on the terminal, as a person runs it
  hptune        `hptune run` as shipped: core.trainer.train with its defaults (engine and backend auto: the compiled
                engine on JAX where JAX is installed), its events, the CLI's progress bar and a journal-file store
  hptune-keras  (with --keras) hptune's reference path, model.fit on TensorFlow with steps_per_execution auto

Data: `--dataset PATH`, a 60,000 + 10,000 image MNIST-format IDX folder (or .npz), split 50,000 train / 10,000
validation as in the tutorial, raw 0-255 pixels (the tutorial's; hptune runs with normalize=false so both see the
same inputs), seed 0. Without --dataset the script writes and uses bench/make_idx_mnist.py's folder of synthetic
digits (real bundled MNIST digits, randomly transformed; not MNIST), and says so.

"epoch s" is the median over epochs 2..N (the first compiles) of the wall time from one epoch's end to the next,
measured at the same point for both, so it holds the steps, validation, callbacks, events and store writes. "total s"
runs from loading the data to the test accuracy, imports excluded (data, compilation, every epoch, the test pass).
hptune's JAX programs are cached on disk between processes; the bench gives them a fresh cache folder, so the first
repeat of each model compiles from scratch and later ones load what it compiled, as a person's second run does.
Ratios are medians of the per-repeat ratios of neighbouring runs. Roofline: FLOPs per epoch = 6 x params x 50,000 +
2 x params x 10,000 (dense layers: forward 2, backward 4 per weight per image; validation forward only), over the
steady epoch time, against this machine's best float32 2048x2048 matmul rate (numpy, TensorFlow and JAX; best of
several products, measured before and after the runs); the floor is the epoch time at that rate.

Targets (issue: a compiled training engine): epoch time ratio plain/hptune >= 3x on 2x100, >= 4x on 10x10, >= 6x
on 2x10; whole run >= 2x; test accuracy within 0.5 points; 2x100 epoch within 2x of the floor.

Accuracy: the tutorial's script draws its first weights with TensorFlow's random programs and shuffles with
TensorFlow, hptune with NumPy from the seed, and networks fed raw pixels land far apart from different starts (a
2x10 stuck at chance from one, at 23% from another). So the bench also runs the plain script from hptune's first
weights, feeding each epoch in the order hptune's engine draws (one model.fit per epoch, shuffle off: not timed), for
`--accuracy-seeds` seeds (hptune runs each seed too), twice: on TensorFlow as the tutorial runs it, and on
TensorFlow with its oneDNN kernels off (TF_ENABLE_ONEDNN_OPTS=0: Eigen's kernels, the same loss and optimizer, only
the order of the float32 sums changes). The gap between hptune and the first is the engines' difference; the gap
between the two TensorFlow runs is how far the same script moves from itself when only rounding changes. (Keras on
JAX is no such control: there a softmax output's cross-entropy is taken from the clipped probabilities, where
TensorFlow and hptune take it from the logits.)

Run: `python bench/throughput.py [--dataset PATH]` (2x10, 2x100, 10x10, 10 epochs, 3 repeats, 3 accuracy seeds;
about 11 minutes on 2 cores) or `--quick` (2x100, 3 epochs, 1 accuracy seed).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    TUTORIAL_MODELS,
    best_rates,
    flops_per_epoch,
    interleaved,
    machine_line,
    matmul_gflops,
    median,
    param_count,
    run_worker,
    scratch_dir,
    table,
)
from make_idx_mnist import default_folder, make  # noqa: E402

TARGETS = {(2, 100): 3.0, (10, 10): 4.0, (2, 10): 6.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", metavar="PATH", help="a 60,000-image MNIST-format IDX folder or .npz")
    parser.add_argument("--quick", action="store_true", help="2x100 only, 3 epochs")
    parser.add_argument("--keras", action="store_true", help="also run hptune's model.fit path on TensorFlow")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--accuracy-seeds", type=int, help="seeds for the same-start accuracy runs (default 3; 1 with"
                        " --quick)")
    args = parser.parse_args()
    models = [(2, 100)] if args.quick else [(2, 100), (10, 10), (2, 10)]
    assert set(models) <= set(TUTORIAL_MODELS)
    epochs = args.epochs or (3 if args.quick else 10)
    seeds = range(args.accuracy_seeds or (1 if args.quick else 3))
    variants = ("plain", "hptune", "hptune-keras") if args.keras else ("plain", "hptune")
    if args.dataset:
        dataset, origin = str(Path(args.dataset).expanduser()), "given with --dataset"
    else:
        dataset = str(make(default_folder()))
        origin = "SYNTHETIC digits from bench/make_idx_mnist.py (transformed bundled MNIST digits), not MNIST"
    cache = scratch_dir() / "jax-cache-throughput"
    shutil.rmtree(cache, ignore_errors=True)
    print(machine_line())
    print(f"data: {dataset} ({origin}); 50,000 train / 10,000 val, raw pixels, batch 256, {epochs} epochs,"
          f" {args.repeats} repeats; plain Keras runs with verbose=1 on a terminal\n")

    peak_repeats = 5 if args.quick else 10
    peak_before = matmul_gflops(repeats=peak_repeats)
    runs: dict[tuple[tuple[int, int], str], list[dict]] = {}
    for r, (model, variant) in interleaved([(m, v) for m in models for v in variants], args.repeats):
        task = dict(layers=model[0], units=model[1], epochs=epochs, dataset=dataset, scratch=str(scratch_dir()))
        if variant == "plain":
            task.update(kind="plain", verbose=1)
        elif variant == "hptune":
            task.update(kind="hptune", env={"HPTUNE_JAX_CACHE": str(cache)})
        else:
            task.update(kind="hptune", engine="keras", backend="tensorflow")
        res = run_worker(task, env=task.pop("env", None))
        res["epoch"] = median(res["epoch_seconds"][1:])
        runs.setdefault((model, variant), []).append(res)
        print(f"  repeat {r + 1} {model[0]}x{model[1]} {variant:<12} epoch {res['epoch']:.3f}s first"
              f" {res['epoch_seconds'][0]:.2f}s total {res['total_s']:.2f}s test_acc {res['test_accuracy']:.4f}"
              f" {res.get('backend') or 'tensorflow, model.fit'}", flush=True)

    # The same arithmetic: the plain script started from hptune's first weights and fed each epoch in hptune's
    # order, on TensorFlow (the tutorial's backend) and on TensorFlow without oneDNN (how far the script moves from
    # itself when only its rounding changes); hptune at each seed (seed 0: the timed runs). Not timed.
    same: dict[tuple[tuple[int, int], int], dict[str, float]] = {}
    for model in models:
        for seed in seeds:
            accuracy: dict[str, float] = {}
            for name, env in (("tensorflow", None), ("eigen", {"TF_ENABLE_ONEDNN_OPTS": "0"})):
                task = dict(kind="plain", layers=model[0], units=model[1], epochs=epochs, dataset=dataset, verbose=0,
                            same_start=True, same_order=True, backend="tensorflow", seed=seed,
                            scratch=str(scratch_dir()))
                accuracy[name] = run_worker(task, env=env)["test_accuracy"]
            if seed == 0:
                accuracy["hptune"] = median(x["test_accuracy"] for x in runs[(model, "hptune")])
            else:
                task = dict(kind="hptune", layers=model[0], units=model[1], epochs=epochs, dataset=dataset, seed=seed,
                            progress=False, scratch=str(scratch_dir()))
                accuracy["hptune"] = run_worker(task, env={"HPTUNE_JAX_CACHE": str(cache)})["test_accuracy"]
            same[(model, seed)] = accuracy
            print(f"  same start and order {model[0]}x{model[1]} seed {seed}: plain on TensorFlow test_acc"
                  f" {accuracy['tensorflow']:.4f}, without oneDNN {accuracy['eigen']:.4f}, hptune"
                  f" {accuracy['hptune']:.4f}", flush=True)

    peak = best_rates(peak_before, matmul_gflops(repeats=peak_repeats))
    best_peak = max(peak.values())
    rows, ratio_rows, roof_rows, same_rows = [], [], [], []
    for model in models:
        name = f"{model[0]}x{model[1]}"
        plain = runs[(model, "plain")]
        for variant in variants:
            group = runs[(model, variant)]
            rows.append([name, variant, median(x["epoch"] for x in group), median(x["epoch_seconds"][0] for x in group),
                         median(x["setup_s"] for x in group), median(x["total_s"] for x in group),
                         median(x["val_accuracy"] for x in group), median(x["test_accuracy"] for x in group)])
        fast = runs[(model, "hptune")]
        epoch_ratio = median(p["epoch"] / h["epoch"] for h, p in zip(fast, plain, strict=True))
        total_ratio = median(p["total_s"] / h["total_s"] for h, p in zip(fast, plain, strict=True))
        acc_gap = 100 * (median(x["test_accuracy"] for x in fast) - median(x["test_accuracy"] for x in plain))
        target = TARGETS[model]
        ratio_rows.append([name, f"{epoch_ratio:.2f}x", f">= {target:g}x", "yes" if epoch_ratio >= target else "NO",
                           f"{total_ratio:.2f}x", "yes" if total_ratio >= 2 else "NO", f"{acc_gap:+.2f}",
                           "yes" if abs(acc_gap) <= 0.5 else "NO"])
        gaps = [100 * (same[(model, seed)]["hptune"] - same[(model, seed)]["tensorflow"]) for seed in seeds]
        rounding = [100 * (same[(model, seed)]["eigen"] - same[(model, seed)]["tensorflow"]) for seed in seeds]
        typical = median(abs(g) for g in gaps)
        same_rows.append([name, f"{median(x['test_accuracy'] for x in plain):.4f}",
                          " ".join(f"{same[(model, seed)]['tensorflow']:.4f}" for seed in seeds),
                          " ".join(f"{same[(model, seed)]['hptune']:.4f}" for seed in seeds),
                          " ".join(f"{g:+.2f}" for g in gaps), f"{typical:.2f}", "yes" if typical <= 0.5 else "NO",
                          " ".join(f"{r:+.2f}" for r in rounding), f"{median(abs(r) for r in rounding):.2f}"])
        params = param_count(*model)
        flops = flops_per_epoch(params)
        floor = flops / (best_peak * 1e9)
        for variant in variants:
            epoch = median(x["epoch"] for x in runs[(model, variant)])
            rate = flops / epoch / 1e9
            roof_rows.append([name, variant, params, flops / 1e9, epoch, rate, f"{rate / best_peak:.1%}", floor,
                              f"{epoch / floor:.1f}x"])

    print()
    print(table(["model", "variant", "epoch s", "first epoch s", "setup s", "total s", "val acc", "test acc"], rows,
                title="training throughput (medians)"))
    print()
    print(table(["model", "epoch ratio", "target", "met", "whole run", ">= 2x", "test acc pts", "+-0.5"], ratio_rows,
                title="plain Keras over hptune (medians of paired ratios)"))
    print()
    print(table(["model", "plain", "same start+order, per seed", "hptune, per seed", "hptune - same pts",
                 "median |gap|", "<= 0.5", "without oneDNN - same pts", "median |gap|"], same_rows,
                title=f"test accuracy: the plain script as it is; then from hptune's first weights in hptune's epoch"
                      f" order, seeds {seeds.start}-{seeds.stop - 1}, on TensorFlow, and hptune at the same seeds;"
                      f" last, the script without oneDNN (only rounding changes) against itself"))
    print()
    rates = ", ".join(f"{k} {v:.1f}" for k, v in peak.items())
    print(table(["model", "variant", "params", "GFLOP/epoch", "epoch s", "GFLOP/s", "of peak", "floor s", "x floor"],
                roof_rows,
                title=f"roofline: 6*params*50,000 + 2*params*10,000 FLOPs per epoch; float32 2048x2048 matmul peak"
                      f" {best_peak:.1f} GFLOP/s ({rates}; best before and after the runs); target: 2x100 hptune"
                      f" within 2x of the floor"))


if __name__ == "__main__":
    main()
