"""Sweeps: Optuna studies whose trials are hptune runs. Optuna's samplers, pruners and storages do the work.

A sweep is a study in the run store with its search space and settings as a study user attribute, so a worker
on any host needs only the store URL and the study name. Its trials are queued up front as WAITING trials (every
grid point, or one empty slot per budgeted trial that the sampler fills when a worker takes it), and workers
take them with Optuna's own atomic WAITING -> RUNNING pop: each point runs exactly once however many workers
share the study, and the budget is never overshot. Only a sweep with a time budget alone creates trials as it
goes.

A worker that dies mid-trial leaves a RUNNING trial behind: with a PostgreSQL store Optuna's heartbeat fails it,
with the journal store the pid (or, from another host, the heartbeat attribute) does; either way
`core.store.retry_callback` queues its params once more, and the failed trial keeps its finished epochs.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hptune.core.config import ConfigError, RunConfig
from hptune.core.errors import InputError, StoreFailure
from hptune.core.events import EpochEnded, EpochMetrics, Event
from hptune.core.outcome import json_safe, to_json
from hptune.core.space import SearchSpace, SweepSettings
from hptune.core.store import SWEEP_ATTR, Store, outcome_from_trial, process_attrs, redact, retry_callback
from hptune.core.store._optuna import trial_id
from hptune.core.store.models import discard_model
from hptune.core.store.repair import mark_dead_runs

log = logging.getLogger(__name__)

#: Study user attribute a stop request sets; workers see it between trials and at every epoch end.
STOP_ATTR = "hptune_stop"
#: Seconds an idle worker waits between looks at trials still running elsewhere (which may fail and come back).
POLL_SECONDS = 1.0
#: How long a worker, or whatever follows a sweep, waits for a store it cannot reach (a database restarting)
#: before giving up.
STORE_PATIENCE = 120.0
#: Seconds between tries while the store is unreachable.
OUTAGE_PAUSE = 0.5

T = TypeVar("T")


class SweepError(InputError):
    """The sweep cannot be created or found (a study name taken or unknown); the message says why. Exit 2."""


def outage_errors() -> tuple[type[BaseException], ...]:
    """What a store that cannot be reached raises: the database driver's errors, Optuna's wrapper of them, a
    journal file's OSError, and a store error. Anything else is a bug and is not waited out."""
    import optuna
    import sqlalchemy.exc

    return (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError, OSError, StoreFailure)


def patiently(call: Callable[[], T], store: Store, patience: float = STORE_PATIENCE,
              stop: threading.Event | None = None) -> T:
    """`call()`, tried again while the store is unreachable, for up to `patience` seconds; then a StoreFailure."""
    errors = outage_errors()
    since: float | None = None
    while True:
        try:
            return call()
        except errors as err:
            now = time.monotonic()
            if since is None:
                since = now
                log.warning("store %s unreachable (%s); retrying", store.display, _first_line(err))
            if now - since > patience:
                raise StoreFailure(f"store {store.display}: unreachable for {now - since:.0f} s ({_first_line(err)})",
                                   file=store.display) from None
            (stop or threading.Event()).wait(OUTAGE_PAUSE)


def _first_line(err: BaseException) -> str:
    return redact(str(err).splitlines()[0] if str(err) else type(err).__name__)


# --- creating and reading ---------------------------------------------------------------------------------------

