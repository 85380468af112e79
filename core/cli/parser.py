"""The `hptune` command's arguments: argparse, the run flags shared with the TUI, and the sweep flags.

Building the parser imports neither Keras nor Optuna, so `hptune --help` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from hptune.core import __version__
from hptune.core.config import ACTIVATIONS, BACKENDS, ENGINES, OPTIMIZERS, PRESETS, RunConfig
from hptune.core.errors import EXIT_INPUT
from hptune.core.insight import DEFAULT_EVALUATOR, EVALUATORS
from hptune.core.lessons import DEFAULT_REPEATS, LESSONS

__all__ = ["RUN_FLAGS", "add_config_arguments", "build_parser", "config_from_args"]


class _Parser(argparse.ArgumentParser):
    """argparse, but bad input exits 2 with one line naming the option (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"hptune: error: {message}\n(see '{self.prog} --help')\n")


def _units(text: str) -> int | list[int]:
    try:
        parts = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a width or comma-separated widths (1-4096), got {text!r}") from None
    if not parts:
        raise argparse.ArgumentTypeError("expected a width or comma-separated widths (1-4096)")
    return parts[0] if len(parts) == 1 and "," not in text else parts


#: Runs the `runs` table shows unless told otherwise: the newest, so a long history lists as fast as a short one.
RUNS_TABLE_LIMIT = 100


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            expected = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    parse.__name__ = kind.__name__
    return parse


def _validation(text: str) -> str | int | float:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a count, a fraction or auto, got {text!r}") from None


def _auto_or_int(text: str) -> str | int:
    return text if text == "auto" else _number(int)(text)


