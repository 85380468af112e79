"""A writer that replayed a long journal leaves a snapshot of Optuna's state beside it; the next open starts from
there, and a snapshot that no longer matches the journal (or that anyone else could have written) is ignored."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hptune.core.store import Store, _optuna
from tests.recorded_runs import grow_by_copies, record_runs


def _state(store: Store) -> list[tuple]:
    """Everything Optuna knows of the store's trials, comparable across opens."""
    storage = store.storage
    return [
        (study.study_name, t.number, t.state.name, dict(t.intermediate_values), dict(t.user_attrs), t.params)
        for study in storage.get_all_studies()
        for t in storage.get_all_trials(_optuna.study_id(study), deepcopy=False)
    ]


@pytest.fixture
def long_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "runs.journal"
    record_runs(Store(str(path)), 3, epochs=4)
    grow_by_copies(path, 60)
    monkeypatch.setattr(_optuna, "SNAPSHOT_AFTER_RECORDS", 100)
    return path


def _records(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def test_a_writer_leaves_a_snapshot_and_the_next_open_replays_only_what_came_after(long_journal: Path) -> None:
    snapshot = long_journal.with_name("runs.journal.snapshot")
    Store(str(long_journal)).open_for_writing()
    assert snapshot.exists()
    assert snapshot.stat().st_mode & 0o077 == 0  # it is unpickled: nobody else may write it

    writer = Store(str(long_journal))
    writer.open_for_writing()
    assert writer.journal.replayed == 0
    record_runs(writer, 1, epochs=4, seed=5)  # appended after the snapshot: replayed on top of it
    expected = _state(Store(str(long_journal)))

    reopened = Store(str(long_journal))
    assert _state(reopened) == expected
    assert 0 < reopened.journal.replayed < _records(long_journal) / 4

    snapshot.unlink()
    from_scratch = Store(str(long_journal))
    assert _state(from_scratch) == expected
    assert from_scratch.journal.replayed == _records(long_journal)


def test_a_reader_writes_no_snapshot(long_journal: Path) -> None:
    store = Store(str(long_journal))
    _state(store)
    store.runs()
    assert store.journal.replayed == _records(long_journal)
    assert not long_journal.with_name("runs.journal.snapshot").exists()


def test_a_snapshot_of_another_journal_is_not_used(long_journal: Path, tmp_path: Path) -> None:
    Store(str(long_journal)).open_for_writing()
    snapshot = long_journal.with_name("runs.journal.snapshot")
    other = tmp_path / "other.journal"
    record_runs(Store(str(other)), 4, epochs=3, seed=9)
    grow_by_copies(other, 40)
    expected = _state(Store(str(other)))
    os.replace(snapshot, other.with_name("other.journal.snapshot"))  # a snapshot that does not match this journal

    store = Store(str(other))
    assert _state(store) == expected
    assert store.journal.replayed == _records(other)


def test_a_journal_changed_under_its_snapshot_is_replayed_whole(long_journal: Path) -> None:
    Store(str(long_journal)).open_for_writing()
    data = bytearray(long_journal.read_bytes())
    at = data.index(b'"worker_id":"') + len(b'"worker_id":"')
    data[at] = ord("z")  # one byte of the first record, which the snapshot covers
    long_journal.write_bytes(bytes(data))
    store = Store(str(long_journal))
    state = _state(store)
    assert store.journal.replayed == _records(long_journal)
    assert state  # read from the journal as it is now


def test_a_snapshot_others_may_write_is_not_trusted(long_journal: Path) -> None:
    Store(str(long_journal)).open_for_writing()
    snapshot = long_journal.with_name("runs.journal.snapshot")
    snapshot.chmod(0o666)
    store = Store(str(long_journal))
    _state(store)
    assert store.journal.replayed == _records(long_journal)