def create_sweep(store: Store, name: str, space: SearchSpace, settings: SweepSettings) -> int:
    """Create the study with its settings and queue its trials; returns how many were queued."""
    import optuna

    points = space.grid() if settings.algorithm == "grid" else None  # ConfigError for an unstepped range
    if settings.algorithm != "grid" and settings.trials is None and settings.timeout is None:
        raise ConfigError("trials: give a trial budget (--trials) or a time budget (--timeout)", "trials")
    store.ensure_open_for_writing()
    with store._lock:
        if any(s.study_name == name for s in store.storage.get_all_studies()):
            raise SweepError(
                f"study {name!r} already exists in {store.display}; choose another --study, or run"
                f" `hptune worker --study {name}` to add workers to it"
            )
        study = store.study(name, settings.direction)
        deadline = time.time() + settings.timeout if settings.timeout else None
        study.set_user_attr(SWEEP_ATTR, {
            "space": space.model_dump(mode="json"),
            "settings": settings.model_dump(mode="json"),
            "created": time.time(),
            "deadline": deadline,
        })
        if points is not None:
            queued = points[: settings.trials] if settings.trials else points
        else:
            queued = [{}] * (settings.trials or 0)  # empty slots: the sampler fills each when a worker takes it
        with _quiet():
            for params in queued:
                study.enqueue_trial(params)
        log.info("sweep %s: %d trials queued (%s)", name, len(queued), optuna.__version__)
        return len(queued)


@dataclass(frozen=True)
class Sweep:
    """A sweep as stored: its study's name, space, settings and time budget."""

    name: str
    study_id: int
    space: SearchSpace
    settings: SweepSettings
    deadline: float | None
    stopped: bool


def load_sweep(store: Store, name: str) -> Sweep:
    with store._lock:
        for frozen in store.storage.get_all_studies():
            if frozen.study_name == name:
                break
        else:
            raise SweepError(f"no study {name!r} in {store.display}; `hptune studies` lists them")
        attrs = frozen.user_attrs
    meta = attrs.get(SWEEP_ATTR)
    if not meta:
        raise SweepError(f"study {name!r} in {store.display} is not a sweep (it has no search space)")
    return Sweep(
        name=name,
        study_id=frozen._study_id,
        space=SearchSpace.model_validate(meta["space"]),
        settings=SweepSettings.model_validate(meta["settings"], context={"stored": True}),
        deadline=meta.get("deadline"),
        stopped=bool(attrs.get(STOP_ATTR)),
    )


#: How a trial ended without finishing its point: its params are queued again when the sweep is resumed.
UNFINISHED = ("stopped", "interrupted")


@dataclass(frozen=True)
class Resumed:
    """What `resume_sweep` did: the sweep as it now stands, the trials already done and what it queued."""

    sweep: Sweep
    done: int
    waiting: int
    queued: int


