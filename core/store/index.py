"""The read index of a journal store: what listing runs, showing one and listing studies read, so that their cost
does not grow with the journal.

The journal stays the one source of truth (optuna-dashboard and every worker read it); the index is a cache of its
replay in an SQLite file beside it, `<store>.index.sqlite`, that readers keep up to date and nobody else relies on:

- it records how far into the journal it has read (a byte offset) and the bytes just before that offset and at the
  start of the file; a reader checks both and, when they still match, parses only the journal lines written since
  (the tail), so a read after an epoch costs that epoch's few lines, not a replay of the whole file;
- a missing, damaged, foreign (other format version) or stale index (the journal was replaced, truncated or moved
  aside) is rebuilt from the journal, never trusted; deleting it is always safe;
- the journal is only ever opened for reading here: an index read leaves it byte-identical. Where the index cannot be
  written (a read-only folder), it is built in memory for that process instead.

The journal's records are Optuna's (see `_optuna.py` for the backend that writes them); `_Replay` applies them with
the same rules as Optuna's own replay for a reader that issued none of them (an update to a finished trial, or to a
study or trial that does not exist, is ignored; a second worker's claim of a running trial is ignored). One rule is
left out: Optuna drops a parameter whose distribution conflicts with the same parameter's in an earlier trial of
the study, which only a writer that broke that rule itself could have written (and Optuna raises to it).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

__all__ = ["IndexedStudy", "IndexedTrial", "JournalIndex", "TrialState", "index_path"]

#: Bump when the schema or the replay changes: an index of another version is rebuilt.
FORMAT = "hptune-index-2"
#: Bytes of the journal kept to recognise it: its first ones, and the ones just before the indexed offset.
_PROBE = 256
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE studies (study_id INTEGER PRIMARY KEY, name TEXT NOT NULL, directions TEXT NOT NULL,
                      user_attrs TEXT NOT NULL, n_trials INTEGER NOT NULL, deleted INTEGER NOT NULL);
CREATE TABLE trials (trial_id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL, number INTEGER NOT NULL,
                     state INTEGER NOT NULL, params TEXT NOT NULL, user_attrs TEXT NOT NULL, value_json TEXT,
                     datetime_start TEXT, datetime_complete TEXT, is_run INTEGER NOT NULL, light TEXT NOT NULL);
CREATE INDEX trials_by_study ON trials (study_id);
CREATE INDEX runs_by_start ON trials (is_run, datetime_start, trial_id);
"""


class TrialState(IntEnum):
    """Optuna's trial states, by the numbers its journal records use."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


# The journal's operation codes (Optuna's JournalOperation).
(CREATE_STUDY, DELETE_STUDY, SET_STUDY_USER_ATTR, SET_STUDY_SYSTEM_ATTR, CREATE_TRIAL, SET_TRIAL_PARAM,
 SET_TRIAL_STATE_VALUES, SET_TRIAL_INTERMEDIATE_VALUE, SET_TRIAL_USER_ATTR, SET_TRIAL_SYSTEM_ATTR) = range(10)


def index_path(journal: Path) -> Path:
    """Where a journal's read index lives: beside it, `<journal>.index.sqlite`."""
    return journal.with_name(journal.name + ".index.sqlite")


def _local(iso: str | None) -> datetime | None:
    """A journal timestamp as Optuna hands it out: naive local time."""
    return None if iso is None else datetime.fromisoformat(iso).astimezone().replace(tzinfo=None)


#: Attributes a list of runs does not show (the inspect screen and `hptune show` read them with the one run).
_HEAVY = frozenset({"mistakes", "confusion"})
_EPOCH_FIELDS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def _light(attrs: dict[str, Any]) -> str:
    """The attributes a list of runs reads, small: no misclassified digits or confusion matrix, and the epochs as
    rows of numbers (`_epochs`) instead of one object each."""
    light: dict[str, Any] = {}
    epochs = []
    for key, value in attrs.items():
        if key.startswith("epoch_") and key[6:].isdigit() and isinstance(value, dict):
            epochs.append([value.get(f, int(key[6:]) if f == "epoch" else None) for f in _EPOCH_FIELDS])
        elif key not in _HEAVY:
            light[key] = value
    light["_epochs"] = sorted(epochs, key=lambda e: e[0])
    return json.dumps(light)


