"""The `hptune` command line: headless commands here; the TUI and the web server are handed in by the front end.

Exit codes: 0 completed, early-stopped or stopped; 1 anything else; 2 invalid input; 3 dataset unavailable or
corrupt; 4 diverged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from hptune.core import __version__
from hptune.core.config import ACTIVATIONS, OPTIMIZERS, PRESET_HELP, PRESETS, ConfigError
from hptune.core.insight_cli import INSIGHT_COMMANDS, add_insight_parsers, filtered_runs, tag_new_run

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_DATA, EXIT_DIVERGED = 0, 1, 2, 3, 4

Frontend = Callable[[argparse.Namespace], int]


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


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


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
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
    "--validation-size": ("validation_size", _validation, "held-out images: a count, a fraction, or auto"),
    "--steps-per-execution": ("steps_per_execution", _auto_or_int, "training steps per backend call, or auto"),
}


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=list(PRESETS), help="start from one of the tutorial's experiments")
    parser.add_argument("--config", metavar="FILE", help="a run config in TOML")
    parser.add_argument("--dataset", metavar="NAME|PATH", help="mnist, fashion-mnist, mnist-5k, digits, IDX folder or .npz")
    for flag, (dest, kind, text) in RUN_FLAGS.items():
        parser.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    parser.add_argument("--raw-pixels", dest="normalize", action="store_const", const=False, default=None,
                        help="feed raw 0-255 pixels as the tutorial did (default: scale to [0, 1])")
    parser.add_argument("--normalize", dest="normalize", action="store_const", const=True,
                        help="scale pixels to [0, 1] (the default; overrides a preset's raw pixels)")
    parser.add_argument("--store", metavar="URL", help="journal file or Optuna storage URL (default: $HPTUNE_STORE)")


def config_from_args(args: argparse.Namespace) -> Any:
    from hptune.core.config import load_config, make_config

    values = {dest: getattr(args, dest) for dest, *_ in RUN_FLAGS.values() if getattr(args, dest, None) is not None}
    if getattr(args, "dataset", None) is not None:
        values["dataset"] = args.dataset
    if getattr(args, "normalize", None) is not None:
        values["normalize"] = args.normalize
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

    show = sub.add_parser("show", help="show one stored run with its epochs")
    show.add_argument("run_id", type=_number(int), metavar="RUN_ID")
    show.add_argument("--store", metavar="URL")
    show.add_argument("--json", action="store_true")

    presets = sub.add_parser("presets", help="list the presets")
    presets.add_argument("--json", action="store_true")

    serve = sub.add_parser("serve", help="serve the TUI to a browser (for demos)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_number(int), default=8000)
    serve.add_argument("--store", metavar="URL")

    add_sweep_parsers(sub)
    add_insight_parsers(sub)
    return parser


def add_sweep_parsers(sub: Any) -> None:
    """`sweep`, `worker` and `studies`; their code (core.sweep_cli) is imported only when one runs."""
    sweep = sub.add_parser("sweep", help="search hyperparameters with Optuna (grid, random, TPE) over a space file")
    sweep.add_argument("--space", metavar="FILE.toml", required=True, help="the search space ([space], [fixed], [sweep])")
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


# --- output -----------------------------------------------------------------------------------------------------

class RunPrinter:
    """Keras-verbose-style output: a progress bar within the epoch on a terminal, a line per epoch."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.tty = err.isatty()
        self._bar_shown = False

    def __call__(self, event: Any) -> None:
        from hptune.core.events import BatchProgress, DataLoading, EpochEnded, RunFinished, RunStarted

        if isinstance(event, DataLoading):
            self._line(self.err, f"loading {event.dataset} ...")
        elif isinstance(event, RunStarted):
            info = event.dataset
            if info.fallback:
                self._line(self.err, f"notice: {info.fallback}")
            self._line(
                self.out,
                f"{event.config.summary()} | {event.params:,} params | {info.name}: {info.n_train:,} train,"
                f" {info.n_val:,} val, {info.n_test:,} test | {event.device} ({event.backend})",
            )
        elif isinstance(event, BatchProgress) and self.tty:
            width = 24
            filled = int(width * event.step / max(1, event.steps))
            bar = "=" * max(0, filled - 1) + (">" if filled < width else "=") + "." * (width - filled)
            self.err.write(
                f"\r{event.epoch:>4} [{bar}] {event.step}/{event.steps} loss {event.loss:.4f}"
                f" ETA {event.eta_seconds:4.1f}s {event.samples_per_second:,.0f} img/s\x1b[K"
            )
            self.err.flush()
            self._bar_shown = True
        elif isinstance(event, EpochEnded):
            m = event.metrics
            self._line(
                self.out,
                f"Epoch {m.epoch}/{event.epochs} - {m.seconds:.2f}s - loss: {m.loss:.4f} - acc: {m.accuracy:.4f}"
                f" - val_loss: {m.val_loss:.4f} - val_acc: {m.val_accuracy:.4f}",
            )
        elif isinstance(event, RunFinished):
            lines = [f"status: {event.status}" + (f" ({event.message})" if event.message else "")]
            if event.test_accuracy is not None:
                lines.append(f"test accuracy: {event.test_accuracy:.4f}  macro-F1: {event.test_macro_f1:.4f}"
                             f"  train time: {event.train_seconds:.1f}s  best epoch: {event.best_epoch}")
            if event.diagnosis:
                lines.append(f"diagnosis: {event.diagnosis.line}")
            for text in lines:
                self._line(self.out, text)

    def _line(self, stream: TextIO, text: str) -> None:
        if self._bar_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._bar_shown = False
        stream.write(text + "\n")
        stream.flush()


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def runs_table(records: Sequence[Any]) -> str:
    header = f"{'id':>4}  {'study':<12} {'status':<13} {'model':<16} {'opt':<8} {'lr':>8} {'bs':>5} {'ep':>7} {'val_acc':>7} {'test':>7} {'time':>7}  dataset"
    lines = [header]
    for r in records:
        c = r.config
        units = c.get("hidden_units")
        model = f"{c.get('hidden_layers')}x" + ("x".join(map(str, units)) if isinstance(units, list) else str(units))
        lines.append(
            f"{r.run_id:>4}  {r.study[:12]:<12} {r.status:<13} {model[:16]:<16} {c.get('optimizer', ''):<8}"
            f" {c.get('learning_rate', 0):>8.2g} {c.get('batch_size', 0):>5} {len(r.epochs):>3}/{c.get('epochs', 0):<3}"
            f" {_fmt(r.val_accuracy):>7} {_fmt(r.test_accuracy):>7} {_fmt(r.train_seconds, '.1f'):>6}s"
            f"  {(r.dataset or {}).get('name', c.get('dataset', ''))}"
        )
    if not records:
        lines.append("(no runs yet: try `hptune run --dataset mnist-5k --epochs 2`)")
    return "\n".join(lines)


