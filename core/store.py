"""The run store, built on Optuna's storage layer: every run is one trial, written as it trains.

Single runs live in the study "runs"; sweeps add studies of their own. optuna-dashboard can open the same store,
and a PostgreSQL URL shares it between machines. The default is a journal file in the user's data directory.
Per-epoch metrics are trial user attributes ("epoch_0001" ...), each committed when the epoch ends, so a process
killed mid-run leaves every finished epoch behind; the next reader marks such a run interrupted.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import logging
import math
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hptune.core.config import RunConfig
from hptune.core.errors import StoreFailure
from hptune.core.events import (
    BatchProgress,
    DatasetInfo,
    Diagnosis,
    EpochEnded,
    EpochMetrics,
    Event,
    RunFinished,
    RunStarted,
)

log = logging.getLogger(__name__)

RUNS_STUDY = "runs"
#: A running trial on another host whose heartbeat is older than this is taken as interrupted.
STALE_SECONDS = 600.0
HEARTBEAT_SECONDS = 30.0
#: Optuna RDB heartbeat of a running trial, and how long without one before the trial is failed and retried
#: (HPTUNE_HEARTBEAT_INTERVAL / HPTUNE_HEARTBEAT_GRACE override them, e.g. in tests).
HEARTBEAT_INTERVAL, HEARTBEAT_GRACE = 60, 180
#: Study user attribute that marks a sweep (its settings); interrupted trials of a sweep are run again once.
SWEEP_ATTR = "hptune_sweep"
#: User attributes a run writes; a retry starts without them (its own run writes them afresh).
_RUN_ATTRS = re.compile(
    r"^(epoch_\d+|config|dataset|n_params|device|backend|host|pid|proc_start|heartbeat|status|message|test_accuracy"
    r"|test_macro_f1|val_macro_f1|train_seconds|best_epoch|diagnosis|confusion|mistakes)$"
)
_EPOCH_KEY = re.compile(r"^epoch_(\d+)$")


class StoreError(StoreFailure):
    """The store cannot be opened, read or written; the message says which and what to do."""


def retry_callback() -> Any:
    """Optuna's RetryHeartbeatStaleTrialCallback (one retry), minus the dead run's epochs and process details:
    the retry is queued as a WAITING trial with the same params, `retry_of` naming the trial it replaces."""
    import optuna

    class RetryOnce(optuna.storages.RetryHeartbeatStaleTrialCallback):
        def __call__(self, study: Any, trial: Any) -> None:
            trial = copy.deepcopy(trial)  # a journal storage hands out its own copy: leave that as it is
            kept = {k: v for k, v in trial.user_attrs.items() if not _RUN_ATTRS.match(k)}
            trial.user_attrs = {**kept, "retry_of": trial.number}
            super().__call__(study, trial)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning
        return RetryOnce(max_retry=1)


def default_store_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hptune" / "runs.journal"


def resolve_store_url(url: str | None) -> str:
    """--store, else HPTUNE_STORE, else the journal file in the user's data directory."""
    return url or os.environ.get("HPTUNE_STORE") or str(default_store_path())


def is_url(location: str) -> bool:
    return "://" in location