#: flag -> (config field, parser, help)
RUN_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--hidden-layers": ("hidden_layers", _number(int), "hidden Dense layers (0-64)"),
    "--hidden-units": ("hidden_units", _units, "width of every hidden layer, or N,N,.. per layer (1-4096)"),
    "--activation": ("activation", str, f"one of {', '.join(ACTIVATIONS)}"),
    "--dropout": ("dropout", _number(float), "dropout after each hidden layer (0 <= p < 1)"),
    "--optimizer": ("optimizer", str, f"one of {', '.join(OPTIMIZERS)}"),
    "--learning-rate": ("learning_rate", _number(float), "learning rate (> 0, <= 10)"),
    "--momentum": ("momentum", _number(float), "momentum for sgd and rmsprop (0 <= m < 1)"),
    "--batch-size": ("batch_size", _number(int), "images per step (1 to the training-set size)"),
    "--epochs": ("epochs", _number(int), "passes over the training images (1-10000)"),
    "--patience": ("patience", _number(int), "stop early after N epochs without a better val_loss"),
    "--seed": ("seed", _number(int), "random seed (same seed, same curves)"),
    "--repeats": ("repeats", _number(int), "train with K seeds (seed, seed+1, ...); report mean and std (1-20)"),
    "--train-fraction": ("train_fraction", _number(float), "share of the training images to train on (0 < f <= 1)"),
    "--validation-size": ("validation_size", _validation, "held-out images: a count, a fraction, or auto"),
    "--steps-per-execution": ("steps_per_execution", _auto_or_int, "training steps per backend call, or auto"),
    "--engine": ("engine", str, f"one of {', '.join(ENGINES)}: a compiled loop of steps, Keras' model.fit, or auto"),
    "--backend": ("backend", str, f"Keras backend, one of {', '.join(BACKENDS)} (auto: jax when installed)"),
}


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=list(PRESETS), help="start from one of the tutorial's experiments")
    parser.add_argument("--config", metavar="FILE", help="a run config in TOML")
    parser.add_argument("--dataset", metavar="NAME|PATH",
                        help="mnist, fashion-mnist, mnist-5k, digits, IDX folder or .npz")
    for flag, (dest, kind, text) in RUN_FLAGS.items():
        parser.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    parser.add_argument("--raw-pixels", dest="normalize", action="store_const", const=False, default=None,
                        help="feed raw 0-255 pixels as the tutorial did (default: scale to [0, 1])")
    parser.add_argument("--normalize", dest="normalize", action="store_const", const=True,
                        help="scale pixels to [0, 1] (the default; overrides a preset's raw pixels)")
    parser.add_argument("--keep-model", dest="keep_model", action="store_const", const=True, default=None,
                        help="keep the trained network beside the store (`hptune export RUN --out FILE.keras`)")
    parser.add_argument("--store", metavar="URL", help="journal file or Optuna storage URL (default: $HPTUNE_STORE)")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    from hptune.core.config import load_config, make_config

    values = {dest: getattr(args, dest) for dest, *_ in RUN_FLAGS.values() if getattr(args, dest, None) is not None}
    if getattr(args, "dataset", None) is not None:
        values["dataset"] = args.dataset
    if getattr(args, "normalize", None) is not None:
        values["normalize"] = args.normalize
    if getattr(args, "keep_model", None) is not None:
        values["keep_model"] = args.keep_model
    if getattr(args, "config", None):
        return load_config(args.config, overrides=values, preset=args.preset)
    return make_config(values, preset=getattr(args, "preset", None))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hptune",
        description="Tune the hyperparameters of dense Keras networks on MNIST-style digits, in the terminal.",
        epilog="With no command, hptune opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"hptune {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    tui = sub.add_parser("tui", help="open the terminal app (the default)")
    add_config_arguments(tui)

    run = sub.add_parser("run", help="train one network headless and print its curves")
    add_config_arguments(run)
    run.add_argument("--json", action="store_true", help="print one JSON object with the whole run as the last line")

    runs = sub.add_parser("runs", help="list stored runs")
    runs.add_argument("--store", metavar="URL")
    runs.add_argument("--format", choices=["table", "json", "csv"], default="table")
    runs.add_argument("--study", help="only runs of this study")
    runs.add_argument("--limit", type=_number(int), metavar="N",
                      help=f"the N most recently started runs (the table's default: {RUNS_TABLE_LIMIT}; 0: every run)")
    runs.add_argument("--all", action="store_true", help="every run (the same as --limit 0)")

    show = sub.add_parser("show", help="show one stored run with its epochs")
    show.add_argument("run_id", type=_number(int), metavar="RUN_ID")
    show.add_argument("--store", metavar="URL")
    show.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="write a run's kept model as a Keras file (runs trained with --keep-model)")
    export.add_argument("run_id", type=_number(int), metavar="RUN_ID")
    export.add_argument("--out", metavar="FILE.keras", required=True, help="where to write the model")
    export.add_argument("--store", metavar="URL")

    presets = sub.add_parser("presets", help="list the presets")
    presets.add_argument("--json", action="store_true")

    serve = sub.add_parser("serve", help="serve the TUI to a browser (for demos)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_number(int), default=8000)
    serve.add_argument("--store", metavar="URL")

    add_sweep_parsers(sub)
    add_lesson_parser(sub)
    add_insight_parsers(sub)
    return parser


def add_sweep_parsers(sub: Any) -> None:
    """`sweep`, `worker` and `studies`; their code (cli.sweep_commands) is imported only when one runs."""
    sweep = sub.add_parser("sweep", help="search hyperparameters with Optuna (grid, random, TPE) over a space file")
    sweep.add_argument("--space", metavar="FILE.toml", help="the search space ([space], [fixed], [sweep])")
    sweep.add_argument("--resume", metavar="STUDY",
                       help="continue a stopped or interrupted sweep: its unrun points run, its budget counts the"
                            " trials done (--trials, --timeout and --workers may change)")
    sweep.add_argument("--algorithm", choices=["grid", "random", "tpe"], help="search algorithm (default tpe)")
    sweep.add_argument("--trials", type=_number(int), metavar="N", help="trial budget (default 20; grid: every point)")
    sweep.add_argument("--timeout", type=_number(float), metavar="S", help="time budget in seconds")
    sweep.add_argument("--pruner", choices=["none", "median", "hyperband"], help="stop hopeless trials early")
    sweep.add_argument("--objective", choices=["val_accuracy", "val_loss", "val_macro_f1"],
                       help="validation metric to optimize (default val_accuracy); test metrics are reported for"
                            " the chosen run only")
    sweep.add_argument("--workers", type=_number(int), metavar="N", help="worker processes on this machine (default 1)")
    sweep.add_argument("--seed", type=_number(int), help="sampler seed (default 0)")
    sweep.add_argument("--store", metavar="URL", help="journal file or Optuna storage URL (default: $HPTUNE_STORE)")
    sweep.add_argument("--study", metavar="NAME", help="study name (default sweep-DATE-TIME)")
    sweep.add_argument("--json", action="store_true", help="print one JSON object with every trial as the last line")

    worker = sub.add_parser("worker", help="take trials of a sweep until it has none left (any host)")
    worker.add_argument("--store", metavar="URL", help="the sweep's store (default: $HPTUNE_STORE)")
    worker.add_argument("--study", metavar="NAME", required=True, help="the sweep's study name")
    worker.add_argument("--log", metavar="FILE", help="append a JSON line per trial started and ended")
    worker.add_argument("--quiet", action="store_true", help="print errors only")
    worker.add_argument("--recycle-at", type=_number(float), default=1.1, metavar="RATIO",
                        help="restart in place once memory reaches RATIO x that after the first trial (0: never)")

    studies = sub.add_parser("studies", help="list the studies (sweeps and runs) in a store")
    studies.add_argument("--store", metavar="URL")
    studies.add_argument("--json", action="store_true")


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_lesson_parser(sub: Any) -> None:
    lesson = sub.add_parser("lesson", help="run one of the tutorial's experiments as a study: "
                                           + ", ".join(LESSONS))
    lesson.add_argument("name", choices=list(LESSONS), metavar="NAME", help=f"one of: {', '.join(LESSONS)}")
    lesson.add_argument("--dataset", default="mnist-5k", metavar="NAME|PATH", help="the data (default mnist-5k)")
    lesson.add_argument("--repeats", type=_count, default=DEFAULT_REPEATS, metavar="K",
                        help=f"seeds per network (default {DEFAULT_REPEATS})")
    lesson.add_argument("--epochs", type=_count, metavar="N", help="epochs per run (default: the lesson's)")
    lesson.add_argument("--resume", metavar="STUDY", help="continue a lesson study, skipping its finished runs")
    lesson.add_argument("--store", metavar="URL", help="journal file or Optuna storage URL (default: $HPTUNE_STORE)")
    lesson.add_argument("--json", action="store_true", help="print one JSON object with the rows and conclusion")


def _run_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a run id (a whole number), got {text!r}") from None


def add_insight_parsers(sub: Any) -> None:
    """Register the insight commands, and `--tag` on `run` and `--filter` on `runs` where those exist."""
    imp = sub.add_parser("importance", help="which searched hyperparameters mattered for a sweep's objective")
    imp.add_argument("study", metavar="STUDY", help="the sweep's study name (`hptune studies` lists them)")
    imp.add_argument("--evaluator", choices=list(EVALUATORS), default=DEFAULT_EVALUATOR,
                     help="Optuna importance evaluator (default fanova)")
    imp.add_argument("--store", metavar="URL")
    imp.add_argument("--json", action="store_true", help='print {"evaluator": ..., "importances": {param: value}}')

    par = sub.add_parser("parallel", help="a sweep's finished trials on parallel axes (positions 0-1 per axis)")
    par.add_argument("study", metavar="STUDY", help="the sweep's study name")
    par.add_argument("--store", metavar="URL")
    par.add_argument("--json", action="store_true", help="print the axes and every trial's positions and score")

    diff = sub.add_parser("diff", help="compare two runs: config changes, metrics, confusion-matrix delta")
    diff.add_argument("a", type=_run_id, metavar="A", help="the run to compare against")
    diff.add_argument("b", type=_run_id, metavar="B", help="the run compared")
    diff.add_argument("--store", metavar="URL")
    diff.add_argument("--json", action="store_true", help="print config_changes, metrics and confusion_delta")

    note = sub.add_parser("note", help="attach a note to a run (or a study with --study); no text prints it")
    note.add_argument("items", nargs="*", metavar="RUN TEXT", help='a run id, then the note ("" removes it)')
    note.add_argument("--study", metavar="NAME", help="note the study instead of a run: hptune note --study NAME TEXT")
    note.add_argument("--store", metavar="URL")

    tag = sub.add_parser("tag", help="set the tags of a run (or a study with --study)")
    tag.add_argument("items", nargs="*", metavar="RUN NAME", help="a run id, then its tags (none: remove every tag)")
    tag.add_argument("--study", metavar="NAME", help="tag the study instead of a run: hptune tag --study NAME TAG..")
    tag.add_argument("--add", action="store_true", help="add to the tags already there instead of replacing them")
    tag.add_argument("--store", metavar="URL")

    if "run" in sub.choices:
        sub.choices["run"].add_argument("--tag", action="append", default=[], metavar="NAME",
                                        help="tag the run (repeat for several)")
    if "sweep" in sub.choices:
        sub.choices["sweep"].add_argument("--tag", action="append", default=[], metavar="NAME",
                                          help="tag the sweep's study (repeat for several)")
    if "runs" in sub.choices:
        sub.choices["runs"].add_argument("--filter", metavar="EXPR",
                                         help="e.g. 'lr<0.01 and val_acc>0.9', 'tag:baseline', 'study:NAME'")