def _external(distribution: str, internal: Any) -> Any:
    """A parameter's value as sampled, from its stored internal form (a categorical stores the choice's index)."""
    data = json.loads(distribution)
    name = data.get("name", "")
    if name == "CategoricalDistribution":
        return data["attributes"]["choices"][int(internal)]
    if name.startswith("Int"):
        return int(internal)
    return float(internal)


@dataclass
class IndexedTrial:
    """A trial read from the index: the fields of Optuna's FrozenTrial that hptune's readers use."""

    trial_id: int
    study_id: int
    number: int
    state: TrialState
    params: dict[str, Any] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    values: list[float] | None = None
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None

    #: The epochs, when read from the list's light copy (the attributes then hold no `epoch_NNNN` keys).
    epochs: list[list[Any]] | None = None

    @property
    def value(self) -> float | None:
        return self.values[0] if self.values else None


@dataclass
class IndexedStudy:
    study_id: int
    name: str
    directions: list[int]
    user_attrs: dict[str, Any]
    trials: int
    #: Trial count by state name, and the best COMPLETE value (by the first direction).
    states: dict[str, int] = field(default_factory=dict)
    best_value: float | None = None

    @property
    def study_name(self) -> str:
        return self.name

    @property
    def direction(self) -> str:
        return "maximize" if self.directions and self.directions[0] == 2 else "minimize"