def resume_sweep(store: Store, name: str, *, trials: int | None = None, timeout: float | None = None,
                 workers: int | None = None) -> Resumed:
    """Make a stopped or interrupted sweep ready for its workers again: its stop request cleared, the points it
    never finished queued (each grid point once), its budget counting the trials already done, and its settings
    (with any new `trials`, `timeout` or `workers`) stored back. Refuses a sweep that live workers still run."""
    sweep = load_sweep(store, name)  # SweepError: no such study, or not a sweep
    store.ensure_open_for_writing()
    mark_dead_runs(store, name)  # a killed sweep's RUNNING trials: interrupted, their points queued again
    snap = snapshot(store, name)
    running = [t for t in snap.trials if t.state == "RUNNING"]
    if running:
        who = sorted({t.worker for t in running if t.worker})
        raise SweepError(
            f"study {name!r} is still running: {len(running)} trial(s) in live workers"
            + (f" ({', '.join(who)})" if who else "")
            + f"; stop it first (Ctrl-C, or `s` in the TUI), or add workers with `hptune worker --study {name}`"
        )
    settings = sweep.settings
    target = trials if trials is not None else settings.trials
    done_rows = [t for t in snap.trials if t.finished and t.status not in UNFINISHED]
    if target is not None and target < len(done_rows):
        raise SweepError(f"--trials: study {name!r} has {len(done_rows)} trials done already; expected"
                         f" at least {len(done_rows)}")
    with store._lock:
        frozen = store.storage.get_all_trials(sweep.study_id, deepcopy=False)
    raw = {t.number: dict(t.params) or dict(t.system_attrs.get("fixed_params", {})) for t in frozen}
    waiting = [t for t in snap.trials if t.state == "WAITING"]
    to_queue: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (params, user attrs)
    if settings.algorithm == "grid":
        taken = [raw[t.number] for t in (*done_rows, *waiting)]
        limit = target if target is not None else len(sweep.space.grid())
        room = limit - len(done_rows) - len(waiting)
        for point in sweep.space.grid():
            if room <= 0:
                break
            if point not in taken:
                to_queue.append((point, {}))
                taken.append(point)
                room -= 1
    else:
        retried = {t.retry_of for t in snap.trials if t.retry_of is not None}
        room = None if target is None else target - len(done_rows) - len(waiting)
        for t in snap.trials:
            if t.finished and t.status in UNFINISHED and t.number not in retried and raw[t.number] \
                    and (room is None or room > 0):
                to_queue.append((raw[t.number], {"retry_of": t.number}))
                room = None if room is None else room - 1
        to_queue += [({}, {})] * max(0, room or 0)
    deadline = sweep.deadline
    if timeout is not None:
        deadline = time.time() + timeout
    elif settings.timeout is not None:
        ended = [t.datetime_complete.timestamp() for t in frozen if t.datetime_complete is not None]
        with store._lock:
            created = store.storage.get_study_user_attrs(sweep.study_id)[SWEEP_ATTR].get("created", time.time())
        spent = max(ended, default=created) - created
        deadline = time.time() + max(0.0, settings.timeout - spent)
    changed = {k: v for k, v in (("trials", trials), ("timeout", timeout), ("workers", workers)) if v is not None}
    new_settings = settings.model_copy(update=changed) if changed else settings
    if not to_queue and not waiting and (target is not None or deadline is None or deadline <= time.time()):
        raise SweepError(
            f"study {name!r} has nothing left to run ({len(done_rows)} trials done);"
            " give a larger --trials (or a new --timeout) to extend it"
        )
    with store._lock:
        meta = dict(store.storage.get_study_user_attrs(sweep.study_id)[SWEEP_ATTR])
        meta.update(settings=new_settings.model_dump(mode="json"), deadline=deadline, resumed=time.time())
        store.storage.set_study_user_attr(sweep.study_id, SWEEP_ATTR, meta)
        with _quiet():
            study = store.study(name, settings.direction)
            for params, attrs in to_queue:
                study.enqueue_trial(params, user_attrs=attrs or None, skip_if_exists=False)
        store.storage.set_study_user_attr(sweep.study_id, STOP_ATTR, False)
    log.info("sweep %s resumed: %d done, %d waiting, %d queued", name, len(done_rows), len(waiting), len(to_queue))
    return Resumed(load_sweep(store, name), len(done_rows), len(waiting), len(to_queue))


def request_stop(store: Store, name: str) -> None:
    """Ask every worker of the sweep, on any host, to stop: running trials end at their next epoch end."""
    sweep = load_sweep(store, name)
    with store._lock:
        store.storage.set_study_user_attr(sweep.study_id, STOP_ATTR, True)


def _stop_requested(store: Store, study_id: int) -> bool:
    with store._lock:
        return bool(store.storage.get_study_user_attrs(study_id).get(STOP_ATTR))


@dataclass(frozen=True)
class TrialRow:
    """One trial of a sweep, for tables, charts and JSON."""

    number: int
    run_id: int
    state: str  # Optuna's: WAITING, RUNNING, COMPLETE, PRUNED, FAIL
    status: str  # the run's: completed, pruned, stopped, interrupted, failed, ...
    params: dict[str, Any]
    value: float | None
    epochs: tuple[EpochMetrics, ...]
    retry_of: int | None = None
    worker: str | None = None
    message: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("COMPLETE", "PRUNED", "FAIL")

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "run_id": self.run_id,
            "state": self.state,
            "status": self.status,
            "params": self.params,
            "value": json_safe(self.value),
            "epochs": json_safe(self.epochs),
            "retry_of": self.retry_of,
            "worker": self.worker,
            "message": self.message,
        }


