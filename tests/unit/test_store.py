from __future__ import annotations

import hashlib
import subprocess
import threading
from pathlib import Path

import pytest

from hptune.core.config import make_config
from hptune.core.events import EpochEnded
from hptune.core.store import Store, StoreError, process_attrs, redact
from hptune.core.trainer import train

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 16, "epochs": 2, "batch_size": 256}


def test_a_run_is_stored_with_every_epoch_and_its_results(store_path: Path) -> None:
    store = Store(str(store_path))
    recorder = store.recorder()
    result = train(make_config(SMALL), record=recorder)
    [record] = Store(str(store_path)).runs()  # a second handle reads what the first wrote
    assert record.run_id == recorder.run_id and record.status == "completed"
    assert [e.to_dict() for e in record.epochs] == [e.to_dict() for e in result.epochs]
    assert record.test_accuracy == pytest.approx(result.test_accuracy)
    assert record.config == make_config(SMALL)
    assert record.dataset.name == "mnist-5k" and record.params == result.params
    assert record.to_dict() | {"study": None, "number": None, "started_at": None, "finished_at": None} == \
        result.to_dict() | {"study": None, "number": None, "started_at": None, "finished_at": None}
    assert record.diagnosis == result.diagnosis
    assert len(record.confusion) == 10
    assert store.get(record.run_id).epochs == record.epochs


def test_epochs_are_committed_while_training(store_path: Path) -> None:
    store = Store(str(store_path))
    recorder = store.recorder()
    seen_in_store = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnded):
            [record] = Store(str(store_path)).runs()
            seen_in_store.append((record.status, len(record.epochs)))

    train(make_config(SMALL | {"epochs": 3}), on_event=on_event, record=recorder)
    assert seen_in_store == [("running", 1), ("running", 2), ("running", 3)]


def test_stopped_run_is_kept_as_stopped(store_path: Path) -> None:
    store = Store(str(store_path))
    stop = threading.Event()
    stop.set()
    train(make_config(SMALL), stop=stop, record=store.recorder())
    # Stopped before the first step: nothing finished, but the run is still there, marked stopped.
    [record] = store.runs()
    assert record.status == "stopped" and record.epochs == []


def test_delete_and_csv(store_path: Path) -> None:
    store = Store(str(store_path))
    for seed in (1, 2):
        train(make_config(SMALL | {"seed": seed, "epochs": 1}), record=store.recorder())
    first, second = store.runs()
    csv_text = Store.to_csv([first, second])
    assert csv_text.splitlines()[0].startswith("run_id,study,status")
    assert len(csv_text.splitlines()) == 3
    store.delete_run(first.run_id)
    assert [r.run_id for r in Store(str(store_path)).runs()] == [second.run_id]


def test_redact_hides_passwords() -> None:
    assert redact("postgresql://alice:s3cret@db:5432/hp") == "postgresql://alice:***@db:5432/hp"
    assert redact("/home/a/runs.journal") == "/home/a/runs.journal"


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError) as err:
        Store("postgresql://bob:hunter2@127.0.0.1:1/nothing")
    assert "cannot connect" in str(err.value) and "hunter2" not in str(err.value)


def test_store_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        Store(str(tmp_path))


