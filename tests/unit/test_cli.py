"""The command line, run as a user runs it: a real subprocess, real training on the bundled digits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def hptune(*args: str, store: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, HPTUNE_STORE=str(store), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "hptune.tui.cli_entry", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_run_json_then_runs_lists_the_same_epochs(store_path: Path) -> None:
    done = hptune("run", "--preset", "seed-2x100", "--dataset", "mnist-5k", "--epochs", "3", "--json", store=store_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed" and result["dataset"]["name"] == "mnist-5k"
    assert [e["epoch"] for e in result["epochs"]] == [1, 2, 3]
    assert set(result["epochs"][0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert result["config"]["normalize"] is False and result["params"] == 89_610
    for key in ("run_id", "test_accuracy", "test_macro_f1", "train_seconds", "diagnosis"):
        assert result[key] is not None
    listed = hptune("runs", "--format", "json", store=store_path)
    [stored] = json.loads(listed.stdout)
    assert stored["run_id"] == result["run_id"] and stored["epochs"] == result["epochs"]
    table = hptune("runs", store=store_path).stdout
    assert "completed" in table and "2x100" in table
    shown = hptune("show", str(result["run_id"]), store=store_path).stdout
    assert "Epoch 3/3" in shown and "test accuracy" in shown
    assert hptune("runs", "--format", "csv", store=store_path).stdout.count("\n") == 2


def test_run_prints_keras_style_epoch_lines(store_path: Path) -> None:
    done = hptune("run", "--dataset", "digits", "--epochs", "2", "--hidden-units", "16", store=store_path)
    assert done.returncode == 0, done.stderr
    assert "Epoch 2/2  " in done.stdout and "val_acc:" in done.stdout
    assert "diagnosis:" in done.stdout and "test accuracy:" in done.stdout


def test_bad_input_exits_2_naming_the_field(store_path: Path, tmp_path: Path) -> None:
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("hidden_layers = 2\nwidth = 5\n")
    cases = {
        ("--hidden-units", "-5"): "hidden_units",
        ("--dropout", "1.5"): "dropout",
        ("--learning-rate", "abc"): "--learning-rate",
        ("--activation", "swish"): "activation",
        ("--config", str(bad_toml)): "width",
    }
    for args, field in cases.items():
        done = hptune("run", *args, store=store_path)
        assert done.returncode == 2, (args, done.stderr)
        assert field in done.stderr and "Traceback" not in done.stderr
    assert not store_path.exists() or "config" not in store_path.read_text()


def test_missing_dataset_exits_3(store_path: Path, tmp_path: Path) -> None:
    done = hptune("run", "--dataset", str(tmp_path / "nowhere.npz"), store=store_path)
    assert done.returncode == 3 and "nowhere.npz" in done.stderr and "Traceback" not in done.stderr


def test_divergence_exits_4(store_path: Path) -> None:
    done = hptune("run", "--dataset", "mnist-5k", "--learning-rate", "10", "--raw-pixels", "--epochs", "3", "--json",
                  store=store_path)
    assert done.returncode == 4, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["status"] == "diverged"


def test_idx_folder_trains(store_path: Path, idx_folder: Path) -> None:
    done = hptune("run", "--dataset", str(idx_folder), "--epochs", "2", "--validation-size", "100", "--json",
                  store=store_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["dataset"]["n_train"] == 500 and len(result["epochs"]) == 2


def test_same_seed_twice_same_curves(store_path: Path) -> None:
    args = ("run", "--dataset", "mnist-5k", "--epochs", "2", "--hidden-units", "32", "--seed", "5", "--json")
    first, second = (json.loads(hptune(*args, store=store_path).stdout.splitlines()[-1]) for _ in range(2))
    strip = lambda r: [{k: v for k, v in e.items() if k != "seconds"} for e in r["epochs"]]  # noqa: E731
    assert strip(first) == strip(second)
    assert np.isfinite([e["loss"] for e in first["epochs"]]).all()


def test_the_offline_fallback_is_said_once(store_path: Path, tmp_path: Path) -> None:
    """Offline (as here and in CI), `mnist` falls back to the bundled sample: one notice, no Keras download line."""
    env = dict(os.environ, HPTUNE_STORE=str(store_path), TF_CPP_MIN_LOG_LEVEL="3", KERAS_HOME=str(tmp_path / "keras"))
    done = subprocess.run([sys.executable, "-m", "hptune.tui.cli_entry", "run", "--dataset", "mnist", "--epochs", "1",
                           "--hidden-units", "8"], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("bundled offline sample") == 1, done.stderr
    assert "Downloading data from" not in done.stderr + done.stdout
