"""`hptune sweep`, `hptune worker` and `hptune studies`: the command-line face of core.sweeps.

Imported only when one of these commands runs, so `hptune --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, TextIO

from hptune.core.cli import EXIT_DATA, EXIT_ERROR, EXIT_INPUT, EXIT_OK, CliError, _clean, ctrl_c_stops, open_store
from hptune.core.config import ConfigError
from hptune.core.insight import chosen_run, chosen_run_line
from hptune.core.insight_cli import tag_new_study
from hptune.core.space import SearchSpace, SweepSettings, load_space
from hptune.core.store import redact
from hptune.core.sweeps import (
    SweepError,
    SweepSnapshot,
    SweepWorker,
    TrialEnded,
    TrialRow,
    TrialStarted,
    create_sweep,
    load_sweep,
    request_stop,
    snapshot,
)

#: Seconds between looks at the store while a sweep runs.
MONITOR_SECONDS = 0.5
#: How long `hptune sweep` keeps watching a store it cannot reach (a database restarting) before giving up.
STORE_PATIENCE = 120.0
#: Flag -> SweepSettings field, for the flags that override a space file's [sweep] table.
SETTING_FLAGS = {"algorithm": "algorithm", "trials": "trials", "timeout": "timeout", "pruner": "pruner",
                 "workers": "workers", "objective": "objective", "seed": "seed"}


def settings_from_args(space: SearchSpace, args: argparse.Namespace) -> SweepSettings:
    given = {field: getattr(args, flag) for flag, field in SETTING_FLAGS.items() if getattr(args, flag, None) is not None}
    merged = {**space.sweep.model_dump(), **given}
    if merged["algorithm"] != "grid" and merged["trials"] is None and merged["timeout"] is None:
        merged["trials"] = 20
    from pydantic import ValidationError

    try:
        return SweepSettings.model_validate(merged)
    except ValidationError as err:  # word it as the flag that caused it
        from hptune.core.config import field_names_in, format_validation_error

        names = field_names_in(err)
        raise ConfigError(format_validation_error(err), names[0] if names else None) from None


def describe(settings: SweepSettings, space: SearchSpace, queued: int) -> str:
    budget = []
    if settings.algorithm == "grid":
        budget.append(f"{queued} grid points")
    elif settings.trials:
        budget.append(f"{settings.trials} trials")
    if settings.timeout:
        budget.append(f"at most {settings.timeout:g}s")
    return (
        f"{settings.algorithm} over {', '.join(space.space)}; {' and '.join(budget)}; pruner {settings.pruner};"
        f" objective {settings.objective} ({settings.direction}); {settings.workers} worker"
        + ("s" if settings.workers > 1 else "")
    )


def params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}".replace(" ", "") for k, v in params.items())


def trial_line(row: TrialRow, snap: SweepSnapshot, done: int) -> str:
    total = snap.count("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
    best = snap.best
    objective = snap.sweep.settings.objective
    if row.state == "COMPLETE":
        what = f"complete  {objective} {row.value:.4f}"
    elif row.state == "PRUNED":
        what = f"pruned    {row.message or ''}"
    else:
        what = f"{row.status:<9} {row.message or ''}"
    retry = f" (retry of #{row.retry_of})" if row.retry_of is not None else ""
    best_text = f"best {best.value:.4f} (#{best.number})" if best else "best -"
    return (f"[{done:>3}/{total}] trial {row.number:<3} {what}  | {len(row.epochs)} epochs | {best_text}"
            f" | {params_text(row.params)}{retry}")


def summary_lines(snap: SweepSnapshot, seconds: float) -> list[str]:
    counts = ", ".join(f"{snap.count(s)} {s.lower()}" for s in ("COMPLETE", "PRUNED", "FAIL") if snap.count(s))
    lines = [f"done in {seconds:.0f}s: {counts or 'no trials finished'}"
             + (f"; {snap.count('WAITING')} left queued" if snap.count("WAITING") else "")]
    best = snap.best
    if best is not None:
        lines.append(f"best: trial {best.number} (run {best.run_id}) {snap.sweep.settings.objective} {best.value:.4f}"
                     f" with {params_text(best.params)}")
        lines.append(f"best config: {snap.best_config().summary()}  (hptune show {best.run_id})")  # type: ignore[union-attr]
    return lines


def cmd_sweep(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    space = load_space(args.space)
    settings = settings_from_args(space, args)
    store = open_store(args.store)
    name = args.study or time.strftime("sweep-%Y%m%d-%H%M%S")
    try:
        queued = create_sweep(store, name, space, settings)
    except SweepError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    tag_new_study(store, name, args.tag)
    progress = err if args.json else out
    progress.write(f"sweep {name} in {store.display}: {describe(settings, space, queued)}\n")
    progress.flush()

    stop = threading.Event()
    started = time.monotonic()
    # Workers are processes even when there is one: this process stays light (no TensorFlow) and watches the
    # store, and a worker can restart itself when TensorFlow's memory grows.
    children = start_workers(store.location, name, settings.workers)

    def alive() -> bool:
        return any(c.poll() is None for c in children)

    shown: set[int] = set()
    snap = None
    unreachable_since: float | None = None
    try:
        with ctrl_c_stops(stop, err, "stopping: running trials end at their next epoch end",
                          also=lambda: request_stop(store, name)):
            while True:
                running = alive()
                try:
                    snap = snapshot(store, name)
                except Exception as error:  # noqa: BLE001 - a database restarting: the workers ride it out too
                    now = time.monotonic()
                    if unreachable_since is None:
                        unreachable_since = now
                        progress.write(f"store unreachable ({redact(str(error).splitlines()[0])}); retrying ...\n")
                        progress.flush()
                    if now - unreachable_since > STORE_PATIENCE or not running:
                        raise CliError(f"store {store.display}: unreachable for {now - unreachable_since:.0f} s",
                                       EXIT_ERROR) from None
                    time.sleep(MONITOR_SECONDS)
                    continue
                if unreachable_since is not None:
                    unreachable_since = None
                    progress.write("store reachable again\n")
                for row in snap.trials:
                    if row.finished and row.number not in shown:
                        shown.add(row.number)
                        progress.write(trial_line(row, snap, len(shown)) + "\n")
                        progress.flush()
                if not running:
                    break
                time.sleep(MONITOR_SECONDS)
    except KeyboardInterrupt:
        for child in children:
            child.terminate()
        raise
    finally:
        for child in children:
            child.wait()

    if snap is None:
        raise CliError(f"store {store.display}: could not be read", EXIT_ERROR)
    for line in summary_lines(snap, time.monotonic() - started):
        progress.write(line + "\n")
    chosen = chosen_run(store, snap)
    if chosen is not None:
        progress.write(chosen_run_line(chosen) + "\n")
    if args.json:
        out.write(json.dumps(_clean({**snap.to_dict(), "chosen": chosen, "store": store.display,
                                     "seconds": round(time.monotonic() - started, 3)})) + "\n")
    out.flush()
    if any(c.returncode == EXIT_DATA for c in children):
        raise CliError("dataset: the workers could not load the dataset (see above)", EXIT_DATA)
    if any(c.returncode not in (EXIT_OK, -signal.SIGINT) for c in children):
        raise CliError(f"a sweep worker failed (exit codes {[c.returncode for c in children]}; see above)", EXIT_ERROR)
    return EXIT_OK if snap.count("COMPLETE") else EXIT_ERROR


def start_workers(location: str, name: str, count: int) -> list[subprocess.Popen[bytes]]:
    """`hptune worker` processes on this machine; the store goes in the environment, never on a command line."""
    env = {**os.environ, "HPTUNE_STORE": location, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "hptune.core.cli", "worker", "--study", name, "--quiet"]
    return [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(count)]


def cmd_worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.data import DatasetError
    from hptune.core.store import StoreError

    store = open_store(args.store)
    try:
        sweep = load_sweep(store, args.study)
    except SweepError as e:
        raise CliError(str(e), EXIT_INPUT) from None
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
    try:
        with ctrl_c_stops(stop, err, "worker stopping after the current epoch"):
            count = worker.run()
    except DatasetError as e:
        raise CliError(f"dataset: {e}", EXIT_DATA) from None
    except StoreError as e:
        raise CliError(str(e), EXIT_ERROR) from None
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


def cmd_studies(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.store import SWEEP_ATTR

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
        })
    if args.json:
        out.write(json.dumps(_clean(rows)) + "\n")
        return EXIT_OK
    out.write(f"{'study':<28} {'kind':<8} {'trials':>6}  {'states':<40} {'best':>8}  objective\n")
    for r in rows:
        states = " ".join(f"{k.lower()} {v}" for k, v in sorted(r["states"].items()))
        best = "-" if r["best_value"] is None else f"{r['best_value']:.4f}"
        out.write(f"{r['name'][:28]:<28} {r['algorithm'] or 'runs':<8} {r['trials']:>6}  {states[:40]:<40} {best:>8}"
                  f"  {r['objective'] or '-'}\n")
    if not rows:
        out.write(f"(no studies in {store.display} yet)\n")
    return EXIT_OK