class _Replay:
    """Journal records applied to rows of the index, touching only the studies and trials they name."""

    def __init__(self, db: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.db = db
        self.next_study = int(meta.get("next_study", 0))
        self.next_trial = int(meta.get("next_trial", 0))
        self.studies: dict[int, list[Any]] = {}  # study_id -> [name, directions, user_attrs, n_trials, deleted]
        self.trials: dict[int, list[Any]] = {}  # trial_id -> [study, number, state, params, attrs, values, ds, dc]
        self._names: dict[str, int] | None = None

    def _study(self, sid: Any) -> list[Any] | None:
        if not isinstance(sid, int):
            return None
        if sid not in self.studies:
            row = self.db.execute("SELECT name, directions, user_attrs, n_trials, deleted FROM studies"
                                  " WHERE study_id = ?", (sid,)).fetchone()
            if row is None:
                return None
            self.studies[sid] = [row[0], json.loads(row[1]), json.loads(row[2]), row[3], row[4]]
        study = self.studies[sid]
        return None if study[4] else study

    def _trial(self, tid: Any) -> list[Any] | None:
        """A trial that may still be updated (it exists and has not finished)."""
        if not isinstance(tid, int):
            return None
        if tid not in self.trials:
            row = self.db.execute("SELECT study_id, number, state, params, user_attrs, value_json, datetime_start,"
                                  " datetime_complete FROM trials WHERE trial_id = ?", (tid,)).fetchone()
            if row is None:
                return None
            self.trials[tid] = [row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]),
                                json.loads(row[5]) if row[5] else None, row[6], row[7]]
        trial = self.trials[tid]
        return None if TrialState(trial[2]).is_finished() else trial

    def _live_names(self) -> dict[str, int]:
        if self._names is None:
            self._names = {name: sid for sid, name in
                           self.db.execute("SELECT study_id, name FROM studies WHERE deleted = 0")}
        return self._names

    def apply(self, op: dict[str, Any]) -> None:  # noqa: C901 - one branch per journal operation
        code = op.get("op_code")
        if code == CREATE_STUDY:
            names = self._live_names()
            if op["study_name"] in names:
                return
            sid = self.next_study
            self.next_study += 1
            self.studies[sid] = [op["study_name"], list(op["directions"]), {}, 0, 0]
            names[op["study_name"]] = sid
        elif code == DELETE_STUDY:
            study = self._study(op.get("study_id"))
            if study is not None:
                study[4] = 1
                self._live_names().pop(study[0], None)
        elif code == SET_STUDY_USER_ATTR:
            study = self._study(op.get("study_id"))
            if study is not None:
                study[2].update(op["user_attr"])
        elif code == CREATE_TRIAL:
            study = self._study(op.get("study_id"))
            if study is None:
                return
            tid = self.next_trial
            self.next_trial += 1
            dists = op.get("distributions", {})
            params = {k: _external(dists[k], v) for k, v in op.get("params", {}).items()}
            values = op.get("values")
            if values is None and op.get("value") is not None:
                values = [op["value"]]
            self.trials[tid] = [op["study_id"], study[3], int(op.get("state", TrialState.RUNNING)), params,
                                dict(op.get("user_attrs", {})), values, op.get("datetime_start"),
                                op.get("datetime_complete")]
            study[3] += 1
        elif code == SET_TRIAL_PARAM:
            trial = self._trial(op.get("trial_id"))
            if trial is not None:
                trial[3][op["param_name"]] = _external(op["distribution"], op["param_value_internal"])
        elif code == SET_TRIAL_STATE_VALUES:
            trial = self._trial(op.get("trial_id"))
            if trial is None:
                return
            state = TrialState(op["state"])
            if state == TrialState.RUNNING:
                if trial[2] == TrialState.RUNNING:
                    return  # another worker took this trial first
                trial[6] = op.get("datetime_start")
            if state.is_finished():
                trial[7] = op.get("datetime_complete")
            trial[2] = int(state)
            if op.get("values") is not None:
                trial[5] = op["values"]
        elif code == SET_TRIAL_USER_ATTR:
            trial = self._trial(op.get("trial_id"))
            if trial is not None:
                trial[4].update(op["user_attr"])
        # study and trial system attributes and intermediate values are not read through the index

    def flush(self) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO studies VALUES (?, ?, ?, ?, ?, ?)",
            [(sid, s[0], json.dumps(s[1]), json.dumps(s[2]), s[3], s[4]) for sid, s in self.studies.items()],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(tid, t[0], t[1], t[2], json.dumps(t[3]), json.dumps(t[4]), json.dumps(t[5]) if t[5] is not None else None,
              t[6], t[7], int("config" in t[4]), _light(t[4])) for tid, t in self.trials.items()],
        )
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("next_study", str(self.next_study)), ("next_trial", str(self.next_trial))])
        self.studies.clear()
        self.trials.clear()


