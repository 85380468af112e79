"""Shared fixtures: a per-test store, quiet TensorFlow, and small real data written in the formats hptune reads."""

from __future__ import annotations

import asyncio
import gzip
import os
import struct
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# No KERAS_BACKEND here: the tests train on what `backend = "auto"` picks, as a user's run does.


def _pending(node) -> bool:
    """Whether a running message pump still holds a message, or a callback due after its messages."""
    return node._running and not node._closed and (node.message_queue_size > 0 or bool(node._next_callbacks))


async def settle(pilot, timeout: float = 5.0) -> None:
    """Let the app finish every message in flight, hop by hop, until two checks in a row find every queue empty.

    Textual's `Pilot.pause()` waits for the messages queued when it is called, then for the process to look idle by
    comparing CPU time with wall time. A process that the OS does not schedule (both cores busy) looks idle too, so
    a message that bubbles on (an Input's Changed -> the form -> the screen) could still be queued when a test
    asserted. A batch of drawing still open (a screen shown once it is whole) counts as work in flight. Pumps that
    never rest (a training run posting epochs) are given `timeout` seconds, then let be."""
    from textual.pilot import Pilot

    app = pilot.app
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        await Pilot._wait_for_screen(pilot)
        await asyncio.sleep(0)
        try:
            nodes = [app, *app.screen.walk_children(with_self=True)]
        except Exception:  # no screen yet, or the app is closing: nothing left to wait for
            return
        # a screen drawn once whole (HptuneApp.push_kept) holds the app's drawing until it has mounted
        quiet = 0 if app._batch_count or any(_pending(node) for node in nodes) else quiet + 1


def _pause_until_settled() -> None:
    """Every `pilot.pause()` without a delay in this suite settles the app first (see `settle`)."""
    from textual.pilot import Pilot

    textual_pause = Pilot.pause

    async def pause(self, delay: float | None = None) -> None:
        if delay is None:
            await settle(self)
        await textual_pause(self, delay)

    pause.__doc__ = textual_pause.__doc__
    Pilot.pause = pause


_pause_until_settled()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pilot-never-idle", action="store_true",
        help="make Textual's idle wait return at once, as it does for a process the OS does not schedule: "
             "a TUI test that passes only because the machine was quiet fails under this",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--pilot-never-idle"):
        import textual.pilot

        async def at_once(min_sleep: float = 0.0, max_sleep: float = 1.0) -> None:
            await asyncio.sleep(0)

        textual.pilot.wait_for_idle = at_once

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh journal store for one test; also what the CLI sees through HPTUNE_STORE."""
    path = tmp_path / "store" / "runs.journal"
    monkeypatch.setenv("HPTUNE_STORE", str(path))
    return path


PG_SKIP = ("HPTUNE_TEST_PG_URL is not set: no PostgreSQL server"
           " (CI sets it from .ci/postgres.sh; locally:"
           " export HPTUNE_TEST_PG_URL=$(sudo bash .ci/postgres.sh | tail -1))")


@pytest.fixture(params=["journal", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL: a fresh journal file, or the PostgreSQL database CI provides, which other tests share (use a
    study of your own there: `study_name`)."""
    if request.param == "journal":
        return str(tmp_path / "runs.journal")
    url = os.environ.get("HPTUNE_TEST_PG_URL")
    if not url:
        pytest.skip(PG_SKIP)
    return url


@pytest.fixture
def study_name() -> str:
    """A study name no other test uses."""
    return f"test-{uuid.uuid4().hex[:10]}"


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> None:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload)
    path.write_bytes(payload)


def small_digits(n_train: int = 600, n_test: int = 200) -> tuple[np.ndarray, ...]:
    """Real MNIST digits from the bundled mnist-5k sample, as uint8 arrays."""
    from hptune.core.data import load_raw

    raw, _, _ = load_raw("mnist-5k")
    return (
        raw.x_train[:n_train].astype(np.uint8),
        raw.y_train[:n_train].astype(np.uint8),
        raw.x_test[:n_test].astype(np.uint8),
        raw.y_test[:n_test].astype(np.uint8),
    )


@pytest.fixture
def idx_folder(tmp_path: Path) -> Path:
    """A folder of MNIST-format IDX files (two of them gzipped) holding real digits."""
    folder = tmp_path / "idx"
    folder.mkdir()
    x_train, y_train, x_test, y_test = small_digits()
    write_idx(folder / "train-images-idx3-ubyte", x_train, gz=True)
    write_idx(folder / "train-labels-idx1-ubyte", y_train)
    write_idx(folder / "t10k-images-idx3-ubyte", x_test)
    write_idx(folder / "t10k-labels-idx1-ubyte", y_test, gz=True)
    return folder
