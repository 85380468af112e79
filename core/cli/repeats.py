"""`hptune run --repeats K`: the same config trained with K seeds, then the mean and spread of its scores."""

from __future__ import annotations

import argparse
import json
import logging
import threading
from typing import Any, TextIO

from hptune.core.config import RunConfig
from hptune.core.errors import EXIT_DIVERGED, EXIT_ERROR, EXIT_OK


def run_repeats(config: RunConfig, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Called by `run` when the config asks for more than one repeat; prints each run, then the spread."""
    from hptune.core.cli.commands import ctrl_c_stops, open_store
    from hptune.core.cli.output import _clean
    from hptune.core.cli.progress import RunPrinter
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
        out.write(json.dumps(_clean(outcome.to_dict())) + "\n")
        out.flush()
    statuses = {r.status for r in outcome.results}
    if "diverged" in statuses:
        return EXIT_DIVERGED
    return EXIT_OK if statuses <= {"completed", "early-stopped", "stopped"} else EXIT_ERROR
