"""The model code is Keras 3 API only, so another Keras backend trains the same network."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_another_backend_trains(backend: str, store_path: Path) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    env = dict(os.environ, KERAS_BACKEND=backend, HPTUNE_STORE=str(store_path))
    done = subprocess.run(
        [sys.executable, "-m", "hptune.tui.cli_entry", "run", "--dataset", "digits", "--epochs", "2",
         "--hidden-units", "16", "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["backend"] == backend and result["status"] == "completed"
    assert len(result["epochs"]) == 2 and result["test_accuracy"] > 0.1
