"""`hptune sweep`, `hptune worker` and `hptune studies`: the command-line face of the core's sweeps.

Imported only when one of these commands runs, so `hptune --help` stays fast. `sweep` checks the space, the store
and the datasets, then the core's sweep runner starts the workers and follows them; this module only prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any, TextIO

from hptune.core.cli.commands import ctrl_c_stops, open_store, tag_new_study
from hptune.core.cli.output import describe, params_text, summary_lines, trial_line
from hptune.core.config import ConfigError
from hptune.core.errors import EXIT_ERROR, EXIT_OK, InputError
from hptune.core.insight import chosen_run, chosen_run_line
from hptune.core.outcome import to_json
from hptune.core.space import SearchSpace, SweepSettings, load_space
from hptune.core.sweep_runner import follow_sweep, restart_sweep, start_sweep
from hptune.core.sweeps import SweepSnapshot, SweepWorker, TrialEnded, TrialStarted, load_sweep, snapshot

__all__ = ["cmd_studies", "cmd_sweep", "cmd_worker", "settings_from_args"]


#: Flag -> SweepSettings field, for the flags that override a space file's [sweep] table.
SETTING_FLAGS = {"algorithm": "algorithm", "trials": "trials", "timeout": "timeout", "pruner": "pruner",
                 "workers": "workers", "objective": "objective", "seed": "seed"}


def settings_from_args(space: SearchSpace, args: argparse.Namespace) -> SweepSettings:
    given = {field: getattr(args, flag) for flag, field in SETTING_FLAGS.items()
             if getattr(args, flag, None) is not None}
    merged = {**space.sweep.model_dump(), **given}
    from pydantic import ValidationError

    try:
        return SweepSettings.with_budget(merged)
    except ValidationError as err:  # word it as the flag that caused it
        from hptune.core.config import field_names_in, format_validation_error

        names = field_names_in(err)
        raise ConfigError(format_validation_error(err), names[0] if names else None) from None


#: Flags that a resumed sweep may change; the rest are stored with the study.
RESUME_FLAGS = ("trials", "timeout", "workers")


def _resume(args: argparse.Namespace, store: Any, progress: TextIO) -> tuple[str, SweepSettings]:
    """`--resume STUDY`: the stored space and settings, with a new budget or worker count if given."""
    fixed = [f"--{flag}" for flag in ("space", "study", *SETTING_FLAGS) if flag not in RESUME_FLAGS
             and getattr(args, flag, None) is not None]
    if fixed:
        raise InputError(f"--resume: {', '.join(fixed)} cannot change for a resumed sweep (its space and settings"
                         " are stored with the study); only --trials, --timeout and --workers can", field="resume")
    resumed = restart_sweep(store, args.resume, trials=args.trials, timeout=args.timeout, workers=args.workers)
    sweep = resumed.sweep
    to_run = resumed.waiting + resumed.queued
    done = f"{resumed.done} trial{'s' if resumed.done != 1 else ''} done"
    progress.write(f"sweep {sweep.name} in {store.display} resumed: {done}, {to_run} to run;"
                   f" {describe(sweep.settings, sweep.space, resumed.done + to_run)}\n")
    return sweep.name, sweep.settings


def cmd_sweep(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    progress = err if args.json else out
    if args.resume:
        store = open_store(args.store, err, write=True)
        name, settings = _resume(args, store, progress)
    else:
        if not args.space:
            raise InputError("--space: give the search space file (or --resume STUDY to continue a sweep)",
                             field="space")
        space = load_space(args.space)
        settings = settings_from_args(space, args)
        store = open_store(args.store, err, write=True)
        name = args.study or time.strftime("sweep-%Y%m%d-%H%M%S")
        queued = start_sweep(store, name, space, settings)  # the datasets are checked before any worker starts
        tag_new_study(store, name, args.tag)
        progress.write(f"sweep {name} in {store.display}: {describe(settings, space, queued)}\n")
    progress.flush()

    shown: set[int] = {row.number for row in snapshot(store, name).trials if row.finished} if args.resume else set()

    def on_snapshot(snap: SweepSnapshot) -> None:
        for row in snap.trials:
            if row.finished and row.number not in shown:
                shown.add(row.number)
                progress.write(trial_line(row, snap, len(shown)) + "\n")
                progress.flush()

    def on_notice(text: str) -> None:
        progress.write(text + "\n")
        progress.flush()

    stop = threading.Event()
    with ctrl_c_stops(stop, err, "stopping: running trials end at their next epoch end"):
        outcome = follow_sweep(store, name, settings.workers, stop=stop, on_snapshot=on_snapshot, on_notice=on_notice)

    snap = outcome.snapshot
    for line in summary_lines(snap, outcome.seconds):
        progress.write(line + "\n")
    chosen = chosen_run(store, snap)
    if chosen is not None:
        progress.write(chosen_run_line(chosen) + "\n")
    if args.json:
        out.write(to_json({**snap.to_dict(), "chosen": chosen, "store": store.display,
                           "seconds": round(outcome.seconds, 3)}) + "\n")
    out.flush()
    failure = outcome.failure()
    if failure is not None:
        raise failure
    return EXIT_OK if snap.count("COMPLETE") else EXIT_ERROR


def cmd_worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = open_store(args.store, err, write=True)
    sweep = load_sweep(store, args.study)
    stop = threading.Event()

    def on_trial(event: Any) -> None:
        if args.quiet:
            return
        if isinstance(event, TrialStarted):
            out.write(f"trial {event.number} started: {params_text(event.params)}\n")
        elif isinstance(event, TrialEnded):
            value = f" {sweep.settings.objective} {event.value:.4f}" if event.value is not None else ""
            out.write(f"trial {event.number} {event.state.lower()}{value} after {event.epochs} epochs"
                      + (f" ({event.message})" if event.message else "") + "\n")
        out.flush()

    worker = SweepWorker(store, args.study, stop=stop, on_trial=on_trial, log_path=args.log,
                         recycle_at=args.recycle_at or None)

    if not args.quiet:
        out.write(f"worker {os.getpid()} on sweep {args.study} in {store.display}\n")
        out.flush()
    with ctrl_c_stops(stop, err, "worker stopping after the current epoch"):
        count = worker.run()
    if worker.recycle:
        # same pid, fresh memory: trials it ran stay attributed to it, and no trial is running now
        if not args.quiet:
            out.write(f"worker {os.getpid()} restarts itself to release TensorFlow's memory\n")
        out.flush()
        err.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    if not args.quiet:
        out.write(f"worker {os.getpid()} done: {count} trials\n")
    return EXIT_OK


def _sweep_states(store: Any, name: str) -> dict[str, int]:
    """A sweep's trials counted as its screen counts them: a trial stopped or cut off mid-way is "stopped" or
    "interrupted" rather than failed (a dead worker's too, though nothing has written that down yet), and a stopped
    sweep's queued points, which will not run unless it is resumed, "not run"."""
    counts: dict[str, int] = {}
    snap = snapshot(store, name)
    for row in snap.trials:
        if row.state == "FAIL" and row.status in ("stopped", "interrupted"):
            key = row.status.upper()
        elif row.state == "WAITING" and snap.sweep.stopped:
            key = "NOT RUN"
        else:
            key = row.state
        counts[key] = counts.get(key, 0) + 1
    return counts


def cmd_studies(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.store import SWEEP_ATTR
    from hptune.core.sweeps import STOP_ATTR

    store = open_store(args.store)
    studies = store.studies()
    rows = []
    for s in studies:
        meta = s["user_attrs"].get(SWEEP_ATTR) or {}
        settings = meta.get("settings") or {}
        rows.append({
            "name": s["name"], "direction": s["direction"], "trials": s["trials"], "states": s["states"],
            "best_value": s["best_value"], "algorithm": settings.get("algorithm"),
            "objective": settings.get("objective"), "searched": sorted((meta.get("space") or {}).get("space", {})),
            "stopped": bool(s["user_attrs"].get(STOP_ATTR)),
        })
    if args.json:
        out.write(to_json(rows) + "\n")
        return EXIT_OK
    out.write(f"{'study':<28} {'kind':<8} {'trials':>6}  {'states':<40} {'best':>8}  objective\n")
    for r in rows:
        named = _sweep_states(store, r["name"]) if r["algorithm"] else r["states"]
        states = " ".join(f"{k.lower()} {v}" for k, v in sorted(named.items()))
        best = "-" if r["best_value"] is None else f"{r['best_value']:.4f}"
        out.write(f"{r['name'][:28]:<28} {r['algorithm'] or 'runs':<8} {r['trials']:>6}  {states[:40]:<40} {best:>8}"
                  f"  {r['objective'] or '-'}\n")
    if not rows:
        out.write(f"(no studies in {store.display} yet)\n")
    return EXIT_OK
