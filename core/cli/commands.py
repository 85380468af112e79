"""The run commands: `run` trains one network headless, `runs` lists the stored runs, `show` shows one, `export`
writes a run's kept model, `presets` lists the presets. Errors are raised (the core's HptuneError family) and
turned into a message and an exit code by `main`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from hptune.core.cli.output import runs_table
from hptune.core.cli.parser import config_from_args
from hptune.core.cli.progress import RunPrinter
from hptune.core.config import PRESET_HELP, PRESETS, RunConfig, format_bytes
from hptune.core.errors import EXIT_DIVERGED, EXIT_ERROR, EXIT_OK, InputError
from hptune.core.labels import epoch_line, model_line, result_lines
from hptune.core.outcome import to_json

__all__ = ["cmd_export", "cmd_presets", "cmd_run", "cmd_runs", "cmd_show", "ctrl_c_stops", "open_store"]


def open_store(location: str | None, err: TextIO | None = None, *, write: bool = False) -> Any:
    """The store at --store (else $HPTUNE_STORE, else the user's), for reading; with `write`, also opened for
    writing (checked and repaired), saying on `err` what the repair did. A StoreError says why it cannot be."""
    from hptune.core.store import Store

    store = Store(location)
    if write:
        for notice in store.open_for_writing().notices:
            (err or sys.stderr).write(f"hptune: notice: {notice}\n")
    return store


@contextlib.contextmanager
def ctrl_c_stops(stop: threading.Event, err: TextIO, saying: str) -> Iterator[None]:
    """The first Ctrl-C sets `stop` and says so; a second one aborts (KeyboardInterrupt)."""

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        err.write(f"\n{saying} (Ctrl-C again to abort) ...\n")

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.trainer import train

    config = config_from_args(args)
    if config.repeats > 1:
        return run_repeats(config, args, out, err)
    store = open_store(args.store, err, write=True)
    recorder = store.recorder()
    stop = threading.Event()
    printer = RunPrinter(err if args.json else out, err)

    with ctrl_c_stops(stop, err, "stopping after the current step"):
        result = train(config, on_event=printer, stop=stop, record=recorder)
    if result.run_id is not None:
        tag_new_run(store, result.run_id, args.tag)
        err.write(f"saved as run {result.run_id} in {store.display}\n")
    if args.json:
        out.write(to_json(result.to_dict()) + "\n")
        out.flush()
    if result.status == "diverged":
        return EXIT_DIVERGED
    return EXIT_OK if result.ok else EXIT_ERROR


def cmd_runs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.cli.parser import RUNS_TABLE_LIMIT
    from hptune.core.store import Store

    store = open_store(args.store)
    limit = args.limit if args.limit is not None else (RUNS_TABLE_LIMIT if args.format == "table" else 0)
    if args.all or limit < 0:
        limit = 0
    newest = limit or None
    if getattr(args, "filter", None):  # the filter looks at every run; the limit applies to what it picks
        chosen = filtered_runs(store, store.runs(study=args.study, light=args.format != "json"), args.filter, err)
        records = chosen[-newest:] if newest else chosen
    else:
        records = store.runs(study=args.study, light=args.format != "json", newest=newest)
    if newest and len(records) == newest:
        err.write(f"the {newest} most recently started runs; --all lists every one\n")
    if args.format == "json":
        out.write(Store.to_json(records) + "\n")
    elif args.format == "csv":
        out.write(Store.to_csv(records))
    else:
        out.write(runs_table(records) + "\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = open_store(args.store)
    try:
        record = store.get(args.run_id)
    except KeyError as e:
        raise InputError(str(e.args[0]), field="run_id") from None
    if args.json:
        out.write(to_json(record.to_dict()) + "\n")
        return EXIT_OK
    out.write(f"run {record.run_id} ({record.study} #{record.number}): {record.status}"
              + (f" - {record.message}" if record.message else "") + "\n")
    out.write("config: " + ", ".join(f"{k}={v}" for k, v in record.config.model_dump().items()) + "\n")
    if record.dataset:
        d = record.dataset
        out.write(f"dataset: {d.name} ({d.n_train:,} train, {d.n_val:,} val, {d.n_test:,} test)"
                  + (f"\nnotice: {d.fallback}" if d.fallback else "") + "\n")
    for e in record.epochs:
        out.write(epoch_line(e, record.config.epochs) + "\n")
    for line in result_lines(record)[1:]:  # the status is in the first line already
        out.write(line + "\n")
    out.write(model_line(record) + "\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write a run's kept model to --out, after Keras has opened it in safe mode."""
    from hptune.core.model import export_model

    store = open_store(args.store)
    try:
        record = store.get(args.run_id)
    except KeyError as e:
        raise InputError(str(e.args[0]), field="run_id") from None
    size = export_model(record, args.out)
    out.write(f"run {record.run_id}: model written to {args.out} ({format_bytes(size)})\n")
    return EXIT_OK


def cmd_presets(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.json:
        out.write(json.dumps(PRESETS) + "\n")
    else:
        for name, text in PRESET_HELP.items():
            out.write(f"{name:<12} {text}\n")
    return EXIT_OK


def run_repeats(config: RunConfig, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Called by `run` when the config asks for more than one repeat; prints each run, then the spread."""
    from hptune.core.repeats import train_repeats
    from hptune.core.trainer import train

    store = open_store(args.store)
    stop = threading.Event()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing warnings: expected when models differ
    printer = RunPrinter(err if args.json else out, err)
    text = err if args.json else out

    def announce(index: int, result: Any) -> None:
        where = f" (run {result.run_id})" if result.run_id is not None else ""
        text.write(f"repeat {index + 1}/{config.repeats} with seed {result.config.seed} done{where}\n")
        text.flush()

    text.write(f"training {config.repeats} repeats: seeds {config.seed} to {config.seed + config.repeats - 1}\n")
    with ctrl_c_stops(stop, err, "stopping after the current step; no more repeats"):
        outcome = train_repeats(config, train, store, on_event=printer, stop=stop, on_result=announce)
    err.write(f"saved as group {outcome.group} in {store.display}\n")
    for name in ("test_accuracy", "train_accuracy", "val_accuracy", "gap"):
        spread = outcome.spread(name)
        if spread is not None:
            text.write(f"{name.replace('_', ' ')} over {spread.n} seeds: {spread.text('.4f')}"
                       f" (min {spread.low:.4f}, max {spread.high:.4f})\n")
    if args.json:
        out.write(to_json(outcome.to_dict()) + "\n")
        out.flush()
    statuses = {r.status for r in outcome.results}
    if "diverged" in statuses:
        return EXIT_DIVERGED
    return EXIT_OK if statuses <= {"completed", "early-stopped", "stopped"} else EXIT_ERROR


def filtered_runs(store: Any, records: list[Any], expression: str | None, err: TextIO) -> list[Any]:
    """`runs --filter`: the records the expression selects (a bad expression exits 2 naming the token)."""
    if not expression:
        return records
    from hptune.core.filters import filter_records

    chosen = filter_records(records, expression, store.annotations())
    err.write(f"{len(chosen)} of {len(records)} runs match {expression!r}\n")
    return chosen


def tag_new_run(store: Any, run_id: int | None, tags: list[str]) -> None:
    """`run --tag`: tag the run just saved."""
    if tags and run_id is not None:
        store.set_tags(tags, run_id=run_id)


def tag_new_study(store: Any, study: str, tags: list[str]) -> None:
    """`sweep --tag`: tag the sweep's study (and so, in filters, every trial of it)."""
    if tags:
        store.set_tags(tags, study=study)