# --- commands ---------------------------------------------------------------------------------------------------

def open_store(location: str | None) -> Any:
    from hptune.core.store import Store, StoreError

    try:
        return Store(location)
    except StoreError as err:
        raise CliError(str(err), EXIT_ERROR) from None


@contextlib.contextmanager
def ctrl_c_stops(stop: threading.Event, err: TextIO, saying: str,
                 also: Callable[[], None] | None = None) -> Iterator[None]:
    """The first Ctrl-C sets `stop` (and calls `also`) and says so; a second one aborts (KeyboardInterrupt)."""

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        if also is not None:
            also()
        err.write(f"\n{saying} (Ctrl-C again to abort) ...\n")

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.data import DatasetError
    from hptune.core.store import StoreError
    from hptune.core.trainer import train

    config = config_from_args(args)
    store = open_store(args.store)
    recorder = store.recorder()
    stop = threading.Event()
    printer = RunPrinter(err if args.json else out, err)

    try:
        with ctrl_c_stops(stop, err, "stopping after the current step"):
            result = train(config, on_event=printer, stop=stop, record=recorder)
    except DatasetError as e:
        raise CliError(f"dataset: {e}", EXIT_DATA) from None
    except StoreError as e:
        raise CliError(str(e), EXIT_ERROR) from None
    result.run_id = recorder.run_id
    tag_new_run(store, recorder.run_id, args.tag)
    if recorder.run_id is not None:
        err.write(f"saved as run {recorder.run_id} in {store.display}\n")
    if args.json:
        out.write(json.dumps(_clean(result.to_dict())) + "\n")
        out.flush()
    if result.status == "diverged":
        return EXIT_DIVERGED
    return EXIT_OK if result.status in ("completed", "early-stopped", "stopped") else EXIT_ERROR


