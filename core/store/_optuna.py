"""Every use of Optuna that goes past its documented API, in one place.

Why any is needed:
- A stored run is named by its trial's storage id (`hptune show 12`), the one id that is unique across studies, and
  Optuna keeps it in the private `FrozenTrial._trial_id` / `FrozenStudy._study_id` (its own samplers and storages
  read them the same way). `trial_id` and `study_id` below are the only readers of those attributes.
- The journal file must never be written by a reader, and a write cut off by a crash must be set aside before the
  next append. Optuna's `JournalFileBackend` creates the file when it is opened and skips a damaged line without a
  word, so `JournalFile` implements the public `BaseJournalBackend` interface itself, with Optuna's public file lock
  (`JournalFileOpenLock`) serializing writers exactly as Optuna's own backend does.

- Optuna replays the whole journal whenever a storage is opened (15-18 s for a writer at 10,000 runs). Its journal
  storage starts from a snapshot of its replayed state when the backend implements `BaseJournalSnapshot` (defined
  in a private module, `optuna.storages.journal._base`): `JournalFile` keeps one beside the journal (`Snapshot`),
  and `keep_snapshot` writes the first after a writer's open replayed many records (it pickles the private
  `JournalStorage._replay_result`, as Optuna itself does every 100th trial).

Tested with optuna 5.0.0 (the version pinned in setup.py's range); check this module first on an upgrade.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.storages.journal import BaseJournalBackend, JournalFileOpenLock, JournalStorage
from optuna.storages.journal._base import BaseJournalSnapshot

log = logging.getLogger("hptune.core.store")

#: The Optuna versions this module was tested with.
TESTED_OPTUNA = ("5.0.0",)


def trial_id(trial: Any) -> int:
    """The storage-wide id of a FrozenTrial (hptune's run id)."""
    return trial._trial_id


def study_id(study: Any) -> int:
    """The storage id of a FrozenStudy."""
    return study._study_id


class JournalCorrupt(ValueError):
    """A complete line of the journal that is not one of Optuna's records."""

    def __init__(self, path: Path, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.path, self.line = path, line


@dataclass(frozen=True)
class TornTail:
    """The bytes of a last write that a crash cut off, set aside before the journal was written again."""

    size: int
    saved_to: Path

    @property
    def notice(self) -> str:
        return (f"dropped {self.size} bytes of a write cut off by a crash from the end of the store; they are kept in"
                f" {self.saved_to}")


#: A writer whose open replayed at least this many records leaves a snapshot for the next open.
SNAPSHOT_AFTER_RECORDS = 20_000
_SNAPSHOT_MAGIC = b"hptune-journal-snapshot 1\n"
_FINGERPRINT_BYTES = 4096


class Snapshot:
    """Optuna's replayed state of the journal's first records, kept in `<store>.snapshot` by writers.

    The file holds a header line (the number of records it covers, the byte offset where they end, and digests of
    the journal's first and last 4 KiB before that offset) and then Optuna's pickled replay result. It is used only
    when the journal still holds exactly those bytes there, and only when the file belongs to this user and nobody
    else may write it (it is unpickled); anything else, and the journal is replayed from its start as before.
    """

    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(journal.name + ".snapshot")
        self.journal = journal

    def _fingerprint(self, fh: Any, offset: int) -> str:
        fh.seek(0)
        head = fh.read(min(offset, _FINGERPRINT_BYTES))
        fh.seek(max(0, offset - _FINGERPRINT_BYTES))
        tail = fh.read(min(offset, _FINGERPRINT_BYTES))
        return hashlib.sha256(head + b"|" + tail).hexdigest()

    def save(self, records: int, offset: int, state: bytes) -> None:
        try:
            with self.journal.open("rb") as fh:
                fingerprint = self._fingerprint(fh, offset)
            header = json.dumps({"records": records, "offset": offset, "fingerprint": fingerprint})
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            with temporary.open("wb") as out:
                out.write(_SNAPSHOT_MAGIC + header.encode() + b"\n")
                out.write(state)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except OSError as err:  # a snapshot only saves time: a store that cannot keep one still works
            log.debug("store %s: no snapshot written (%s)", self.journal, err)

    def load(self) -> tuple[int, int, bytes] | None:
        """(records, offset, pickled state) when the snapshot matches the journal; None otherwise."""
        try:
            with self.path.open("rb") as fh:
                stat = os.fstat(fh.fileno())
                if stat.st_uid != os.getuid() or stat.st_mode & 0o022:
                    log.warning("store %s: its snapshot %s is not this user's own; replaying the journal instead",
                                self.journal, self.path)
                    return None
                if fh.readline() != _SNAPSHOT_MAGIC:
                    return None
                header = json.loads(fh.readline())
                records, offset, fingerprint = int(header["records"]), int(header["offset"]), header["fingerprint"]
                with self.journal.open("rb") as journal:
                    if offset <= 0 or os.fstat(journal.fileno()).st_size < offset:
                        return None
                    journal.seek(offset - 1)
                    if journal.read(1) != b"\n" or self._fingerprint(journal, offset) != fingerprint:
                        return None
                return records, offset, fh.read()
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.debug("store %s: snapshot not used (%s)", self.journal, err)
            return None


class JournalFile(BaseJournalBackend, BaseJournalSnapshot):
    """Optuna's journal file format (one JSON record a line), read without ever writing, appended under a lock.

    A last line without its newline is a write in flight or one cut off by a crash: readers leave it alone, and a
    writer, holding the lock (so no append is in flight), moves it to `<store>.torn-<time>` before appending. A
    complete line that is not a record is corruption: every read raises JournalCorrupt and the file is left as it is.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = JournalFileOpenLock(str(path))
        # record number -> byte offset where it starts: every 1024th record, and the last one read (where Optuna's
        # next read starts, so a write costs the same however long the journal is)
        self._offsets: dict[int, int] = {0: 0}
        self._last = (0, 0)
        self._guard = threading.Lock()
        self.snapshot = Snapshot(path)
        #: Records replayed from the journal itself (not from a snapshot) since this backend was made.
        self.replayed = 0
        #: Records held back by `batch()` in the thread that opened it, written together when it ends.
        self._held = threading.local()

    # --- snapshots (Optuna calls these: load when a storage opens, save every 100th trial a writer creates) -------
    def load_snapshot(self) -> bytes | None:
        found = self.snapshot.load()
        if found is None:
            return None
        records, offset, state = found
        with self._guard:
            self._offsets[records] = offset
            self._last = (records, offset)
        return state

    def save_snapshot(self, snapshot: bytes) -> None:
        with self._guard:
            records, offset = self._last  # Optuna saves right after reading to the end: its state covers these
        self.snapshot.save(records, offset, snapshot)

    # --- reading ------------------------------------------------------------------------------------------------
    def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            with self._guard:
                if self._last[0] == log_number_from:  # where the last read ended: every read after the first
                    start, offset = self._last
                else:
                    start = max((n for n in self._offsets if n <= log_number_from), default=0)
                    offset = self._offsets[start]
            fh.seek(offset)
            number = start
            for line in fh:
                if not line.endswith(b"\n"):
                    return  # a write in flight, or one a crash cut off: not a record (yet)
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict) or "op_code" not in record:
                        raise ValueError("not an Optuna journal record")
                except ValueError as err:  # JSONDecodeError and UnicodeDecodeError included
                    raise JournalCorrupt(self.path, number + 1, str(err)) from None
                offset += len(line)
                number += 1
                with self._guard:
                    if number % 1024 == 0:
                        self._offsets[number] = offset
                    if number > self._last[0]:
                        self._last = (number, offset)
                if number > log_number_from:
                    self.replayed += 1
                    yield record

    # --- writing ------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Write the records this thread appends inside the block as one append when it ends (one lock, one sync,
        and all of them or none after a crash), even when the block raises. Optuna reads a record back only from
        the file, so within the block this thread's storage has not seen its own writes yet: use it for writes that
        nothing in the block reads (an epoch's metrics, intermediate value and heartbeat)."""
        if getattr(self._held, "logs", None) is not None:  # nested: the outer block writes
            yield
            return
        self._held.logs = []
        try:
            yield
        finally:
            logs, self._held.logs = self._held.logs, None
            if logs:
                self._append(logs)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        held = getattr(self._held, "logs", None)
        if held is not None:
            held.extend(logs)
            return
        self._append(logs)

    def _append(self, logs: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in logs)
        with self._locked():
            torn = self._set_aside_torn_tail()
            if torn is not None:  # a crash since this store was opened: nobody to hand the notice to but the log
                log.warning("store %s: %s", self.path, torn.notice)
            with self.path.open("ab") as fh:
                fh.write(text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())

    def repair(self) -> TornTail | None:
        """Set a torn last write aside now (a writer opening the store); None when the journal ends cleanly."""
        if not self.path.exists():
            return None
        with self._locked():
            return self._set_aside_torn_tail()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    def _set_aside_torn_tail(self) -> TornTail | None:
        try:
            fh = self.path.open("rb+")
        except FileNotFoundError:
            return None
        with fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return None
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return None
            keep = size
            while keep > 0:  # back to the last newline
                step = min(65536, keep)
                fh.seek(keep - step)
                newline = fh.read(step).rfind(b"\n")
                if newline >= 0:
                    keep = keep - step + newline + 1
                    break
                keep -= step
            fh.seek(keep)
            torn = fh.read()
            saved = self.path.with_name(f"{self.path.name}.torn-{time.strftime('%Y%m%d-%H%M%S')}")
            counter = 1
            while saved.exists():
                counter += 1
                saved = saved.with_name(f"{self.path.name}.torn-{time.strftime('%Y%m%d-%H%M%S')}-{counter}")
            saved.write_bytes(torn)
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        return TornTail(len(torn), saved)


def journal_storage(path: Path) -> tuple[JournalStorage, JournalFile]:
    """A JournalStorage over `path` that reads without writing (raises JournalCorrupt, KeyError on damage); it
    starts from the journal's snapshot where one matches."""
    backend = JournalFile(path)
    with warnings.catch_warnings(), no_gc():
        warnings.simplefilter("ignore")
        return JournalStorage(backend), backend


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Python's cycle collector off while a replay, a snapshot or a read of every run makes its many objects (none
    of them garbage): it ran again and again over the growing heap, 3-4 times the replay's own work at 10,000 runs,
    and each pass held every thread of the process (the TUI's included) for up to half a second. It is on again
    afterwards, unless it was off before."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def keep_snapshot(storage: JournalStorage, backend: JournalFile) -> None:
    """A writer whose open replayed many records saves Optuna's state, so the next open starts from there."""
    import pickle

    if backend.replayed < SNAPSHOT_AFTER_RECORDS:
        return
    with storage._thread_lock:
        with backend._guard:
            records, offset = backend._last
        if storage._replay_result.log_number_read != records:
            return  # read further than replayed (a read in flight): the next writer will save one
        state = pickle.dumps(storage._replay_result)
    backend.snapshot.save(records, offset, state)
    backend.replayed = 0


def rdb_storage(url: str, heartbeat_interval: int, grace_period: int, callback: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat_interval
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            heartbeat_stale_trial_callback=callback,
            engine_kwargs={"pool_pre_ping": True},
        )
