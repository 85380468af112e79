"""The journal's read index (core/store/index.py) against Optuna's full replay of the same journal: the same runs,
statuses and studies; caught up after more writes; rebuilt when missing, damaged or describing another journal;
and never a byte of the journal changed by a read."""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import pytest

from hptune.core.store import Store
from hptune.core.store._optuna import study_id, trial_id
from hptune.core.store.index import index_path
from hptune.core.store.read import DELETED_ATTR, is_run, outcome_from_trial, sort_key
from tests.recorded_runs import record_killed, record_pruned, record_runs, start


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replayed_runs(path: Path) -> list[dict]:
    """Every run as Optuna's replay of the whole journal gives it (what the store read before it had an index)."""
    storage = Store(str(path)).storage
    runs = []
    for frozen in storage.get_all_studies():
        hidden = set(frozen.user_attrs.get(DELETED_ATTR, []))
        for trial in storage.get_all_trials(study_id(frozen), deepcopy=False):
            if trial_id(trial) not in hidden and is_run(trial):
                runs.append(outcome_from_trial(frozen.study_name, trial, trial_id(trial)))
    return [r.to_dict() for r in sorted(runs, key=sort_key)]


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Finished runs in two studies, a pruned sweep trial, a deleted run, a noted run, a run still training in
    this process and one whose process was SIGKILLed."""
    path = tmp_path_factory.mktemp("index") / "runs.journal"
    store = Store(str(path))
    ids = record_runs(store, 12, epochs=4)
    record_runs(store, 6, epochs=4, study="sweep-lr", seed=1)
    record_pruned(store, "sweep-lr")
    store.delete_run(ids[3])
    store.set_note("the one to beat", run_id=ids[0])
    record_killed(path)
    live = store.recorder()
    start(live, random.Random(5), 10)  # this process is alive: the run reads as running
    return path


def _copy(journal: Path, tmp_path: Path) -> Path:
    path = tmp_path / "runs.journal"
    shutil.copy(journal, path)
    return path


def test_the_index_reads_what_a_full_replay_reads(journal: Path, tmp_path: Path) -> None:
    path = _copy(journal, tmp_path)
    before = _sha(path)
    store = Store(str(path))
    runs = store.runs()
    assert store.index is not None and store.index.last_sync == "rebuilt"
    assert [r.to_dict() for r in runs] == replayed_runs(path)
    statuses = sorted(r.status for r in runs)
    assert statuses.count("completed") == 17 and {"pruned", "interrupted", "running"} <= set(statuses)
    assert len(runs) == 20  # 18 finished (one deleted) + pruned + killed + live
    dead = next(r for r in runs if r.status == "interrupted")
    assert "ended without finishing" in dead.message and len(dead.epochs) == 2
    for run in runs:
        assert store.get(run.run_id).to_dict() == run.to_dict()
    studies = {s["name"]: s for s in store.studies()}
    reference = Store(str(path))
    reference.index = None  # the Optuna replay's answer
    assert studies == {s["name"]: s for s in reference.studies()}
    assert studies["sweep-lr"]["states"] == {"COMPLETE": 6, "PRUNED": 1}
    assert store.annotations().run_notes == reference.annotations().run_notes
    assert _sha(path) == before and index_path(path).exists()


def test_runs_written_after_the_index_are_caught_up_from_the_tail(journal: Path, tmp_path: Path) -> None:
    path = _copy(journal, tmp_path)
    reader = Store(str(path))
    assert len(reader.runs()) == 20
    [new] = record_runs(Store(str(path)), 1, epochs=3, seed=9)
    # the handle that read before catches up from the tail; a new one then finds the index up to date
    for handle, sync in ((reader, "tail"), (Store(str(path)), "fresh")):
        runs = handle.runs()
        assert handle.index.last_sync == sync
        assert [r.to_dict() for r in runs] == replayed_runs(path)
        assert handle.get(new).status == "completed" and len(handle.get(new).epochs) == 3


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "other journal"])
def test_a_missing_damaged_or_foreign_index_is_rebuilt(journal: Path, tmp_path: Path, damage: str) -> None:
    path = _copy(journal, tmp_path)
    Store(str(path)).runs()
    index = index_path(path)
    if damage == "missing":
        index.unlink()
    elif damage == "garbage":
        index.write_bytes(b"not an index at all\n" * 100)
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[:1000])
    else:  # the journal was replaced by another one (the index describes the old file)
        other = tmp_path / "other"
        other.mkdir()
        record_runs(Store(str(other / "runs.journal")), 30, epochs=4, seed=4)
        shutil.copy(other / "runs.journal", path)
    before = _sha(path)
    store = Store(str(path))
    assert [r.to_dict() for r in store.runs()] == replayed_runs(path)
    assert store.index.last_sync == "rebuilt"
    assert _sha(path) == before


def test_a_journal_rewritten_in_place_with_the_same_size_is_not_trusted(journal: Path, tmp_path: Path) -> None:
    path = _copy(journal, tmp_path)
    Store(str(path)).runs()
    data = bytearray(path.read_bytes())
    at = data.rindex(b'"status":"running"')  # the live run's last write says something else now
    data[at:at + 18] = b'"status":"stopped"'
    path.write_bytes(bytes(data))
    store = Store(str(path))
    assert [r.to_dict() for r in store.runs()] == replayed_runs(path)
    assert store.index.last_sync == "rebuilt"


def test_an_index_that_cannot_be_kept_in_its_file_is_kept_in_memory(journal: Path, tmp_path: Path) -> None:
    path = _copy(journal, tmp_path)
    index_path(path).mkdir()  # something that is no file stands where the index goes (as a read-only folder would)
    before = _sha(path)
    store = Store(str(path))
    assert [r.to_dict() for r in store.runs()] == replayed_runs(path)
    assert store.index.in_memory and index_path(path).is_dir() and _sha(path) == before