def redact(location: str) -> str:
    """A storage URL safe to print: any password is replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", location)


def _with_driver(url: str) -> str:
    """SQLAlchemy 2.1 reads postgresql:// as psycopg 3; use psycopg2 (a dependency) when psycopg 3 is absent."""
    import importlib.util

    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        if importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def _proc_start(pid: int) -> str | None:
    """A process's start time (Linux), so a reused pid is not mistaken for the run's own process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _process_alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    current = _proc_start(pid)
    return start is None or current is None or current == start


@dataclass
class RunRecord:
    """A stored run, read back."""

    run_id: int
    study: str
    number: int
    status: str
    config: dict[str, Any]
    epochs: list[EpochMetrics]
    dataset: dict[str, Any] | None
    started_at: datetime | None
    finished_at: datetime | None
    params: dict[str, Any] = field(default_factory=dict)  # sweep parameters
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def test_accuracy(self) -> float | None:
        return self.attrs.get("test_accuracy")

    @property
    def test_macro_f1(self) -> float | None:
        return self.attrs.get("test_macro_f1")

    @property
    def val_macro_f1(self) -> float | None:
        return self.attrs.get("val_macro_f1")

    @property
    def val_accuracy(self) -> float | None:
        return self.epochs[-1].val_accuracy if self.epochs else None

    @property
    def best_val_accuracy(self) -> float | None:
        finite = [e.val_accuracy for e in self.epochs if math.isfinite(e.val_accuracy)]
        return max(finite) if finite else None

    @property
    def train_seconds(self) -> float | None:
        return self.attrs.get("train_seconds")

    @property
    def message(self) -> str | None:
        return self.attrs.get("message")

    @property
    def diagnosis(self) -> Diagnosis | None:
        d = self.attrs.get("diagnosis")
        return Diagnosis(d["label"], d["advice"], d.get("since_epoch")) if d else None

    @property
    def confusion(self) -> list[list[int]] | None:
        return self.attrs.get("confusion")

    @property
    def mistakes(self) -> list[list[int]]:
        return self.attrs.get("mistakes") or []

    def run_config(self) -> RunConfig:
        return RunConfig.model_validate(self.config)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "study": self.study,
            "number": self.number,
            "status": self.status,
            "message": self.message,
            "dataset": self.dataset,
            "config": self.config,
            "params": self.params,
            "epochs": [e.to_dict() for e in self.epochs],
            "test_accuracy": self.test_accuracy,
            "test_macro_f1": self.test_macro_f1,
            "val_macro_f1": self.val_macro_f1,
            "train_seconds": self.train_seconds,
            "n_params": self.attrs.get("n_params"),
            "device": self.attrs.get("device"),
            "best_epoch": self.attrs.get("best_epoch"),
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


NOTE_ATTR, TAGS_ATTR = "hptune_note", "hptune_tags"


@dataclass
class Annotations:
    """Notes and tags of runs (by run id) and of studies (by name)."""

    run_notes: dict[int, str] = field(default_factory=dict)
    run_tags: dict[int, list[str]] = field(default_factory=dict)
    study_notes: dict[str, str] = field(default_factory=dict)
    study_tags: dict[str, list[str]] = field(default_factory=dict)

    def tags_of(self, record: RunRecord) -> list[str]:
        """A run's tags and those of its study (a tagged study tags its runs)."""
        return sorted(set(self.run_tags.get(record.run_id, [])) | set(self.study_tags.get(record.study, [])))


