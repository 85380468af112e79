"""The store's bookkeeping, the only code that changes what is already stored, run by writers (a run, a sweep, a
worker) when they open the store, never by a reader:

- a last journal write cut off by a crash is moved aside to `<store>.torn-<time>` before anything is appended;
- a run whose process died is written down as interrupted (its trial FAIL, every finished epoch kept);
- in a sweep, such a trial's parameters are queued once more (Optuna's retry callback), and only by the writer
  whose FAIL landed, so a point is never queued twice;
- a writer that had to replay a long journal leaves a snapshot of Optuna's state beside it (`<store>.snapshot`).
"""

from __future__ import annotations

import copy
import logging
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hptune.core.store.read import INTERRUPTED_MESSAGE, STALE_SECONDS, SWEEP_ATTR, is_dead

if TYPE_CHECKING:
    from hptune.core.store import Store
    from hptune.core.store._optuna import TornTail

log = logging.getLogger("hptune.core.store")

#: User attributes a run writes; a retry starts without them (its own run writes them afresh).
_RUN_ATTRS = re.compile(
    r"^(epoch_\d+|config|dataset|n_params|device|backend|host|pid|proc_start|heartbeat|status|message|test_accuracy"
    r"|test_macro_f1|val_macro_f1|train_seconds|best_epoch|diagnosis|confusion|mistakes|model_path|model_bytes)$"
)


def retry_callback() -> Any:
    """Optuna's RetryHeartbeatStaleTrialCallback (one retry), minus the dead run's epochs and process details:
    the retry is queued as a WAITING trial with the same params, `retry_of` naming the trial it replaces."""
    import optuna

    class RetryOnce(optuna.storages.RetryHeartbeatStaleTrialCallback):
        def __call__(self, study: Any, trial: Any) -> None:
            trial = copy.deepcopy(trial)  # a journal storage hands out its own copy: leave that as it is
            kept = {k: v for k, v in trial.user_attrs.items() if not _RUN_ATTRS.match(k)}
            trial.user_attrs = {**kept, "retry_of": trial.number}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ExperimentalWarning
                super().__call__(study, trial)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning
        return RetryOnce(max_retry=1)


@dataclass
class Repairs:
    """What a writer's open of the store changed."""

    torn: TornTail | None = None
    interrupted: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)

    @property
    def notices(self) -> list[str]:
        """What a front end should tell the user (the torn tail; dead runs are visible in the history)."""
        return [self.torn.notice] if self.torn else []


def repair(store: Store, study: str | None = None) -> Repairs:
    """A writer opens the store: set a torn journal tail aside, then write down dead runs (of `study`, or all)."""
    done = Repairs()
    if store.journal is not None:
        done.torn = store.journal.repair()
    done.interrupted, done.retried = mark_dead_runs(store, study)
    if store.journal is not None:
        from hptune.core.store._optuna import keep_snapshot

        keep_snapshot(store.storage, store.journal)  # the next writer's open starts from here, not from record 0
    return done


def mark_dead_runs(store: Store, study: str | None = None) -> tuple[list[int], list[int]]:
    """Fail the running trials whose process died, saying why; in a sweep, queue their params again once.
    Returns (run ids marked interrupted, run ids retried)."""
    import optuna
    from optuna.trial import TrialState

    from hptune.core.store._optuna import study_id, trial_id

    interrupted: list[int] = []
    retried: list[int] = []
    storage = store.storage
    with store._lock:
        for frozen in storage.get_all_studies():
            if study is not None and frozen.study_name != study:
                continue
            sweep = SWEEP_ATTR in frozen.user_attrs
            for trial in storage.get_all_trials(study_id(frozen), deepcopy=False, states=(TrialState.RUNNING,)):
                tid = trial_id(trial)
                if sweep and _claimed_then_silent(trial):
                    storage.set_trial_user_attr(tid, "status", "running")
                    storage.set_trial_user_attr(tid, "heartbeat", 0)
                    trial = storage.get_trial(tid)
                if not is_dead(trial):
                    continue
                try:
                    storage.set_trial_user_attr(tid, "status", "interrupted")
                    storage.set_trial_user_attr(tid, "message", INTERRUPTED_MESSAGE)
                    failed = storage.set_trial_state_values(tid, TrialState.FAIL)
                except Exception as err:  # noqa: BLE001 - another writer may have marked it first
                    log.debug("could not mark trial %s interrupted: %s", tid, err)
                    failed = False
                if not failed:
                    continue
                interrupted.append(tid)
                if sweep:
                    loaded = optuna.load_study(study_name=frozen.study_name, storage=storage)
                    retry_callback()(loaded, storage.get_trial(tid))
                    retried.append(tid)
    return interrupted, retried


def _claimed_then_silent(trial: Any) -> bool:
    """A sweep trial taken by a worker that died before it could write who it is."""
    if "status" in trial.user_attrs or trial.datetime_start is None:
        return False
    return time.time() - trial.datetime_start.timestamp() > STALE_SECONDS