@dataclass(frozen=True)
class SweepSnapshot:
    """A sweep's state at one moment, read from the store (the same for a local or a remote sweep)."""

    sweep: Sweep
    trials: tuple[TrialRow, ...]

    @property
    def best(self) -> TrialRow | None:
        done = [t for t in self.trials if t.state == "COMPLETE" and t.value is not None and math.isfinite(t.value)]
        if not done:
            return None
        maximize = self.sweep.settings.direction == "maximize"
        return (max if maximize else min)(done, key=lambda t: (t.value, -t.number) if maximize else (t.value, t.number))

    def count(self, *states: str) -> int:
        return sum(t.state in states for t in self.trials)

    @property
    def finished(self) -> bool:
        """No trial is queued or running (or the sweep was stopped and none is running)."""
        running = self.count("RUNNING")
        return running == 0 and (self.count("WAITING") == 0 or self.sweep.stopped or self.past_deadline)

    @property
    def unfinished(self) -> list[TrialRow]:
        """Trials stopped or cut off before their point was done, and not yet queued again."""
        retried = {t.retry_of for t in self.trials if t.retry_of is not None}
        return [t for t in self.trials if t.finished and t.status in UNFINISHED and t.number not in retried]

    @property
    def resumable(self) -> bool:
        """Nothing runs, yet points are left that never ran or never finished: `resume_sweep` would go on."""
        return self.count("RUNNING") == 0 and bool(self.count("WAITING") or self.unfinished)

    @property
    def past_deadline(self) -> bool:
        return self.sweep.deadline is not None and time.time() >= self.sweep.deadline

    def best_config(self) -> RunConfig | None:
        best = self.best
        return self.sweep.space.config(best.params) if best else None

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "study": self.sweep.name,
            "algorithm": self.sweep.settings.algorithm,
            "pruner": self.sweep.settings.pruner,
            "objective": self.sweep.settings.objective,
            "direction": self.sweep.settings.direction,
            "counts": {s.lower(): self.count(s) for s in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")},
            "trials": [t.to_dict() for t in self.trials],
            "best": None if best is None else {**best.to_dict(), "config": self.best_config().model_dump()},  # type: ignore[union-attr]
        }


def snapshot(store: Store, name: str) -> SweepSnapshot:
    """Read a sweep's trials (only reads: a trial whose process died reads as failed, interrupted)."""
    sweep = load_sweep(store, name)
    with store._lock:
        rows = tuple(_row(sweep, t) for t in store.storage.get_all_trials(sweep.study_id, deepcopy=False))
    return SweepSnapshot(sweep, rows)


def _row(sweep: Sweep, trial: Any) -> TrialRow:
    record = outcome_from_trial(sweep.name, trial, trial_id(trial))
    attrs = trial.user_attrs
    state = trial.state.name
    if state == "RUNNING" and record.status == "interrupted":
        state = "FAIL"  # its process died: as the next writer to open the store will write down
    status = record.status if "status" in attrs or state != "RUNNING" else "starting"
    if state == "WAITING":
        status = "not run" if sweep.stopped else "queued"
    return TrialRow(
        number=trial.number,
        run_id=trial._trial_id,
        state=state,
        status=status,
        params=sweep.space.decode(dict(trial.params) or dict(trial.system_attrs.get("fixed_params", {}))),
        value=trial.value if state in ("COMPLETE", "PRUNED") else None,
        epochs=tuple(record.epochs),
        retry_of=trial.system_attrs.get("failed_trial"),
        worker=f"{attrs['host']}:{attrs['pid']}" if "host" in attrs and "pid" in attrs else None,
        message=attrs.get("message"),
    )


# --- the worker -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrialStarted:
    number: int
    params: dict[str, Any]


@dataclass(frozen=True)
class TrialEnded:
    number: int
    state: str
    status: str
    params: dict[str, Any]
    value: float | None
    epochs: int
    message: str | None = None


TrialEvent = TrialStarted | TrialEnded


def make_sampler(settings: SweepSettings, number: int) -> Any:
    """A sampler seeded by the sweep's seed and the trial number: one worker repeats, several never collide."""
    import optuna

    seed = None if settings.seed is None else (settings.seed * 100_003 + number) % 2**32
    if settings.algorithm == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=settings.startup_trials)
    return optuna.samplers.RandomSampler(seed=seed)  # grid points are queued with their params: never sampled