def cmd_runs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.store import Store

    store = open_store(args.store)
    records = filtered_runs(store, store.runs(study=args.study), args.filter, err)
    if args.format == "json":
        out.write(json.dumps([_clean(r.to_dict()) for r in records]) + "\n")
    elif args.format == "csv":
        out.write(Store.to_csv(records))
    else:
        out.write(runs_table(records) + "\n")
    return EXIT_OK


def _clean(data: Any) -> Any:
    """JSON without NaN: non-finite floats become null."""
    import math

    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _clean(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_clean(v) for v in data]
    return data


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = open_store(args.store)
    try:
        record = store.get(args.run_id)
    except KeyError as e:
        raise CliError(str(e.args[0]), EXIT_INPUT) from None
    if args.json:
        out.write(json.dumps(_clean(record.to_dict())) + "\n")
        return EXIT_OK
    data = record.to_dict()
    out.write(f"run {record.run_id} ({record.study} #{record.number}): {record.status}"
              + (f" - {record.message}" if record.message else "") + "\n")
    out.write("config: " + ", ".join(f"{k}={v}" for k, v in record.config.items()) + "\n")
    if record.dataset:
        d = record.dataset
        out.write(f"dataset: {d['name']} ({d['n_train']:,} train, {d['n_val']:,} val, {d['n_test']:,} test)"
                  + (f"\nnotice: {d['fallback']}" if d.get("fallback") else "") + "\n")
    for e in record.epochs:
        out.write(f"Epoch {e.epoch}/{record.config.get('epochs')} - {e.seconds:.2f}s - loss: {e.loss:.4f} - acc:"
                  f" {e.accuracy:.4f} - val_loss: {e.val_loss:.4f} - val_acc: {e.val_accuracy:.4f}\n")
    if record.test_accuracy is not None:
        out.write(f"test accuracy: {record.test_accuracy:.4f}  macro-F1: {record.test_macro_f1:.4f}"
                  f"  train time: {data['train_seconds']:.1f}s  best epoch: {data['best_epoch']}\n")
    if record.diagnosis:
        out.write(f"diagnosis: {record.diagnosis.line}\n")
    return EXIT_OK


def cmd_presets(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.json:
        out.write(json.dumps(PRESETS) + "\n")
    else:
        for name, text in PRESET_HELP.items():
            out.write(f"{name:<12} {text}\n")
    return EXIT_OK


def _sweep_command(name: str) -> Callable[[argparse.Namespace, TextIO, TextIO], int]:
    def command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        from hptune.core import sweep_cli

        return getattr(sweep_cli, name)(args, out, err)

    return command


COMMANDS = {
    "run": cmd_run, "runs": cmd_runs, "show": cmd_show, "presets": cmd_presets,
    "sweep": _sweep_command("cmd_sweep"), "worker": _sweep_command("cmd_worker"), "studies": _sweep_command("cmd_studies"),
    **INSIGHT_COMMANDS,
}


def main(argv: Sequence[str] | None = None, frontends: dict[str, Frontend] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; `frontends` maps "tui" and "serve" to the functions that open them."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    command = args.command or "tui"
    try:
        if command in ("tui", "serve"):
            frontend = (frontends or {}).get(command)
            if frontend is None:
                parser.print_help(out)
                return EXIT_OK if args.command is None else EXIT_ERROR
            if command == "tui":
                config_from_args(args)  # refuse bad flags before the screen opens
            return frontend(args)
        return COMMANDS[command](args, out, err)
    except ConfigError as e:
        err.write(f"hptune: invalid input: {e}\n")
        return EXIT_INPUT
    except CliError as e:
        err.write(f"hptune: {e}\n")
        return e.code
    except KeyboardInterrupt:
        err.write("hptune: interrupted\n")
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def headless_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    headless_main()
