"""Recording a run as it trains: the config at start, each epoch committed when it ends, then the outcome.

Per-epoch metrics are trial user attributes ("epoch_0001" ...), so a process killed mid-run leaves every finished
epoch behind, and its pid, process start time and heartbeat let any reader tell that it died.
"""

from __future__ import annotations

import math
import os
import socket
import time
import warnings
from typing import TYPE_CHECKING, Any

from hptune.core.events import BatchProgress, EpochEnded, Event, RunFinished, RunStarted
from hptune.core.outcome import RunOutcome
from hptune.core.store.location import StoreError
from hptune.core.store.read import RUNS_STUDY, proc_start

if TYPE_CHECKING:
    from hptune.core.store import Store

#: Seconds between heartbeats written while a run trains (at an epoch's end or during a long epoch).
HEARTBEAT_SECONDS = 30.0


def encode_float(value: Any) -> Any:
    """Optuna's storages keep JSON, which has no NaN: a non-finite float is stored as its text ("nan", "inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def process_attrs() -> dict[str, Any]:
    """Who is training a run: what a reader checks to tell a live run from a dead one."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "proc_start": proc_start(os.getpid()),
            "heartbeat": time.time(), "status": "running"}


class Recorder:
    """Persists a run as its events arrive; pass it to `train(..., record=recorder)`.

    Without a trial it opens one in `study` on RunStarted and closes it on RunFinished. Given a trial (a sweep's),
    it only writes attributes and intermediate values: the sweep ends the trial itself.
    """

    def __init__(self, store: Store, study: str = RUNS_STUDY, trial: Any = None, metric: str = "val_accuracy",
                 attrs: dict[str, Any] | None = None, keep_model: bool = True) -> None:
        self.store = store
        #: Move a model file the trainer saved into the store's models folder; a sweep leaves it to its worker,
        #: which keeps only a best trial's.
        self.keep_model = keep_model
        #: Extra user attributes written with the run when it starts (e.g. the repeat group it belongs to).
        self.attrs = dict(attrs or {})
        #: The per-epoch metric written as the trial's intermediate value (what a pruner compares).
        self.metric = metric
        self.study_name = study
        self.trial = trial
        self.owns_trial = trial is None
        self.run_id: int | None = None
        if trial is not None:
            from hptune.core.store._optuna import trial_id

            self.run_id = trial_id(trial)
        self._last_heartbeat = 0.0

    def _set(self, key: str, value: Any) -> None:
        with self.store._lock:
            self.store.storage.set_trial_user_attr(self.run_id, key, value)

    def _beat(self) -> None:
        """Say the run is alive, every HEARTBEAT_SECONDS at most: each write is a synced append (three per epoch when
        the heartbeat went with every epoch, a third of the recording's cost at short epochs)."""
        if time.monotonic() - self._last_heartbeat > HEARTBEAT_SECONDS:
            self._last_heartbeat = time.monotonic()
            self._set("heartbeat", time.time())

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
                from hptune.core.store._optuna import trial_id

                with self.store._lock, warnings.catch_warnings():
                    # A database store has Optuna's heartbeat on, for sweep trials; Optuna warns when a trial is
                    # asked for outside `optimize`. This run writes its own heartbeat: nothing to warn about (and
                    # in the TUI's training process the warning would land on the screen).
                    warnings.filterwarnings("ignore", message="Heartbeat of storage")
                    self.trial = self.store.study(self.study_name).ask()
                self.run_id = trial_id(self.trial)
            attrs = {
                "config": event.config.model_dump(),
                "dataset": event.dataset.to_dict(),
                "n_params": event.params,
                "device": event.device,
                "backend": event.backend,
                **process_attrs(),
                **self.attrs,
            }
            for key, value in attrs.items():
                self._set(key, value)
            self._last_heartbeat = time.monotonic()  # process_attrs carries the first
        elif self.run_id is None:
            return  # DataLoading: nothing to save yet
        elif isinstance(event, EpochEnded):
            m = event.metrics
            with self.store.batch():  # the epoch's metrics, its intermediate value and a heartbeat: one append
                self._set(f"epoch_{m.epoch:04d}", {k: encode_float(v) for k, v in m.to_dict().items()})
                value = getattr(m, self.metric)
                if math.isfinite(value):
                    with self.store._lock:
                        # through the Trial, whose cached copy is what trial.should_prune() reads
                        self.trial.report(value, m.epoch)
                self._beat()
        elif isinstance(event, BatchProgress):
            self._beat()
        elif isinstance(event, RunFinished):
            self.finish(event.outcome)

    def keep(self, outcome: RunOutcome) -> None:
        """Put the run's saved model file in its place beside the store and record where and how large it is."""
        from hptune.core.store.models import adopt_model

        assert outcome.model_file is not None and self.run_id is not None
        try:
            path, size = adopt_model(self.store, self.study_name, self.run_id, outcome.model_file)
        except OSError as err:
            raise StoreError(f"store {self.store.display}: could not keep the run's model ({err})") from err
        outcome.model_file, outcome.model_bytes = str(path), size
        self._set("model_path", str(path))
        self._set("model_bytes", size)

    def finish(self, outcome: RunOutcome) -> None:
        """Write the outcome and, for a run of its own, end the trial. The outcome gets its run id here: the
        store names the run, and every front end after the recorder sees that name."""
        from optuna.trial import TrialState

        outcome.run_id = self.run_id
        results = {
            "message": outcome.message,
            "test_accuracy": encode_float(outcome.test_accuracy),
            "test_macro_f1": encode_float(outcome.test_macro_f1),
            "val_macro_f1": encode_float(outcome.val_macro_f1),
            "train_seconds": outcome.train_seconds,
            "best_epoch": outcome.best_epoch,
            "diagnosis": outcome.diagnosis.to_dict() if outcome.diagnosis else None,
            "confusion": [list(r) for r in outcome.confusion] if outcome.confusion else None,
            "mistakes": [list(m) for m in outcome.mistakes],
            "status": outcome.status,
        }
        if outcome.model_file and self.keep_model:
            self.keep(outcome)
        for key, value in results.items():
            self._set(key, value)
        if not self.owns_trial:
            return
        with self.store._lock:
            if outcome.ok:
                trial = self.store.storage.get_trial(self.run_id)
                values = [v for v in trial.intermediate_values.values() if math.isfinite(v)]
                value = trial.intermediate_values.get(outcome.best_epoch) if outcome.status == "early-stopped" else None
                if value is None:
                    value = values[-1] if values else 0.0
                self.store.storage.set_trial_state_values(self.run_id, TrialState.COMPLETE, [value])
            else:
                self.store.storage.set_trial_state_values(self.run_id, TrialState.FAIL)