@pytest.fixture(scope="module")
def one_run_journal(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a journal holding one real run (1 epoch on the bundled digits)."""
    path = tmp_path_factory.mktemp("one-run") / "runs.journal"
    train(make_config({"dataset": "digits", "hidden_units": 8, "epochs": 1}), record=Store(str(path)).recorder())
    return path.read_bytes()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_never_write(tmp_path: Path, one_run_journal: bytes) -> None:
    missing = tmp_path / "nothing" / "runs.journal"
    assert Store(str(missing)).runs() == [] and Store(str(missing)).studies() == []
    assert not missing.parent.exists()  # a reader creates neither the file nor its folder
    path = tmp_path / "runs.journal"
    path.write_bytes(one_run_journal)
    before = _sha(path)
    store = Store(str(path))
    [run] = store.runs()
    assert store.get(run.run_id).epochs == run.epochs and store.studies()[0]["trials"] == 1
    # the journal is byte-identical; the only file added is its read index, which is safe to delete
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.journal", "runs.journal.index.sqlite"]


def test_a_torn_tail_is_set_aside_only_when_a_writer_opens_the_store(tmp_path: Path, one_run_journal: bytes) -> None:
    path = tmp_path / "runs.journal"
    torn = b'{"op_code": 6, "worker_id": "x", "trial_id": 0, "user_att'  # a write cut off by a crash
    path.write_bytes(one_run_journal + torn)
    [run] = Store(str(path)).runs()
    assert run.status == "completed" and path.read_bytes() == one_run_journal + torn  # a reader leaves it
    repairs = Store(str(path)).open_for_writing()
    assert repairs.torn is not None and repairs.torn.size == len(torn)
    assert repairs.torn.saved_to.name.startswith("runs.journal.torn-") and repairs.torn.saved_to.read_bytes() == torn
    assert str(repairs.torn.saved_to) in repairs.notices[0]
    assert path.read_bytes() == one_run_journal
    assert Store(str(path)).open_for_writing().torn is None  # nothing left to repair


def test_a_torn_tail_left_by_a_crash_after_opening_is_set_aside_before_the_next_append(
    tmp_path: Path, one_run_journal: bytes
) -> None:
    path = tmp_path / "runs.journal"
    path.write_bytes(one_run_journal)
    store = Store(str(path))
    store.open_for_writing()
    with path.open("ab") as fh:
        fh.write(b'{"op_code": 6, "wor')  # another process dies mid-append
    store.delete_run(store.runs()[0].run_id)
    assert path.read_bytes().startswith(one_run_journal) and path.read_bytes().endswith(b"}\n")
    assert Store(str(path)).runs() == []  # the delete landed on a clean line
    assert [p.read_bytes() for p in tmp_path.glob("runs.journal.torn-*")] == [b'{"op_code": 6, "wor']


def test_garbage_in_a_journal_is_a_clear_error_for_readers_and_writers(tmp_path: Path, one_run_journal: bytes) -> None:
    path = tmp_path / "runs.journal"
    garbage = bytes(range(256))[:100] + b"\n" + b"x" * 99 + b"\n" + b"\xff" * 100  # 300 bytes, two lines and a tail
    path.write_bytes(one_run_journal + garbage)
    before = _sha(path)
    for attempt in (lambda: Store(str(path)).runs(), lambda: Store(str(path)).open_for_writing()):
        with pytest.raises(StoreError) as err:
            attempt()
        assert str(path) in str(err.value) and "corrupt" in str(err.value) and "move it aside" in str(err.value)
        assert err.value.file == str(path)
    assert _sha(path) == before and not list(tmp_path.glob("runs.journal.torn-*"))


def test_a_run_whose_process_died_reads_as_interrupted_until_a_writer_writes_it_down(
    tmp_path: Path, one_run_journal: bytes
) -> None:
    path = tmp_path / "runs.journal"
    path.write_bytes(one_run_journal)
    store = Store(str(path))
    store.open_for_writing()
    ended = subprocess.Popen(["true"])
    ended.wait()
    run_id = store.runs()[0].run_id
    trial = store.study().ask()  # a second run, started by a process that has ended since
    for key, value in {**process_attrs(), "pid": ended.pid, "config": make_config({"epochs": 3}).model_dump()}.items():
        store.storage.set_trial_user_attr(trial._trial_id, key, value)
    before = _sha(path)
    first, dead = Store(str(path)).runs()
    assert (first.run_id, first.status) == (run_id, "completed")
    assert dead.status == "interrupted" and "ended without finishing" in dead.message and dead.config.epochs == 3
    assert _sha(path) == before
    assert Store(str(path)).open_for_writing().interrupted == [dead.run_id]
    assert _sha(path) != before
    assert Store(str(path)).storage.get_trial(dead.run_id).state.name == "FAIL"
    assert Store(str(path)).get(dead.run_id).status == "interrupted"


def test_writes_in_a_batch_reach_the_journal_as_one_append_when_it_ends_even_if_it_raises(store_path: Path) -> None:
    from hptune.core.store._optuna import trial_id

    store = Store(str(store_path))
    store.open_for_writing()
    run = trial_id(store.study("batch").ask())
    before = store_path.read_bytes()
    with pytest.raises(RuntimeError, match="the block failed"), store.batch():
        store.storage.set_trial_user_attr(run, "epoch_0001", {"loss": 1.0})
        store.storage.set_trial_intermediate_value(run, 1, 0.5)
        assert store_path.read_bytes() == before  # held back until the block ends
        raise RuntimeError("the block failed")
    added = store_path.read_bytes()[len(before):].splitlines()
    assert len(added) == 2
    trial = Store(str(store_path)).storage.get_trial(run)  # a second handle reads both
    assert trial.user_attrs["epoch_0001"] == {"loss": 1.0} and trial.intermediate_values == {1: 0.5}
    store.storage.set_trial_user_attr(run, "after", 2)  # outside a batch each write goes out at once
    assert len(store_path.read_bytes()[len(before):].splitlines()) == 3