def make_pruner(settings: SweepSettings, space: SearchSpace) -> Any:
    import optuna

    if settings.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=settings.startup_trials, n_warmup_steps=0)
    if settings.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, space.max_epochs), reduction_factor=3)
    return optuna.pruners.NopPruner()


class _Heartbeat:
    """Optuna's RDB heartbeat for one trial (what Study.optimize runs), so a dead worker's trial goes stale."""

    def __init__(self, storage: Any, trial_id: int) -> None:
        self.storage, self.trial_id = storage, trial_id
        getter = getattr(storage, "get_heartbeat_interval", None)
        self.interval = getter() if getter else None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        if self.interval:
            self.storage.record_heartbeat(self.trial_id)
            self._thread = threading.Thread(target=self._beat, name="hptune-heartbeat", daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._done.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception as err:  # noqa: BLE001 - a lost beat is retried at the next interval
                log.warning("heartbeat of trial %s failed: %s", self.trial_id, err)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()


@dataclass
class SweepWorker:
    """Takes trials of one sweep until none is left, the budget is spent or a stop is requested.

    `stop` ends it from this process (the running trial stops at once, as a stopped run); `request_stop` ends
    every worker of the sweep. `log_path` appends a JSON line per trial started and ended (an execution log).
    """

    store: Store
    name: str
    stop: threading.Event = field(default_factory=threading.Event)
    on_trial: Callable[[TrialEvent], None] | None = None
    log_path: str | Path | None = None
    poll_seconds: float = POLL_SECONDS
    #: Leave the loop (with `recycle` set) once resident memory exceeds this multiple of what it was after the
    #: first trial: TensorFlow keeps a few MiB per model even after clear_session, so a long-lived worker
    #: restarts itself (`hptune worker` re-executes in place) rather than grow. None never recycles.
    recycle_at: float | None = None
    #: Seconds the worker waits for an unreachable store before it gives up (a StoreFailure).
    store_patience: float = STORE_PATIENCE
    trials_run: int = 0
    recycle: bool = False
    _baseline_rss: float | None = None

    def run(self) -> int:
        """Work until the sweep has nothing left for this worker; returns the number of trials it ran."""
        import optuna

        sweep = self._patiently(lambda: load_sweep(self.store, self.name))
        self._patiently(self.store.ensure_open_for_writing)
        # "retracing" notices: a new model per trial is the point
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        with _quiet():
            study = optuna.load_study(
                study_name=self.name, storage=self.store.storage, pruner=make_pruner(sweep.settings, sweep.space)
            )
        while not self.stop.is_set():
            if self._patiently(lambda: _stop_requested(self.store, sweep.study_id)) or (
                sweep.deadline and time.time() >= sweep.deadline
            ):
                break
            self._patiently(lambda: self._reap(study, sweep))
            trial_id = self._patiently(lambda: self._claim(study))
            if trial_id is None:
                if sweep.settings.trials is None and sweep.settings.algorithm != "grid":
                    trial_id = self._patiently(lambda: self._new_trial(study))  # time budget: one more
                elif self._patiently(lambda: self._running_elsewhere(study)):
                    self.stop.wait(self.poll_seconds)  # it may fail and come back as a retry
                    continue
                else:
                    break
            self._run_trial(study, sweep, trial_id)
            self.trials_run += 1
            if self.recycle_at is not None:
                rss = rss_mib()
                self._baseline_rss = self._baseline_rss or rss
                if rss > self._baseline_rss * self.recycle_at:
                    self._log("recycle", -1, -1, {}, rss_mib=rss, baseline_mib=self._baseline_rss)
                    self.recycle = True
                    break
        return self.trials_run

    def _patiently(self, call: Callable[[], T]) -> T:
        """A worker rides out a store outage (a database restarting) rather than dying mid-sweep."""
        return patiently(call, self.store, self.store_patience, self.stop)

    # -- taking trials --
    def _claim(self, study: Any) -> int | None:
        """Optuna's WAITING -> RUNNING pop: the storage lets exactly one worker win each trial."""
        import optuna

        with self.store._lock:
            waiting = study._storage.get_all_trials(
                study._study_id, deepcopy=False, states=(optuna.trial.TrialState.WAITING,)
            )
            for trial in waiting:
                try:
                    if study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.RUNNING):
                        return trial._trial_id
                except optuna.exceptions.UpdateFinishedTrialError:
                    continue
        return None

    def _new_trial(self, study: Any) -> int:
        with self.store._lock:
            return study._storage.create_new_trial(study._study_id)

    def _running_elsewhere(self, study: Any) -> bool:
        import optuna

        with self.store._lock:
            return bool(study._storage.get_all_trials(
                study._study_id, deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)
            ))

    def _reap(self, study: Any, sweep: Sweep) -> None:
        """Fail the trials of dead workers so that their params are run again (once)."""
        import optuna

        with self.store._lock:
            if getattr(self.store.storage, "get_heartbeat_interval", lambda: None)():
                with _quiet():
                    optuna.storages.fail_stale_trials(study)  # RDB: Optuna's heartbeat and retry callback
                return
        mark_dead_runs(self.store, sweep.name)

    # -- running one --
    def _run_trial(self, study: Any, sweep: Sweep, trial_id: int) -> None:
        import optuna

        from hptune.core.data import DatasetError
        from hptune.core.trainer import train

        TrialState = optuna.trial.TrialState

        def take() -> tuple[int, Any]:
            with self.store._lock:
                number = self.store.storage.get_trial(trial_id).number
                study.sampler = make_sampler(sweep.settings, number)
                trial = optuna.trial.Trial(study, trial_id)
                for key, value in process_attrs().items():
                    self.store.storage.set_trial_user_attr(trial_id, key, value)
                return number, trial

        number, trial = self._patiently(take)

        values: dict[str, Any] = {}
        with _Heartbeat(self.store.storage, trial_id):
            try:
                values = self._patiently(lambda: sweep.space.suggest(trial))
                self._log("start", number, trial_id, values)
                self._emit(TrialStarted(number, values))
                config = sweep.space.config(values)
            except ConfigError as err:
                self._end(study, trial, number, values, TrialState.FAIL, None,
                          "invalid", f"invalid point: {err}", 0)
                return
            metric = "val_loss" if sweep.settings.objective == "val_loss" else "val_accuracy"
            # every trial saves its network; the recorder keeps it when the sweep's config asks for every model,
            # else the worker keeps it only for a trial that is the best so far when it finishes
            recorder = self.store.recorder(study=self.name, trial=trial, metric=metric, keep_model=config.keep_model)
            run_stop = threading.Event()
            pruned_at: list[int] = []
            use_pruner = sweep.settings.pruner != "none"
            store_lost: list[BaseException] = []

            def record(event: Event) -> None:
                try:
                    recorder(event)
                except StoreFailure as err:  # the run fails; the trial is run again once the store is back
                    store_lost.append(err)
                    raise

            def on_event(event: Event) -> None:
                if self.stop.is_set():
                    run_stop.set()
                if isinstance(event, EpochEnded):
                    try:
                        if use_pruner and event.metrics.epoch < event.epochs and trial.should_prune():
                            pruned_at.append(event.metrics.epoch)
                            run_stop.set()
                        elif _stop_requested(self.store, sweep.study_id):
                            run_stop.set()
                    except outage_errors() as err:  # the recorder's next write meets the outage and says so
                        log.warning("could not read the sweep's stop flag: %s", _first_line(err))

            try:
                result = train(config, on_event=on_event, stop=run_stop, record=record, keep_model=True)
            except (ConfigError, DatasetError) as err:
                self._end(study, trial, number, values, TrialState.FAIL, None, "failed", str(err), 0)
                if isinstance(err, DatasetError):
                    raise
                return
            except StoreFailure:
                if not store_lost:
                    raise
                result = None
            except BaseException:
                self._end(study, trial, number, values, TrialState.FAIL, None, "failed", "the worker stopped", 0)
                raise

        if store_lost:
            # The store went away mid-trial (a database restart, say): once it is back, run the same point once
            # more, as for a dead worker, so a passing outage loses no point of the sweep.
            epochs = len(result.epochs) if result is not None else 0
            if result is not None and not config.keep_model:
                discard_model(result.model_file)
            if self._end(study, trial, number, values, TrialState.FAIL, None, "failed",
                         f"the store went away during the trial ({_first_line(store_lost[0])})", epochs):
                def retry() -> None:
                    with self.store._lock, _quiet():
                        retry_callback()(study, self.store.storage.get_trial(trial._trial_id))

                self._patiently(retry)
            return
        assert result is not None
        saved = None if config.keep_model else result.model_file
        try:
            self._conclude(study, sweep, trial, number, values, config, result, run_stop, pruned_at, recorder)
        finally:
            if saved is not None and result.model_file == saved:  # not kept: the temporary file goes
                discard_model(saved)

    def _conclude(self, study: Any, sweep: Sweep, trial: Any, number: int, values: dict[str, Any], config: Any,
                  result: Any, run_stop: threading.Event, pruned_at: list[int], recorder: Any) -> None:
        import optuna

        TrialState = optuna.trial.TrialState
        trial_id = trial._trial_id
        epochs = len(result.epochs)
        scores: list[float | None] = []
        if not pruned_at and result.status in ("completed", "early-stopped"):
            scores = [objective_value(result, sweep.settings.objective),
                      *self._more_seeds(config, number, trial_id, run_stop, sweep.settings.objective)]
        if pruned_at:
            message = f"pruned at epoch {pruned_at[0]} by the {sweep.settings.pruner} pruner"
            self._end(study, trial, number, values, TrialState.PRUNED, None, "pruned", message, epochs)
        elif result.status in ("completed", "early-stopped"):
            finite = [v for v in scores if v is not None]
            value = sum(finite) / len(finite) if finite and len(finite) == len(scores) else None
            if value is None:
                self._end(study, trial, number, values, TrialState.FAIL, None, "failed", "no objective value", epochs)
            else:
                if result.model_file and not config.keep_model and self._best_so_far(sweep, value):
                    self._patiently(lambda: recorder.keep(result))
                self._end(study, trial, number, values, TrialState.COMPLETE, value, result.status, None, epochs)
        else:  # stopped by the user, diverged or failed: the run's own status and message are already saved
            self._end(study, trial, number, values, TrialState.FAIL, None, result.status, result.message, epochs)

    def _best_so_far(self, sweep: Sweep, value: float) -> bool:
        """No finished trial of the sweep scored better: this trial's model is kept (a sweep keeps the model of
        every trial that was its best when it finished, so the best trial's is always among them)."""
        import optuna

        with self.store._lock:
            done = self.store.storage.get_all_trials(sweep.study_id, deepcopy=False,
                                                     states=(optuna.trial.TrialState.COMPLETE,))
        scores = [t.value for t in done if t.value is not None and math.isfinite(t.value)]
        if not scores:
            return True
        return value >= max(scores) if sweep.settings.direction == "maximize" else value <= min(scores)

    def _more_seeds(self, config: Any, number: int, trial_id: int, stop: threading.Event,
                    objective: str) -> list[float | None]:
        """A trial with repeats > 1: the trial itself is the first seed (pruned on its curves like any trial); the
        other seeds train as ordinary runs grouped with it, and the trial's value is the mean over all of them."""
        from hptune.core.repeats import GROUP_ATTR, REPEAT_ATTR, seeded
        from hptune.core.trainer import train

        if config.repeats < 2:
            return []
        group = f"{self.name}/trial-{number}"
        with self.store._lock:
            self.store.storage.set_trial_user_attr(trial_id, GROUP_ATTR, group)
        scores: list[float | None] = []
        for index, one in enumerate(seeded(config)[1:], start=1):
            if stop.is_set() or self.stop.is_set():
                return [*scores, None]
            recorder = self.store.recorder(attrs={GROUP_ATTR: group, REPEAT_ATTR: index, "sweep": self.name,
                                                  "sweep_trial": number})
            result = train(one, stop=stop, record=recorder)
            scores.append(objective_value(result, objective) if result.status in ("completed", "early-stopped")
                          else None)
        return scores

    def _end(self, study: Any, trial: Any, number: int, params: dict[str, Any], state: Any, value: float | None,
             status: str, message: str | None, epochs: int) -> bool:
        """Finish the trial, waiting out a store outage. False when it was already finished elsewhere: a worker
        that found its heartbeat stale after an outage failed it and queued its retry."""
        import optuna

        def tell() -> Any:
            with self.store._lock:
                if self.store.storage.get_trial(trial._trial_id).state.is_finished():
                    return None
                try:
                    if status in ("pruned", "invalid") or (message and status == "failed"):
                        self.store.storage.set_trial_user_attr(trial._trial_id, "status", status)
                        if message:
                            self.store.storage.set_trial_user_attr(trial._trial_id, "message", message)
                    with _quiet():
                        if value is not None:
                            study.tell(trial, value)
                        else:
                            study.tell(trial, state=state)
                except (optuna.exceptions.UpdateFinishedTrialError, ValueError):
                    # finished by another process between the look above and this write (Optuna refuses to tell
                    # a finished trial); anything else is not ours to swallow
                    if self.store.storage.get_trial(trial._trial_id).state.is_finished():
                        return None
                    raise
                return self.store.storage.get_trial(trial._trial_id)

        final = self._patiently(tell)
        if final is None:
            log.warning("trial %s was finished elsewhere (its heartbeat went stale); its retry is queued", number)
            self._log("end", number, trial._trial_id, params, state="FAIL", value=None, rss_mib=rss_mib())
            self._emit(TrialEnded(number, "FAIL", "interrupted", params, None, epochs, "finished elsewhere"))
            return False
        self._log("end", number, trial._trial_id, params, state=final.state.name, value=final.value, rss_mib=rss_mib())
        self._emit(TrialEnded(number, final.state.name, status, params, final.value, epochs, message))
        return True

    def _emit(self, event: TrialEvent) -> None:
        if self.on_trial is not None:
            self.on_trial(event)

    def _log(self, what: str, number: int, trial_id: int, params: dict[str, Any], **extra: Any) -> None:
        if self.log_path is None:
            return
        line = {"event": what, "trial": number, "trial_id": trial_id, "params": params, "host": socket.gethostname(),
                "pid": os.getpid(), "time": time.time(), **extra}
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(to_json(line) + "\n")