class JournalIndex:
    """The read index of one journal file. `sync()` brings it up to the journal's last complete line; the queries
    after it read the index only. Thread-safe."""

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.path = index_path(journal)
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        #: The journal byte offset the index reflects after the last sync.
        self.offset = 0
        #: What the last sync did: "fresh" (nothing new), "tail" (caught up) or "rebuilt".
        self.last_sync = ""
        #: The index could not be kept in its file (no journal yet, or a read-only folder): it lives in memory.
        self.in_memory = False
        self._last_before = ""

    # --- keeping it up to date -----------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        """The index file, or an index in memory where it cannot be kept (no journal yet, a read-only folder)."""
        if self.journal.exists() and _writable(self.path):
            for _attempt in range(2):
                try:
                    db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
                    db.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost index is rebuilt
                    return db
                except sqlite3.DatabaseError:  # not an SQLite file (damaged): it is ours to replace
                    self._remove()
                except sqlite3.Error:
                    break
        self.in_memory = True
        return sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)

    def _meta(self, db: sqlite3.Connection) -> dict[str, str] | None:
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error:
            return None
        return meta if meta.get("format") == FORMAT else None

    def _reset(self, db: sqlite3.Connection) -> sqlite3.Connection:
        """An empty index of this format (a damaged or foreign file is removed and started again)."""
        try:
            db.execute("DROP TABLE IF EXISTS meta")
            db.execute("DROP TABLE IF EXISTS studies")
            db.execute("DROP TABLE IF EXISTS trials")
        except sqlite3.DatabaseError:  # not an SQLite file at all: it is ours to replace
            db.close()
            self._remove()
            db = self._connect()
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('format', ?), ('offset', '0'), ('head', ''), ('before', '')", (FORMAT,))
        return db

    def sync(self) -> None:
        """Bring the index up to the journal: check it still describes this journal, then read the lines written
        since its offset; rebuild it from the start of the journal when it does not."""
        from hptune.core.store._optuna import JournalCorrupt

        with self._lock:
            try:
                size = self.journal.stat().st_size
            except FileNotFoundError:
                size = -1
            if self._db is not None and self.in_memory and size >= 0:
                self.close()  # the journal has appeared since: keep its index in the file from now on
                self.in_memory, self.offset, self.last_sync = False, 0, ""
            if self._db is None:
                self._db = self._connect()
            db = self._db
            if size >= 0 and size == self.offset and self.last_sync and self._still_this_journal_quick(size):
                return  # nothing written since the last sync through this handle
            try:
                db.execute("BEGIN IMMEDIATE")  # one reader catches up at a time; the others then find it done
            except sqlite3.DatabaseError:
                db = self._db = self._reset(db)
                db.execute("BEGIN IMMEDIATE")
            try:
                meta = self._meta(db)
                rebuilt = meta is None or not self._still_this_journal(meta, size)
                if rebuilt:
                    db.execute("ROLLBACK")
                    db = self._db = self._reset(db)
                    db.execute("BEGIN IMMEDIATE")
                    meta = self._meta(db) or {}
                offset = int(meta.get("offset", 0))
                if size > offset:
                    offset = self._read_tail(db, meta, offset)
                db.execute("COMMIT")
            except JournalCorrupt:
                db.execute("ROLLBACK")
                raise
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            self.offset = offset
            self.last_sync = "rebuilt" if rebuilt else ("tail" if size > int(meta.get("offset", 0)) else "fresh")

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(self.path) + suffix).unlink(missing_ok=True)

    def _probe(self, at: int) -> str:
        """The journal's bytes before `at` (and its first ones for 0), as hex."""
        try:
            with self.journal.open("rb") as fh:
                if at == 0:
                    return fh.read(_PROBE).hex()
                start = max(0, at - _PROBE)
                fh.seek(start)
                return fh.read(at - start).hex()
        except FileNotFoundError:
            return ""

    def _still_this_journal_quick(self, size: int) -> bool:
        return self._probe(size) == self._last_before

    def _still_this_journal(self, meta: dict[str, str], size: int) -> bool:
        offset = int(meta.get("offset", 0))
        if offset == 0:
            return True
        if size < offset:
            return False  # truncated or replaced by a shorter file
        head = self._probe(0)
        return head[: len(meta.get("head", ""))] == meta.get("head") and self._probe(offset) == meta.get("before")

    def _read_tail(self, db: sqlite3.Connection, meta: dict[str, str], offset: int) -> int:
        """Apply the complete journal lines from `offset`; returns the offset after the last one."""
        from hptune.core.store._optuna import JournalCorrupt

        replay = _Replay(db, meta)
        line_number = int(meta.get("lines", 0))
        with self.journal.open("rb") as fh:
            fh.seek(offset)
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # a write in flight, or one cut off by a crash: not a record (yet)
                line_number += 1
                try:
                    op = json.loads(line)
                    if not isinstance(op, dict) or "op_code" not in op:
                        raise ValueError("not an Optuna journal record")
                    replay.apply(op)
                except (ValueError, KeyError, TypeError, IndexError) as err:
                    raise JournalCorrupt(self.journal, line_number, f"{type(err).__name__}: {err}") from None
                offset += len(line)
        replay.flush()
        before = self._probe(offset)
        self._last_before = before
        values = [("offset", str(offset)), ("lines", str(line_number)), ("before", before)]
        if not meta.get("head"):
            values.append(("head", self._probe(0)))
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values)
        return offset

    # --- queries (after sync) ------------------------------------------------------------------------------------
    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            assert self._db is not None, "sync() first"
            return self._db.execute(sql, args).fetchall()

    @staticmethod
    def _trial(row: Any) -> IndexedTrial:
        return IndexedTrial(
            trial_id=row[0], study_id=row[1], number=row[2], state=TrialState(row[3]), params=json.loads(row[4]),
            user_attrs=json.loads(row[5]), values=json.loads(row[6]) if row[6] else None,
            datetime_start=_local(row[7]), datetime_complete=_local(row[8]),
        )

    _TRIAL_COLUMNS = ("trial_id, study_id, number, state, params, user_attrs, value_json, datetime_start,"
                      " datetime_complete")

    def studies(self, with_counts: bool = True) -> list[IndexedStudy]:
        studies = [IndexedStudy(sid, name, json.loads(d), json.loads(a), n) for sid, name, d, a, n in self._rows(
            "SELECT study_id, name, directions, user_attrs, n_trials FROM studies WHERE deleted = 0 ORDER BY study_id")]
        if with_counts:
            by_id = {s.study_id: s for s in studies}
            counts = self._rows("SELECT study_id, state, COUNT(*) FROM trials GROUP BY study_id, state")
            for sid, state, count in counts:
                if sid in by_id:
                    by_id[sid].states[TrialState(state).name] = count
            for study in studies:
                best = "MAX" if study.direction == "maximize" else "MIN"
                [(value,)] = self._rows(f"SELECT {best}(json_extract(value_json, '$[0]')) FROM trials"  # noqa: S608
                                        " WHERE study_id = ? AND state = 1", (study.study_id,))
                study.best_value = value
        return studies

    def trials(self, study_id: int | None = None) -> list[IndexedTrial]:
        if study_id is None:
            rows = self._rows(f"SELECT {self._TRIAL_COLUMNS} FROM trials ORDER BY trial_id")  # noqa: S608
        else:
            rows = self._rows(f"SELECT {self._TRIAL_COLUMNS} FROM trials WHERE study_id = ?"  # noqa: S608
                              " ORDER BY trial_id", (study_id,))
        return [self._trial(r) for r in rows]

    def runs(self, study_ids: list[int], newest: int | None = None) -> list[IndexedTrial]:
        """The trials that are runs (they have a config) in these studies, light (see `_light`): all of them, or
        the `newest` by start time."""
        marks = ",".join("?" * len(study_ids))
        where = f"is_run = 1 AND study_id IN ({marks})"
        if newest is not None:  # pick the ids first, so that only the chosen runs' rows are read
            where = (f"trial_id IN (SELECT trial_id FROM trials WHERE {where}"
                     f" ORDER BY datetime_start DESC, trial_id DESC LIMIT {int(newest)})")
        sql = ("SELECT trial_id, study_id, number, state, params, light, value_json, datetime_start,"  # noqa: S608
               f" datetime_complete FROM trials WHERE {where}")
        out = []
        for row in self._rows(sql, tuple(study_ids)):
            trial = self._trial(row)
            trial.epochs = trial.user_attrs.pop("_epochs", [])
            out.append(trial)
        return out

    def trial(self, trial_id: int) -> IndexedTrial | None:
        rows = self._rows(f"SELECT {self._TRIAL_COLUMNS} FROM trials WHERE trial_id = ?", (trial_id,))  # noqa: S608
        return self._trial(rows[0]) if rows else None

    def study(self, study_id: int) -> IndexedStudy | None:
        rows = self._rows("SELECT study_id, name, directions, user_attrs, n_trials FROM studies"
                          " WHERE study_id = ? AND deleted = 0", (study_id,))
        return IndexedStudy(rows[0][0], rows[0][1], json.loads(rows[0][2]), json.loads(rows[0][3]),
                            rows[0][4]) if rows else None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _writable(path: Path) -> bool:
    if path.exists():
        return os.access(path, os.W_OK)
    return os.access(path.parent, os.W_OK)
