"""The model code is Keras 3 API only, so every Keras backend trains the same network, each in its own process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("flags", "backend"), [
    (["--backend", "jax"], "jax, compiled"),
    (["--backend", "tensorflow"], "tensorflow, model.fit"),
    (["--backend", "jax", "--engine", "keras"], "jax, model.fit"),
    (["--backend", "torch"], "torch, model.fit"),
])
def test_each_backend_trains_and_says_so(flags: list[str], backend: str, store_path: Path) -> None:
    name = backend.split(",")[0]
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (pip install {name})")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"} | {"HPTUNE_STORE": str(store_path)}
    done = subprocess.run(
        [sys.executable, "-m", "hptune.tui.cli_entry", "run", "--dataset", "digits", "--epochs", "2", "--hidden-units",
         "16", "--json", *flags], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["backend"] == backend and result["status"] == "completed"
    assert len(result["epochs"]) == 2 and result["test_accuracy"] > 0.1
    assert f"({backend})" in done.stderr  # the progress header names the backend and engine that ran


def test_an_unknown_backend_is_named_in_one_line(store_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "hptune.tui.cli_entry", "run", "--backend", "theano"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "backend" in done.stderr and "Traceback" not in done.stderr


def test_keras_imports_without_scikit_learn_and_leaves_it_importable() -> None:
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn is not installed")
    code = ("import sys\nfrom hptune.core.backend import import_keras\nimport_keras()\n"
            "print('sklearn' in sys.modules)\nimport sklearn\nprint(bool(sklearn.__version__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.split() == ["False", "True"]