class Store:
    """A handle on one Optuna storage. Thread-safe for the TUI's worker and screen threads."""

    def __init__(self, location: str | None = None) -> None:
        import optuna  # deferred: a second of imports that `hptune --help` should not pay

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.location = resolve_store_url(location)
        self._lock = threading.RLock()
        self.storage = self._open(self.location)

    @property
    def display(self) -> str:
        return redact(self.location)

    def _open(self, location: str) -> Any:
        import optuna

        if is_url(location):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat_interval
                    return optuna.storages.RDBStorage(
                        _with_driver(location),
                        heartbeat_interval=int(os.environ.get("HPTUNE_HEARTBEAT_INTERVAL", HEARTBEAT_INTERVAL)),
                        grace_period=int(os.environ.get("HPTUNE_HEARTBEAT_GRACE", HEARTBEAT_GRACE)),
                        heartbeat_stale_trial_callback=retry_callback(),
                        engine_kwargs={"pool_pre_ping": True},
                    )
            except Exception as err:  # noqa: BLE001 - driver and connection errors come in many types
                raise StoreError(f"store {redact(location)}: cannot connect ({redact(str(err).splitlines()[0])})") from None
        path = Path(location).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"store {path}: cannot create its folder ({err.strerror}); choose another with --store") from None
        if path.is_dir():
            raise StoreError(f"store {path}: is a folder; expected a journal file path, e.g. {path / 'runs.journal'}")
        if path.exists() and not os.access(path, os.W_OK):
            raise StoreError(f"store {path}: is read-only; make it writable or choose another with --store")
        if not path.exists() and not os.access(path.parent, os.W_OK):
            raise StoreError(f"store {path}: its folder is read-only; choose another with --store")
        from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

        try:
            lock = JournalFileOpenLock(str(path))
            _drop_torn_tail(path, lock)
            backend = JournalFileBackend(str(path), lock_obj=lock)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return optuna.storages.JournalStorage(backend)
        except (ValueError, json.JSONDecodeError, KeyError, UnicodeDecodeError) as err:
            raise StoreError(
                f"store {path}: the journal is corrupt ({err}); move it aside (its runs stay in the moved file)"
                " and start again, or pass another --store"
            ) from None
        except OSError as err:
            raise StoreError(f"store {path}: cannot be opened ({err.strerror or err})") from None

    # --- writing ------------------------------------------------------------------------------------------------
    def study(self, name: str = RUNS_STUDY, direction: str = "maximize") -> Any:
        import optuna

        with self._lock:
            return optuna.create_study(study_name=name, storage=self.storage, direction=direction, load_if_exists=True)

    def recorder(self, study: str = RUNS_STUDY, trial: Any = None, metric: str = "val_accuracy") -> Recorder:
        return Recorder(self, study, trial, metric)

    def delete_run(self, run_id: int) -> None:
        """Forget a run. Optuna cannot delete single trials, so the run is hidden by a mark on its study."""
        with self._lock:
            trial = self.storage.get_trial(run_id)
            study_id = self._study_id_of(run_id)
            hidden = set(self.storage.get_study_user_attrs(study_id).get("hptune_deleted", []))
            hidden.add(trial._trial_id)
            self.storage.set_study_user_attr(study_id, "hptune_deleted", sorted(hidden))

    # --- notes and tags ------------------------------------------------------------------------------------------
    # Optuna refuses user attributes on a finished trial, so a run's note and tags are user attributes of its study
    # ("hptune_note:ID", "hptune_tags:ID", one key each so two writers never overwrite each other's runs); a study's
    # own are "hptune_note" and "hptune_tags". Nothing else reads or writes these keys.
    def set_note(self, text: str, *, run_id: int | None = None, study: str | None = None) -> None:
        """Attach a note to a run or a study; an empty text removes it."""
        self._annotate(NOTE_ATTR, text.strip(), run_id, study)

    def set_tags(self, tags: Iterable[str], *, run_id: int | None = None, study: str | None = None) -> None:
        """Replace a run's or a study's tags (kept sorted, without repeats)."""
        self._annotate(TAGS_ATTR, sorted({t.strip() for t in tags if t.strip()}), run_id, study)

    def _annotate(self, key: str, value: Any, run_id: int | None, study: str | None) -> None:
        with self._lock:
            if run_id is not None:
                try:
                    study_id = self._study_id_of(run_id)
                except KeyError:
                    raise KeyError(f"no run with id {run_id} in {self.display}") from None
                self.storage.set_study_user_attr(study_id, f"{key}:{run_id}", value)
                return
            try:
                study_id = self.storage.get_study_id_from_name(study)
            except KeyError:
                raise KeyError(f"no study {study!r} in {self.display}; `hptune studies` lists them") from None
            self.storage.set_study_user_attr(study_id, key, value)

    def annotations(self) -> Annotations:
        """Every note and tag in the store, read in one pass over the studies."""
        notes = Annotations()
        with self._lock:
            for frozen in self.storage.get_all_studies():
                attrs = frozen.user_attrs
                notes.study_notes[frozen.study_name] = attrs.get(NOTE_ATTR) or ""
                notes.study_tags[frozen.study_name] = list(attrs.get(TAGS_ATTR) or [])
                for key, value in attrs.items():
                    kind, _, run = key.partition(":")
                    if run.isdigit() and kind == NOTE_ATTR:
                        notes.run_notes[int(run)] = value or ""
                    elif run.isdigit() and kind == TAGS_ATTR:
                        notes.run_tags[int(run)] = list(value or [])
        return notes

    def _study_id_of(self, run_id: int) -> int:
        for study in self.storage.get_all_studies():
            ids = {t._trial_id for t in self.storage.get_all_trials(study._study_id, deepcopy=False)}
            if run_id in ids:
                return study._study_id
        raise KeyError(run_id)

    # --- reading ------------------------------------------------------------------------------------------------
    def studies(self) -> list[dict[str, Any]]:
        with self._lock:
            out = []
            for study in self.storage.get_all_studies():
                trials = self.storage.get_all_trials(study._study_id, deepcopy=False)
                states: dict[str, int] = {}
                for t in trials:
                    states[t.state.name] = states.get(t.state.name, 0) + 1
                best = None
                done = [t for t in trials if t.state.name == "COMPLETE" and t.value is not None]
                if done:
                    maximize = study.direction.name == "MAXIMIZE"
                    best = (max if maximize else min)(t.value for t in done)
                out.append(
                    {
                        "name": study.study_name,
                        "direction": study.direction.name.lower(),
                        "trials": len(trials),
                        "states": states,
                        "best_value": best,
                        "user_attrs": dict(study.user_attrs),
                    }
                )
            return out

    def runs(self, study: str | None = None) -> list[RunRecord]:
        """Every stored run, oldest first; runs whose process died are marked interrupted on the way."""
        with self._lock:
            try:
                studies = self.storage.get_all_studies()
            except Exception as err:  # noqa: BLE001 - a backend failing mid-read must become a clear message
                raise StoreError(f"store {self.display}: cannot be read ({err})") from None
            records = []
            for frozen in studies:
                if study is not None and frozen.study_name != study:
                    continue
                hidden = set(frozen.user_attrs.get("hptune_deleted", []))
                for trial in self.storage.get_all_trials(frozen._study_id, deepcopy=False):
                    if trial._trial_id in hidden or "config" not in trial.user_attrs:
                        continue
                    trial = self._mark_if_interrupted(trial, frozen)
                    records.append(_record(frozen.study_name, trial))
            records.sort(key=lambda r: (r.started_at or datetime.min, r.run_id))
            return records

    def get(self, run_id: int) -> RunRecord:
        with self._lock:
            try:
                trial = self.storage.get_trial(run_id)
            except KeyError:
                raise KeyError(f"no run with id {run_id} in {self.display}") from None
            study_id = self._study_id_of(run_id)
            study_name = self.storage.get_study_name_from_id(study_id)
            if trial.state.name != "RUNNING":
                return _record(study_name, trial)
            frozen = next(s for s in self.storage.get_all_studies() if s._study_id == study_id)
            return _record(study_name, self._mark_if_interrupted(trial, frozen))

    def _mark_if_interrupted(self, trial: Any, study: Any) -> Any:
        """Fail a running trial whose process died (by pid here, by heartbeat elsewhere); in a sweep, queue
        its params again once. Only the reader whose FAIL lands retries, so a retry is never queued twice."""
        from optuna.trial import TrialState

        if trial.state != TrialState.RUNNING or trial.user_attrs.get("status") != "running":
            return trial
        attrs = trial.user_attrs
        if attrs.get("host") == socket.gethostname():
            dead = not _process_alive(int(attrs.get("pid", -1)), attrs.get("proc_start"))
        else:
            dead = time.time() - float(attrs.get("heartbeat", 0)) > STALE_SECONDS
        if not dead:
            return trial
        try:
            self.storage.set_trial_user_attr(trial._trial_id, "status", "interrupted")
            self.storage.set_trial_user_attr(
                trial._trial_id, "message", "the process training this run ended without finishing it"
            )
            failed = self.storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except Exception as err:  # noqa: BLE001 - another reader may have marked it first
            log.debug("could not mark trial %s interrupted: %s", trial._trial_id, err)
            failed = False
        trial = self.storage.get_trial(trial._trial_id)
        if failed and SWEEP_ATTR in study.user_attrs:
            import optuna

            retry_callback()(optuna.load_study(study_name=study.study_name, storage=self.storage), trial)
        return trial

    # --- export -------------------------------------------------------------------------------------------------
    @staticmethod
    def to_csv(records: Iterable[RunRecord]) -> str:
        buffer = io.StringIO()
        columns = [
            "run_id", "study", "status", "hidden_layers", "hidden_units", "activation", "dropout", "optimizer",
            "learning_rate", "momentum", "batch_size", "epochs_planned", "epochs_done", "dataset", "val_accuracy",
            "best_val_accuracy", "test_accuracy", "test_macro_f1", "train_seconds", "started_at",
        ]
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for r in records:
            c = r.config
            units = c.get("hidden_units")
            writer.writerow([
                r.run_id, r.study, r.status, c.get("hidden_layers"),
                "x".join(map(str, units)) if isinstance(units, list) else units,
                c.get("activation"), c.get("dropout"), c.get("optimizer"), c.get("learning_rate"), c.get("momentum"),
                c.get("batch_size"), c.get("epochs"), len(r.epochs), (r.dataset or {}).get("name", c.get("dataset")),
                _fmt(r.val_accuracy), _fmt(r.best_val_accuracy), _fmt(r.test_accuracy), _fmt(r.test_macro_f1),
                _fmt(r.train_seconds), r.started_at.isoformat() if r.started_at else "",
            ])
        return buffer.getvalue()


