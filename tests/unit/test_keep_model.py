"""Keeping a run's trained network: saved beside the store when the run asks, exported by `hptune export` as a
Keras file that opens in safe mode and scores the run's stored test accuracy exactly, on both engines."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from hptune.core.cli import main
from hptune.core.config import make_config
from hptune.core.data import load_dataset
from hptune.core.store import Store
from hptune.core.trainer import score_predictions, train

SMALL = {"dataset": "mnist-5k", "hidden_layers": 1, "hidden_units": 16, "epochs": 2, "batch_size": 256}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the trainer saves into, so a test can see that nothing is left behind there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("engine", ["compiled", "keras"])
def test_an_exported_model_scores_the_stored_test_accuracy_exactly(tmp_path: Path, private_tmp: Path,
                                                                    engine: str) -> None:
    location = str(tmp_path / "runs.journal")
    config = make_config(SMALL | {"engine": engine, "keep_model": True, "patience": 1})
    result = train(config, record=Store(location).recorder())
    assert result.status in ("completed", "early-stopped")
    store = Store(location)
    [record] = store.runs()
    kept = Path(record.model_file)
    assert kept == tmp_path / "runs.journal.models" / "runs" / f"{record.run_id}.keras"
    assert record.model_bytes == kept.stat().st_size > 0
    assert list(private_tmp.iterdir()) == []  # the trainer's temporary file was moved, not copied and left

    out = tmp_path / "exported.keras"
    code, text, err = run_cli("export", str(record.run_id), "--out", str(out), "--store", location)
    assert code == 0, err
    assert f"run {record.run_id}: model written to {out}" in text
    assert out.read_bytes() == kept.read_bytes()

    import keras  # after training: the run chose the backend Keras loads with

    model = keras.models.load_model(out, safe_mode=True)
    data = load_dataset(config.dataset, config.validation_size, config.normalize, config.train_fraction)
    predicted = np.argmax(model.predict(data.x_test, batch_size=1024, verbose=0), axis=1)
    accuracy, _, confusion = score_predictions(data.y_test, predicted)
    assert accuracy == record.test_accuracy
    assert tuple(tuple(int(v) for v in row) for row in confusion) == record.confusion

    code, text, _ = run_cli("show", str(record.run_id), "--store", location)
    assert code == 0 and f"model: kept ({record.model_bytes / 1024:.1f} KiB, {kept})" in text
    code, text, _ = run_cli("show", str(record.run_id), "--store", location, "--json")
    shown = json.loads(text)
    assert shown["model_file"] == str(kept) and shown["model_bytes"] == record.model_bytes


def test_export_refuses_a_run_without_a_model_and_a_bad_file_name(tmp_path: Path, private_tmp: Path) -> None:
    location = str(tmp_path / "runs.journal")
    train(make_config(SMALL | {"epochs": 1}), record=Store(location).recorder())
    [record] = Store(location).runs()
    assert record.model_file is None and not (tmp_path / "runs.journal.models").exists()
    assert list(private_tmp.iterdir()) == []
    code, text, _ = run_cli("show", str(record.run_id), "--store", location)
    assert "model: not kept" in text

    before = Path(location).read_bytes()
    cases = [
        (("export", str(record.run_id), "--out", str(tmp_path / "m.keras")), f"run {record.run_id} kept no model"),
        (("export", "999", "--out", str(tmp_path / "m.keras")), "no run with id 999"),
    ]
    for argv, expected in cases:
        code, text, err = run_cli(*argv, "--store", location)
        assert code == 2, err
        [line] = err.splitlines()
        assert expected in line
    assert not (tmp_path / "m.keras").exists()
    assert Path(location).read_bytes() == before  # export only reads the store


def test_export_wants_a_keras_file_name(tmp_path: Path, private_tmp: Path) -> None:
    location = str(tmp_path / "runs.journal")
    train(make_config(SMALL | {"epochs": 1, "keep_model": True}), record=Store(location).recorder())
    [record] = Store(location).runs()
    code, _, err = run_cli("export", str(record.run_id), "--out", str(tmp_path / "m.h5"), "--store", location)
    assert code == 2 and "--out" in err and ".keras" in err
    Path(record.model_file).unlink()
    code, _, err = run_cli("export", str(record.run_id), "--out", str(tmp_path / "m.keras"), "--store", location)
    assert code == 1 and "is missing" in err and record.model_file in err


def test_where_models_live_for_a_journal_and_for_a_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from hptune.core.store.models import models_root

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert models_root("/srv/team/runs.journal") == Path("/srv/team/runs.journal.models")
    url = "postgresql+psycopg://alice:s3cret@db.example/hptune_runs"
    root = models_root(url)
    assert root.parent == tmp_path / "data" / "hptune" / "models"
    assert root.name.startswith("hptune_runs-") and "s3cret" not in str(root)
    assert models_root(url.replace("hptune_runs", "other")) != root  # one folder per database


def test_keeping_a_model_on_jax_neither_imports_tensorflow_nor_prints_its_notices(tmp_path: Path) -> None:
    """`model.save` asked Keras whether TensorFlow is installed, which imported it: 1.9 s of a sweep worker's first
    trial and TensorFlow's C++ start-up lines on the terminal of `hptune sweep`. In a fresh process on JAX the kept
    file is written, loads back with the same weights, TensorFlow stays unloaded and nothing reaches stderr."""
    import os
    import subprocess
    import sys

    script = f"""
import sys
from hptune.core.backend import import_keras, select_backend
select_backend("jax")
keras = import_keras()
from hptune.core.config import make_config
from hptune.core.model import build_model
from hptune.core.trainer import save_model
model = build_model(make_config({SMALL!r}), (28, 28))
path = save_model(model)
assert "tensorflow" not in sys.modules, "tensorflow was imported"
from keras.src.utils.module_utils import tensorflow as keras_tf
assert keras_tf._available is None
loaded = keras.saving.load_model(path, compile=False)
import numpy as np
assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True))
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={**os.environ, "KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert done.stderr.strip() == ""
