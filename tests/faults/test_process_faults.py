"""What happens when a run is killed, interrupted or its store is damaged: nothing finished is lost."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hptune.core.store import Store, StoreError

REPO = Path(__file__).resolve().parents[2]
SLOW_EPOCHS = ("--dataset", "mnist-5k", "--hidden-units", "32", "--batch-size", "8", "--steps-per-execution", "1",
               "--epochs", "200")


def start(store: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, HPTUNE_STORE=str(store), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, "-m", "hptune.tui.cli_entry", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def hptune(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hptune.tui.cli_entry", *args], cwd=REPO, capture_output=True,
                          text=True, env=dict(os.environ, HPTUNE_STORE=str(store), TF_CPP_MIN_LOG_LEVEL="3"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for_epochs(store: Path, count: int, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if store.exists():
            runs = Store(str(store)).runs()
            if runs and len(runs[0].epochs) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the run did not reach {count} epochs in {timeout}s")


def test_sigkill_leaves_an_interrupted_run_with_its_finished_epochs(store_path: Path) -> None:
    proc = start(store_path, "run", *SLOW_EPOCHS)
    try:
        wait_for_epochs(store_path, 2, proc)
        proc.kill()
        proc.wait(10)
    finally:
        proc.kill()
    before = sha256(store_path)
    [record] = Store(str(store_path)).runs()
    assert record.status == "interrupted"
    done = [e.epoch for e in record.epochs]  # every epoch that finished before the kill, in order
    assert len(done) >= 2 and done == list(range(1, len(done) + 1)), done
    assert "ended without finishing" in (record.message or "")
    # Read from the command line: shown interrupted, and no reader wrote that (or anything else) down.
    listed = hptune(store_path, "runs", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["status"] == "interrupted"
    table = hptune(store_path, "runs")
    assert "interrupted" in table.stdout.splitlines()[1]
    shown = hptune(store_path, "show", str(record.run_id))
    assert shown.returncode == 0 and ": interrupted - the process training this run ended" in shown.stdout
    last = len(done)  # the kill lands after epoch 2 at the earliest; a busy machine may finish one more first
    assert f"Epoch {last}/200" in shown.stdout and f"Epoch {last + 1}/200" not in shown.stdout, shown.stdout
    assert hptune(store_path, "studies").returncode == 0
    assert sha256(store_path) == before, "reading the store changed it"


def test_ctrl_c_stops_and_keeps_the_run(store_path: Path) -> None:
    proc = start(store_path, "run", *SLOW_EPOCHS, "--json")
    try:
        wait_for_epochs(store_path, 1, proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["status"] == "stopped" and len(result["epochs"]) >= 1
    [record] = Store(str(store_path)).runs()
    assert record.status == "stopped" and len(record.epochs) == len(result["epochs"])


def test_a_torn_last_write_is_set_aside_by_the_next_writer(store_path: Path) -> None:
    proc = start(store_path, "run", "--dataset", "digits", "--epochs", "2", "--hidden-units", "8")
    assert proc.wait(120) == 0
    torn = b'{"op_code": 6, "worker_id": "x", "trial_id": 0, "user_att'  # a write cut off by a crash
    with store_path.open("ab") as fh:
        fh.write(torn)
    before = sha256(store_path)
    [record] = Store(str(store_path)).runs()
    assert record.status == "completed" and len(record.epochs) == 2
    listed = hptune(store_path, "runs")
    assert listed.returncode == 0 and "completed" in listed.stdout
    assert sha256(store_path) == before, "a reader repaired the store"
    # The next writer moves the torn line aside before appending, so nothing glues onto it, and says so.
    done = hptune(store_path, "run", "--dataset", "digits", "--epochs", "1", "--hidden-units", "8")
    assert done.returncode == 0, done.stderr
    [saved] = store_path.parent.glob("runs.journal.torn-*")
    assert saved.read_bytes() == torn
    assert f"dropped {len(torn)} bytes of a write cut off by a crash" in done.stderr and str(saved) in done.stderr
    assert store_path.read_bytes().endswith(b"}\n")
    assert [r.status for r in Store(str(store_path)).runs()] == ["completed", "completed"]


def test_garbage_appended_to_the_store_is_a_clear_error_and_the_file_is_untouched(store_path: Path) -> None:
    proc = start(store_path, "run", "--dataset", "digits", "--epochs", "1", "--hidden-units", "8")
    assert proc.wait(120) == 0
    with store_path.open("ab") as fh:  # 300 bytes: lines of noise, and a last one without its newline
        fh.write(b"\x00\x17garbage " * 10 + b"\n" + b"{not json}" * 10 + b"\n" + b"\xfe" * 98)
    before = sha256(store_path)
    for args in (("runs",), ("runs", "--format", "json"), ("show", "0"), ("studies",),
                 ("run", "--dataset", "digits", "--epochs", "1")):
        done = hptune(store_path, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert str(store_path) in done.stderr and "corrupt" in done.stderr and "move it aside" in done.stderr, args
        assert "Traceback" not in done.stderr and "dropping" not in done.stderr and "dropped" not in done.stderr
        assert "Epoch" not in done.stdout
        assert sha256(store_path) == before, f"hptune {' '.join(args)} changed the store"
    assert not list(store_path.parent.glob("runs.journal.torn-*"))


def test_a_corrupt_store_is_a_clear_error_and_is_not_overwritten(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b"this is not a journal\n{}\n")
    before = store_path.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(str(store_path)).runs()  # the journal is read at the first read, not when the handle is made
    assert str(store_path) in str(err.value) and "corrupt" in str(err.value) and "move it aside" in str(err.value)
    done = subprocess.run([sys.executable, "-m", "hptune.tui.cli_entry", "run", "--dataset", "digits", "--epochs", "1"],
                          cwd=REPO, env=dict(os.environ, HPTUNE_STORE=str(store_path)), capture_output=True, text=True)
    assert done.returncode == 1 and "corrupt" in done.stderr and "Traceback" not in done.stderr
    assert "Epoch" not in done.stdout  # no training whose results could not be saved
    assert store_path.read_bytes() == before


def test_a_store_on_a_read_only_filesystem_is_refused_before_training(tmp_path: Path) -> None:
    # /proc is read-only for everyone, root included.
    done = subprocess.run([sys.executable, "-m", "hptune.tui.cli_entry", "run", "--dataset", "digits", "--epochs", "1",
                           "--store", "/proc/hptune/runs.journal"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 1 and "/proc/hptune" in done.stderr and "--store" in done.stderr
    assert "Epoch" not in done.stdout


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 256 KiB filesystem to fill up (needs root and mount, as on CI; skipped elsewhere)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_ends_the_run_with_a_clear_message_and_keeps_what_was_saved(tiny_disk: Path) -> None:
    store = tiny_disk / "runs.journal"
    proc = start(store, "run", "--dataset", "digits", "--epochs", "1", "--hidden-units", "8")
    assert proc.wait(120) == 0
    # Leave only a little room: the next run's config and first epochs fit, the rest does not.
    free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
    (tiny_disk / "filler").write_bytes(b"\0" * max(0, free - 6 * 1024))
    proc = start(store, "run", "--dataset", "digits", "--epochs", "400", "--hidden-units", "8")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, (out, err)
    assert "could not save the run" in err and "No space left" in err and str(store) in err
    assert "Traceback" not in err
    (tiny_disk / "filler").unlink()
    runs = Store(str(store)).runs()
    assert runs[0].status == "completed" and len(runs[0].epochs) == 1
    assert len(runs) == 2 and runs[1].status in ("failed", "interrupted", "running") and runs[1].epochs
    saved = [e.epoch for e in runs[1].epochs]
    assert saved == list(range(1, len(saved) + 1))


def test_a_full_disk_under_the_tuis_training_process_is_the_same_clear_error(tiny_disk: Path) -> None:
    """The TUI's training process records its runs: a disk that fills up mid-run ends the run there with the same
    message in the app, the epochs saved before it stay, and every epoch the store kept was shown."""
    from hptune.core.config import make_config
    from hptune.core.events import EpochEnded
    from hptune.core.isolated import TrainingHost

    store = tiny_disk / "runs.journal"
    host = TrainingHost()
    try:
        config = make_config({"dataset": "digits", "hidden_units": 8, "epochs": 1})
        assert host.train(config, record=Store(str(store)).recorder()).status == "completed"
        free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
        (tiny_disk / "filler").write_bytes(b"\0" * max(0, free - 6 * 1024))
        shown = []
        with pytest.raises(StoreError) as err:
            host.train(config.model_copy(update={"epochs": 400}), record=Store(str(store)).recorder(),
                       on_event=lambda e: shown.append(e.metrics.epoch) if isinstance(e, EpochEnded) else None)
    finally:
        host.close()
    assert "could not save the run" in str(err.value) and "No space left" in str(err.value)
    assert str(store) in str(err.value)
    (tiny_disk / "filler").unlink()
    runs = Store(str(store)).runs()
    saved = [e.epoch for e in runs[1].epochs]
    assert saved and saved == list(range(1, len(saved) + 1)) and shown[:len(saved)] == saved
