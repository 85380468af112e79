"""The run store, built on Optuna's storage layer: every run is one trial, written as it trains.

Single runs live in the study "runs"; sweeps add studies of their own. optuna-dashboard can open the same store,
and a PostgreSQL URL shares it between machines. The default is a journal file in the user's data directory.

`Store(location)` only reads: listing runs, showing one, listing studies and watching a sweep leave the store's
bytes as they were, and a run whose process died reads as interrupted. Whatever writes (a run's recorder, a sweep,
a worker) first calls `open_for_writing()`, which checks the store can be written and runs `repair`.

    location.py  where the store is and how it opens        read.py    runs and studies read back
    record.py    the Recorder that writes a run as it trains  export.py  CSV and JSON
    repair.py    torn tails, dead runs, retried sweep trials  _optuna.py the only use of Optuna internals
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from hptune.core.outcome import RunOutcome
from hptune.core.store.export import to_csv, to_json_list
from hptune.core.store.index import JournalIndex
from hptune.core.store.location import (
    StoreError,
    check_writable,
    corrupt_message,
    default_store_path,
    is_url,
    open_storage,
    redact,
    resolve_store_url,
)
from hptune.core.store.notes import NOTE_ATTR, TAGS_ATTR, Annotations, read_annotations
from hptune.core.store.read import (
    DELETED_ATTR,
    RUNS_STUDY,
    STALE_SECONDS,
    SWEEP_ATTR,
    is_dead,
    is_run,
    outcome_from_trial,
    proc_start,
    sort_key,
    status_of,
)
from hptune.core.store.record import Recorder, process_attrs
from hptune.core.store.repair import Repairs, repair, retry_callback

__all__ = [
    "NOTE_ATTR", "RUNS_STUDY", "STALE_SECONDS", "SWEEP_ATTR", "TAGS_ATTR", "Annotations", "Recorder", "Repairs",
    "RunOutcome", "Store", "StoreError",
    "default_store_path", "is_dead", "is_url", "outcome_from_trial", "proc_start", "process_attrs", "redact",
    "resolve_store_url", "retry_callback", "status_of",
]

T = TypeVar("T")


class Store:
    """A handle on one Optuna storage, for reading; `open_for_writing` before writing. Thread-safe for the TUI's
    worker and screen threads."""

    def __init__(self, location: str | None = None) -> None:
        self.location = resolve_store_url(location)
        self._lock = threading.RLock()
        self._storage: Any = None
        self._journal: Any = None
        #: The journal's read index (core/store/index.py); None for a database URL.
        self.index: JournalIndex | None = None
        if is_url(self.location):
            self._open()  # a database that cannot be reached is said at once
        else:
            path = Path(self.location).expanduser()
            if path.is_dir():
                raise StoreError(f"store {path}: is a folder; expected a journal file path,"
                                 f" e.g. {path / 'runs.journal'}")
            self.index = JournalIndex(path)
        #: What `open_for_writing` changed; None until something writes through this handle.
        self.repairs: Repairs | None = None

    def _open(self) -> None:
        import optuna  # deferred: a second of imports that `hptune --help` and the readers should not pay

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._storage, self._journal = open_storage(self.location)

    @property
    def storage(self) -> Any:
        """The Optuna storage, for writers, sweeps and insight. A journal is replayed in full when this is first
        used, which readers of runs and studies avoid: they read the index."""
        with self._lock:
            if self._storage is None:
                self._open()
            return self._storage

    @property
    def journal(self) -> Any:
        """The journal file backend (None for a database URL)."""
        if self.index is None:
            return None
        self.storage  # noqa: B018 - opening the storage opens its journal backend
        return self._journal

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """The writes this thread makes inside the block reach a journal as one synced append (see
        `JournalFile.batch`); a database commits each as before."""
        journal = self.journal
        if journal is None:
            yield
            return
        with journal.batch():
            yield

    @property
    def display(self) -> str:
        return redact(self.location)

    def _reading(self, read: Callable[[], T]) -> T:
        """Run a read, turning a journal damaged since it was opened (or a database failing) into a StoreError."""
        from hptune.core.store._optuna import JournalCorrupt

        with self._lock:
            try:
                return read()
            except JournalCorrupt as err:
                raise StoreError(corrupt_message(err.path, str(err)), file=str(err.path)) from None
            except (StoreError, KeyError):
                raise
            except Exception as err:  # noqa: BLE001 - a backend failing mid-read must become a clear message
                raise StoreError(f"store {self.display}: cannot be read ({redact(str(err).splitlines()[0])})") from None

    # --- writing ------------------------------------------------------------------------------------------------
    def open_for_writing(self, study: str | None = None) -> Repairs:
        """What every writer calls first: refuse a store that cannot be written, then `repair` it (a torn tail
        set aside, dead runs written down as interrupted, their sweep trials queued again)."""
        check_writable(self.location)
        self.repairs = self._reading(lambda: repair(self, study))
        return self.repairs

    def ensure_open_for_writing(self) -> Repairs:
        """`open_for_writing` unless this handle has been opened for writing already."""
        return self.repairs if self.repairs is not None else self.open_for_writing()

    def study(self, name: str = RUNS_STUDY, direction: str = "maximize") -> Any:
        import optuna

        with self._lock:
            return optuna.create_study(study_name=name, storage=self.storage, direction=direction, load_if_exists=True)

    def recorder(self, study: str = RUNS_STUDY, trial: Any = None, metric: str = "val_accuracy",
                 attrs: dict[str, Any] | None = None, keep_model: bool = True) -> Recorder:
        """A Recorder for one run. The first run through this handle opens the store for writing (checked and
        repaired, before anything trains); later runs find it open. A sweep's trial belongs to a worker, which
        has opened it already."""
        if trial is None:
            self.ensure_open_for_writing()
        return Recorder(self, study, trial, metric, attrs, keep_model)

    def delete_run(self, run_id: int) -> None:
        """Forget a run. Optuna cannot delete single trials, so the run is hidden by a mark on its study."""
        from hptune.core.store._optuna import trial_id

        check_writable(self.location)
        with self._lock:
            trial = self._reading(lambda: self.storage.get_trial(run_id))
            study_id = self._study_id_of(run_id)
            hidden = set(self.storage.get_study_user_attrs(study_id).get(DELETED_ATTR, []))
            hidden.add(trial_id(trial))
            self.storage.set_study_user_attr(study_id, DELETED_ATTR, sorted(hidden))

    def _study_id_of(self, run_id: int) -> int:
        """The study a run belongs to: from the index for a journal, by one query a study for a database."""
        from hptune.core.store._optuna import study_id

        if self.index is not None:
            trial = self._indexed().trial(run_id)
            if trial is not None:
                return trial.study_id
        else:
            number = self.storage.get_trial(run_id).number
            for study in self.storage.get_all_studies():
                sid = study_id(study)
                try:
                    if self.storage.get_trial_id_from_study_id_trial_number(sid, number) == run_id:
                        return sid
                except KeyError:
                    continue
        raise KeyError(f"no run with id {run_id} in {self.display}")

    def _indexed(self) -> JournalIndex:
        """The journal's read index, caught up with the journal."""
        assert self.index is not None
        self.index.sync()
        return self.index

    # --- notes and tags (core/store/notes.py) ----------------------------------------------------------------------
    def set_note(self, text: str, *, run_id: int | None = None, study: str | None = None) -> None:
        """Attach a note to a run or a study; an empty text removes it."""
        self._annotate(NOTE_ATTR, text.strip(), run_id, study)

    def set_tags(self, tags: Iterable[str], *, run_id: int | None = None, study: str | None = None) -> None:
        """Replace a run's or a study's tags (kept sorted, without repeats)."""
        self._annotate(TAGS_ATTR, sorted({t.strip() for t in tags if t.strip()}), run_id, study)

    def _annotate(self, key: str, value: Any, run_id: int | None, study: str | None) -> None:
        check_writable(self.location)
        with self._lock:
            if run_id is not None:
                study_id = self._reading(lambda: self._study_id_of(run_id))
                self.storage.set_study_user_attr(study_id, f"{key}:{run_id}", value)
                return
            try:
                study_id = self.storage.get_study_id_from_name(study)
            except KeyError:
                raise KeyError(f"no study {study!r} in {self.display}; `hptune studies` lists them") from None
            self.storage.set_study_user_attr(study_id, key, value)

    def annotations(self) -> Annotations:
        """Every note and tag in the store, read in one pass over the studies."""
        if self.index is not None:
            return self._reading(lambda: read_annotations(self._indexed().studies(with_counts=False)))
        return self._reading(lambda: read_annotations(self.storage.get_all_studies()))

    # --- reading ------------------------------------------------------------------------------------------------
    def warm(self) -> None:
        """Bring the read index up to the journal now (a front end does this in the background at start, so the
        first read the user asks for finds it ready); a damaged journal raises StoreError here."""
        if self.index is not None:
            self._reading(self._indexed)

    def studies(self) -> list[dict[str, Any]]:
        """Every study with its trial counts by state, its best value and its user attributes."""
        from hptune.core.store._optuna import study_id

        def indexed() -> list[dict[str, Any]]:
            return [{"name": s.name, "direction": s.direction, "trials": s.trials, "states": s.states,
                     "best_value": s.best_value, "user_attrs": s.user_attrs} for s in self._indexed().studies()]

        if self.index is not None:
            return self._reading(indexed)

        def read() -> list[dict[str, Any]]:
            out = []
            for study in self.storage.get_all_studies():
                trials = self.storage.get_all_trials(study_id(study), deepcopy=False)
                states: dict[str, int] = {}
                for t in trials:
                    states[t.state.name] = states.get(t.state.name, 0) + 1
                done = [t.value for t in trials if t.state.name == "COMPLETE" and t.value is not None]
                best = None
                if done:
                    best = (max if study.direction.name == "MAXIMIZE" else min)(done)
                out.append({
                    "name": study.study_name,
                    "direction": study.direction.name.lower(),
                    "trials": len(trials),
                    "states": states,
                    "best_value": best,
                    "user_attrs": dict(study.user_attrs),
                })
            return out

        return self._reading(read)

    def runs(self, study: str | None = None, *, light: bool = False, newest: int | None = None) -> list[RunOutcome]:
        """Every stored run, oldest first; a run whose process died reads as interrupted.

        `light` is for lists (the history, the runs table): each run without its confusion matrix and misclassified
        digits, which `get` reads; `newest` keeps only that many of the most recently started runs. A journal store
        reads both from its index, so they cost what they return, not the size of the store."""

        def indexed() -> list[RunOutcome]:
            index = self._indexed()
            studies = [s for s in index.studies(with_counts=False) if study is None or s.name == study]
            if not studies:
                return []
            names = {s.study_id: s.name for s in studies}
            hidden = {tid for s in studies for tid in s.user_attrs.get(DELETED_ATTR, [])}
            if light:
                trials = index.runs(list(names), None if newest is None else newest + len(hidden))
            else:
                trials = [t for s in studies for t in index.trials(s.study_id) if is_run(t)]
            runs = [outcome_from_trial(names[t.study_id], t, t.trial_id) for t in trials if t.trial_id not in hidden]
            runs.sort(key=sort_key)
            return runs if newest is None else runs[-newest:] if newest else []

        if self.index is not None:
            from hptune.core.store._optuna import no_gc

            with no_gc():  # thousands of new objects: the collector would stop every thread for ~0.5 s at a time
                return self._reading(indexed)

        from hptune.core.store._optuna import study_id, trial_id

        def read() -> list[RunOutcome]:
            runs = []
            for frozen in self.storage.get_all_studies():
                if study is not None and frozen.study_name != study:
                    continue
                hidden = set(frozen.user_attrs.get(DELETED_ATTR, []))
                for trial in self.storage.get_all_trials(study_id(frozen), deepcopy=False):
                    tid = trial_id(trial)
                    if tid not in hidden and is_run(trial):
                        runs.append(outcome_from_trial(frozen.study_name, trial, tid))
            runs.sort(key=sort_key)
            return runs if newest is None else runs[-newest:] if newest else []

        return self._reading(read)

    def get(self, run_id: int) -> RunOutcome:
        """One run by id; KeyError names the store when there is none."""

        def indexed() -> RunOutcome:
            index = self._indexed()
            trial = index.trial(run_id)
            study = index.study(trial.study_id) if trial is not None else None
            if trial is None or study is None:
                raise KeyError(f"no run with id {run_id} in {self.display}")
            return outcome_from_trial(study.name, trial, run_id)

        if self.index is not None:
            return self._reading(indexed)

        def read() -> RunOutcome:
            try:
                trial = self.storage.get_trial(run_id)
            except KeyError:
                raise KeyError(f"no run with id {run_id} in {self.display}") from None
            sid = self._study_id_of(run_id)
            return outcome_from_trial(self.storage.get_study_name_from_id(sid), trial, run_id)

        return self._reading(read)

    # --- export -------------------------------------------------------------------------------------------------
    to_csv = staticmethod(to_csv)
    to_json = staticmethod(to_json_list)