def _drop_torn_tail(path: Path, lock: Any) -> None:
    """A process killed in the middle of an append (or a full disk) can leave a last line without its newline.
    Optuna skips such a line, but the next append would be glued to it and corrupt the journal; so, holding the
    journal's lock (no append is in flight then), cut the torn line off. It was never acknowledged to anyone."""
    if not path.exists() or path.stat().st_size == 0:
        return
    from optuna.storages.journal._file import get_lock_file

    with get_lock_file(lock), path.open("rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        keep = size
        while keep > 0:
            step = min(65536, keep)
            fh.seek(keep - step)
            chunk = fh.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = keep - step + newline + 1
                break
            keep -= step
        log.warning("store %s: dropping %d bytes of a write cut off by a crash", path, size - keep)
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _record(study: str, trial: Any) -> RunRecord:
    attrs = dict(trial.user_attrs)
    epochs = []
    for key, value in attrs.items():
        if _EPOCH_KEY.match(key):
            epochs.append(EpochMetrics(**{k: int(v) if k == "epoch" else float(v) for k, v in value.items()}))
    epochs.sort(key=lambda e: e.epoch)
    status = attrs.get("status") or trial.state.name.lower()
    if trial.state.name == "PRUNED":
        status = "pruned"
    elif trial.state.name == "FAIL" and status == "running":
        status = "failed"
    return RunRecord(
        run_id=trial._trial_id,
        study=study,
        number=trial.number,
        status=status,
        config=attrs.get("config", {}),
        epochs=epochs,
        dataset=attrs.get("dataset"),
        started_at=trial.datetime_start,
        finished_at=trial.datetime_complete,
        params=dict(trial.params),
        attrs={k: v for k, v in attrs.items() if not _EPOCH_KEY.match(k)},
    )


class Recorder:
    """Persists a run as its events arrive; pass it to `train(..., record=recorder)`.

    Without a trial it opens one in `study` on RunStarted and closes it on RunFinished. Given a trial (a sweep's),
    it only writes attributes and intermediate values: the sweep ends the trial itself.
    """

    def __init__(self, store: Store, study: str = RUNS_STUDY, trial: Any = None, metric: str = "val_accuracy") -> None:
        self.store = store
        #: The per-epoch metric written as the trial's intermediate value (what a pruner compares).
        self.metric = metric
        self.study_name = study
        self.trial = trial
        self.owns_trial = trial is None
        self.run_id: int | None = trial._trial_id if trial is not None else None
        self._last_heartbeat = 0.0

    def _set(self, key: str, value: Any) -> None:
        with self.store._lock:
            self.store.storage.set_trial_user_attr(self.run_id, key, value)

    def __call__(self, event: Event) -> None:
        try:
            self._handle(event)
        except StoreError:
            raise
        except Exception as err:  # noqa: BLE001 - any backend failure: training must not go on unsaved
            raise StoreError(f"store {self.store.display}: could not save the run ({err})") from err

    def _handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            if self.trial is None:
                with self.store._lock:
                    self.trial = self.store.study(self.study_name).ask()
                self.run_id = self.trial._trial_id
            attrs = {
                "config": event.config.model_dump(),
                "dataset": event.dataset.to_dict(),
                "n_params": event.params,
                "device": event.device,
                "backend": event.backend,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "proc_start": _proc_start(os.getpid()),
                "heartbeat": time.time(),
                "status": "running",
            }
            for key, value in attrs.items():
                self._set(key, value)
        elif self.run_id is None:
            return  # DataLoading: nothing to save yet
        elif isinstance(event, EpochEnded):
            m = event.metrics
            self._set(f"epoch_{m.epoch:04d}", {k: _json_float(v) for k, v in m.to_dict().items()})
            value = getattr(m, self.metric)
            if math.isfinite(value):
                with self.store._lock:
                    # through the Trial, whose cached copy is what trial.should_prune() reads
                    self.trial.report(value, m.epoch)
            self._set("heartbeat", time.time())
            self._last_heartbeat = time.monotonic()
        elif isinstance(event, BatchProgress):
            if time.monotonic() - self._last_heartbeat > HEARTBEAT_SECONDS:
                self._last_heartbeat = time.monotonic()
                self._set("heartbeat", time.time())
        elif isinstance(event, RunFinished):
            self.finish(event)

    def finish(self, event: RunFinished) -> None:
        from optuna.trial import TrialState

        results = {
            "message": event.message,
            "test_accuracy": event.test_accuracy,
            "test_macro_f1": event.test_macro_f1,
            "val_macro_f1": event.val_macro_f1,
            "train_seconds": event.train_seconds,
            "best_epoch": event.best_epoch,
            "diagnosis": event.diagnosis.to_dict() if event.diagnosis else None,
            "confusion": [list(r) for r in event.confusion] if event.confusion else None,
            "mistakes": [list(m) for m in event.mistakes],
            "status": event.status,
        }
        for key, value in results.items():
            self._set(key, value)
        if not self.owns_trial:
            return
        with self.store._lock:
            if event.status in ("completed", "early-stopped", "stopped"):
                trial = self.store.storage.get_trial(self.run_id)
                values = [v for v in trial.intermediate_values.values() if math.isfinite(v)]
                value = trial.intermediate_values.get(event.best_epoch) if event.status == "early-stopped" else None
                if value is None:
                    value = values[-1] if values else 0.0
                self.store.storage.set_trial_state_values(self.run_id, TrialState.COMPLETE, [value])
            else:
                self.store.storage.set_trial_state_values(self.run_id, TrialState.FAIL)


def _json_float(value: Any) -> Any:
    """JSON has no NaN: store non-finite floats as strings Optuna's JSON can carry, read back by float()."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def dataset_info(data: dict[str, Any] | None) -> DatasetInfo | None:
    if not data:
        return None
    return DatasetInfo(**{**data, "image_shape": tuple(data["image_shape"])})