def rss_mib() -> float:
    """This process's resident memory in MiB (Linux; 0 where /proc is missing)."""
    from hptune.core.isolated import rss_bytes

    return rss_bytes() / 2**20


def objective_value(result: Any, objective: str) -> float | None:
    """The score of a finished run: the metric of the weights it ended with (the best epoch's if it stopped
    early and restored them), or their validation macro-F1 (test macro-F1 only for studies made before)."""
    if objective in ("val_macro_f1", "test_macro_f1"):
        return getattr(result, objective)
    if not result.epochs:
        return None
    epoch = result.epochs[-1]
    if result.status == "early-stopped" and result.best_epoch:
        epoch = next((e for e in result.epochs if e.epoch == result.best_epoch), epoch)
    value = getattr(epoch, objective)
    return value if math.isfinite(value) else None


class _quiet:
    """Silence Optuna's experimental-feature warnings inside a block (heartbeat and retry are 'experimental')."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def list_sweeps(store: Store) -> list[str]:
    """The names of the store's sweeps (studies with a search space), oldest first."""
    with store._lock:
        return [s.study_name for s in store.storage.get_all_studies() if SWEEP_ATTR in s.user_attrs]


__all__ = [
    "Resumed", "Sweep", "SweepError", "SweepSnapshot", "SweepWorker", "TrialEnded", "TrialRow", "TrialStarted",
    "create_sweep", "list_sweeps", "load_sweep", "make_pruner", "make_sampler", "objective_value", "request_stop",
    "resume_sweep", "snapshot",
]
