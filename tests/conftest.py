"""Shared fixtures: a per-test store, quiet TensorFlow, and small real data written in the formats hptune reads."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# No KERAS_BACKEND here: the tests train on what `backend = "auto"` picks, as a user's run does.

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh journal store for one test; also what the CLI sees through HPTUNE_STORE."""
    path = tmp_path / "store" / "runs.journal"
    monkeypatch.setenv("HPTUNE_STORE", str(path))
    return path


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
