"""Running a sweep on this machine, for every front end: check what it needs, create it, start the worker
processes, follow it through the store (riding out an outage) until they end, and stop it when asked.

Every trial trains in a worker process, even with one worker: the process that follows the sweep (the `hptune`
command, the TUI) never imports TensorFlow, and a worker can restart itself when TensorFlow's memory grows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hptune.core.config import RunConfig
from hptune.core.data import check_dataset
from hptune.core.errors import EXIT_DATA, EXIT_OK, DataError, HptuneError, StoreFailure
from hptune.core.space import Choices, SearchSpace, SweepSettings
from hptune.core.store import Store
from hptune.core.sweeps import (
    OUTAGE_PAUSE,
    STORE_PATIENCE,
    Resumed,
    SweepSnapshot,
    _first_line,
    create_sweep,
    outage_errors,
    request_stop,
    resume_sweep,
    snapshot,
)

__all__ = ["MONITOR_SECONDS", "WORKER_MODULE", "SweepOutcome", "follow_sweep", "restart_sweep", "start_sweep",
           "start_workers", "sweep_datasets"]

#: Seconds between looks at the store while a sweep runs.
MONITOR_SECONDS = 0.5
#: The module a worker process runs (`python -m`): an entry point that nothing imports, so no module is loaded twice.
WORKER_MODULE = "hptune.core.cli.worker"


def sweep_datasets(space: SearchSpace) -> list[str]:
    """Every dataset the sweep's trials may train on: the searched choices, else the fixed one or the default."""
    searched = space.space.get("dataset")
    if isinstance(searched, Choices):
        return [str(v) for v in searched.values]
    return [str(space.fixed.get("dataset", RunConfig.model_fields["dataset"].default))]


def start_sweep(store: Store, name: str, space: SearchSpace, settings: SweepSettings) -> int:
    """Check the sweep's datasets (a DataError names the missing one) and create it with its trials queued, before
    any worker starts; returns how many trials were queued."""
    for dataset in sweep_datasets(space):
        check_dataset(dataset)
    return create_sweep(store, name, space, settings)


def restart_sweep(store: Store, name: str, *, trials: int | None = None, timeout: float | None = None,
                  workers: int | None = None) -> Resumed:
    """Make a stopped or interrupted sweep ready to go on (see `core.sweeps.resume_sweep`), its datasets checked
    first; `follow_sweep` then starts its workers."""
    from hptune.core.sweeps import load_sweep

    for dataset in sweep_datasets(load_sweep(store, name).space):
        check_dataset(dataset)
    return resume_sweep(store, name, trials=trials, timeout=timeout, workers=workers)


def start_workers(location: str, name: str, count: int) -> list[subprocess.Popen[bytes]]:
    """Worker processes on this machine; the store goes in the environment, never on a command line."""
    env = {**os.environ, "HPTUNE_STORE": location, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    command = [sys.executable, "-m", WORKER_MODULE, "--study", name, "--quiet"]
    return [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(count)]


@dataclass(frozen=True)
class SweepOutcome:
    """How a sweep ended here: its last snapshot, each worker's exit code, and how long it took."""

    snapshot: SweepSnapshot
    exit_codes: tuple[int, ...]
    seconds: float

    def failure(self) -> HptuneError | None:
        """The error the sweep ended with, if a worker failed; None when every worker ended well."""
        if any(code == EXIT_DATA for code in self.exit_codes):
            return DataError("the workers could not load the dataset (see above)")
        if any(code not in (EXIT_OK, -signal.SIGINT, -signal.SIGTERM) for code in self.exit_codes):
            return HptuneError(f"a sweep worker failed (exit codes {list(self.exit_codes)}; see above)")
        return None


def follow_sweep(store: Store, name: str, workers: int, *, stop: threading.Event | None = None,
                 on_snapshot: Callable[[SweepSnapshot], None] | None = None,
                 on_notice: Callable[[str], None] | None = None, patience: float = STORE_PATIENCE,
                 poll_seconds: float = MONITOR_SECONDS) -> SweepOutcome:
    """Start `workers` worker processes on the created sweep `name` and follow it until they have all ended.

    Each fresh read of the sweep goes to `on_snapshot`; `on_notice` hears of a store outage and its end (it is
    waited out for `patience` seconds, as the workers wait it out). Setting `stop` asks every worker of the sweep
    to stop: running trials end at their next epoch end. Any exception here (a second Ctrl-C) ends the workers.
    """
    stop = stop or threading.Event()
    errors = outage_errors()
    started = time.monotonic()
    children = start_workers(store.location, name, workers)
    snap: SweepSnapshot | None = None
    stop_sent = False
    unreachable_since: float | None = None
    try:
        while True:
            running = any(c.poll() is None for c in children)
            try:
                if stop.is_set() and not stop_sent:
                    request_stop(store, name)
                    stop_sent = True
                snap = snapshot(store, name)
            except errors as err:  # a database restarting: the workers ride it out too
                now = time.monotonic()
                if unreachable_since is None:
                    unreachable_since = now
                    if on_notice is not None:
                        on_notice(f"store unreachable ({_first_line(err)}); retrying ...")
                if now - unreachable_since > patience or not running:
                    raise StoreFailure(f"store {store.display}: unreachable for {now - unreachable_since:.0f} s",
                                       file=store.display) from None
                time.sleep(OUTAGE_PAUSE)
                continue
            if unreachable_since is not None:
                unreachable_since = None
                if on_notice is not None:
                    on_notice("store reachable again")
            if on_snapshot is not None:
                on_snapshot(snap)
            if not running:
                break
            time.sleep(poll_seconds)
    except BaseException:
        for child in children:
            if child.poll() is None:
                child.terminate()
        raise
    finally:
        for child in children:
            child.wait()
    if snap is None:
        raise StoreFailure(f"store {store.display}: could not be read", file=store.display)
    return SweepOutcome(snap, tuple(c.returncode for c in children), time.monotonic() - started)
