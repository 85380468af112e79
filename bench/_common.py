"""Shared pieces of the benchmark scripts: a synthetic MNIST-format data set, child processes run in a terminal
(a pty, so Keras and hptune draw their progress bars as they would for a person), medians and tables.

Timings are taken in fresh child processes so that one measurement cannot warm or pollute the next, and the
compared variants are interleaved (A B A B ...) so that load from other programs falls on all of them alike.
"""

from __future__ import annotations

import json
import os
import platform
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
#: Bump when the generator changes, so a stale cached file is never reused.
DATA_VERSION = 1
#: The tutorial's models: (hidden layers, hidden units).
TUTORIAL_MODELS: tuple[tuple[int, int], ...] = ((2, 10), (2, 100), (10, 10))


def scratch_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "hptune-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def synthetic_mnist(seed: int = 0, n_train: int = 60_000, n_test: int = 10_000) -> Path:
    """A deterministic 60,000 + 10,000 image MNIST-format .npz (uint8 28x28, labels 0-9), cached in a temp dir.

    Each class is a smooth random stroke pattern; an image is its class pattern, randomly shifted by up to two
    pixels, blended with a random other class's pattern and covered in noise. The blend makes some images truly
    ambiguous, so a 2x100 network tops out in the mid-90s rather than at 100% and accuracy differences mean
    something.
    """
    path = scratch_dir() / f"synthetic-mnist-v{DATA_VERSION}-seed{seed}-{n_train}-{n_test}.npz"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    side, pad = 28, 2
    grid = side + 2 * pad
    # Class patterns: a few Gaussian blobs along a random walk, like a pen stroke.
    yy, xx = np.mgrid[0:grid, 0:grid].astype(np.float32)
    patterns = np.zeros((10, grid, grid), np.float32)
    for c in range(10):
        point = rng.uniform(10, grid - 10, size=2)
        for _ in range(7):
            point = np.clip(point + rng.normal(0, 4, size=2), 7, grid - 7)
            width = rng.uniform(1.5, 3.0)
            patterns[c] += np.exp(-((yy - point[0]) ** 2 + (xx - point[1]) ** 2) / (2 * width**2))
        patterns[c] /= patterns[c].max()

    def images(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, size=n)
        others = (labels + rng.integers(1, 10, size=n)) % 10
        weight = rng.uniform(0.0, 0.5, size=(n, 1, 1)).astype(np.float32)
        dy, dx = rng.integers(0, 2 * pad + 1, size=(2, n))
        out = np.empty((n, side, side), np.float32)
        for start in range(0, n, 5_000):  # in chunks, to keep memory small
            idx = np.arange(start, min(n, start + 5_000))
            rows = dy[idx, None] + np.arange(side)[None, :]
            cols = dx[idx, None] + np.arange(side)[None, :]
            own = patterns[labels[idx][:, None, None], rows[:, :, None], cols[:, None, :]]
            other = patterns[others[idx][:, None, None], rows[:, :, None], cols[:, None, :]]
            w = weight[idx]
            noise = rng.normal(0.0, 0.1, size=own.shape).astype(np.float32)
            out[idx] = (1 - w) * own + w * other + noise
        pixels = np.clip(out * 255.0, 0, 255).astype(np.uint8)
        return pixels, labels.astype(np.uint8)

    x_train, y_train = images(n_train)
    x_test, y_test = images(n_test)
    partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(partial, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    partial.replace(path)
    return path


# --- child processes -------------------------------------------------------------------------------------------

def run_in_terminal(argv: Sequence[str], timeout: float = 1800.0, env: dict[str, str] | None = None,
                    columns: int = 120, rows: int = 40) -> tuple[int, str]:
    """Run a command with stdout and stderr on a pseudo-terminal, as in a person's terminal; return (rc, tail)."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    child_env = dict(os.environ, TERM=os.environ.get("TERM", "xterm-256color"), COLUMNS=str(columns),
                     LINES=str(rows), PYTHONUNBUFFERED="1")
    child_env.update(env or {})
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=child_env, cwd=ROOT,
                            close_fds=True, start_new_session=True)
    os.close(slave)
    tail = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                tail += chunk
                del tail[:-20_000]
            elif proc.poll() is not None:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"{' '.join(argv)}: still running after {timeout:.0f}s")
    finally:
        os.close(master)
    return proc.wait(), tail.decode("utf-8", "replace")


def run_worker(task: dict[str, Any], timeout: float = 1800.0, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one measurement from bench/_worker.py in a fresh process on a terminal (with `env` added to its
    environment); return its JSON result."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", dir=scratch_dir(), delete=False) as handle:
        result_path = Path(handle.name)
    try:
        rc, tail = run_in_terminal([sys.executable, str(BENCH / "_worker.py"), json.dumps(task), str(result_path)],
                                   timeout=timeout, env=env)
        text = result_path.read_text() if result_path.exists() else ""
        if rc != 0 or not text:
            raise RuntimeError(f"worker failed (rc {rc}) on {task}:\n{tail[-3000:]}")
        return json.loads(text)
    finally:
        result_path.unlink(missing_ok=True)


def interleaved(variants: Sequence[Any], repeats: int) -> Iterable[tuple[int, Any]]:
    """(repeat, variant) in the order A B C A B C ..., so that background load spreads over all variants."""
    for r in range(repeats):
        for v in variants:
            yield r, v


# --- numbers and tables ----------------------------------------------------------------------------------------

def median(values: Iterable[float]) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    """A plain-text table with right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        cells = enumerate(zip(row, widths, strict=False))
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in cells).rstrip()

    out = [title] if title else []
    out += [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def machine_line() -> str:
    """Where the numbers came from: commit, CPU count, memory, Python and library versions."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=5).stdout.strip() or "?"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        commit += "+dirty" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"commit {commit} | {os.cpu_count()} CPUs, {memory:.0f} GiB | {platform.processor() or platform.machine()}"
            f" | Python {platform.python_version()} | load avg {os.getloadavg()[0]:.2f}")


def loadavg() -> float:
    return os.getloadavg()[0]


# --- floating-point work ---------------------------------------------------------------------------------------

def param_count(layers: int, units: int, inputs: int = 28 * 28) -> int:
    """Trainable parameters of the tutorial's network, as hptune's config counts them."""
    from hptune.core.config import RunConfig

    return RunConfig(hidden_layers=layers, hidden_units=units).param_count(inputs)


def flops_per_epoch(params: int, n_train: int = 50_000, n_val: int = 10_000) -> float:
    """Dense-layer work of one epoch: 2 FLOPs per weight per image forward (a multiply and an add), 4 backward
    (the gradient for the layer's input and for its weights), so 6 x params x training images, plus 2 x params x
    validation images for the forward-only validation pass. Activations, the loss and Adam's update (about 10 x
    params per step, under 1% here) are left out."""
    return 6.0 * params * n_train + 2.0 * params * n_val


def best_rates(*measurements: dict[str, float]) -> dict[str, float]:
    """The best rate per library over several measurements (taken before and after the runs, so that a burst of
    load from other programs at one moment does not lower the peak)."""
    out: dict[str, float] = {}
    for rates in measurements:
        for key, value in rates.items():
            out[key] = max(out.get(key, 0.0), value)
    return out


def matmul_gflops(n: int = 2048, repeats: int = 20) -> dict[str, float]:
    """This machine's float32 matrix-multiply rate (2 n^3 FLOPs per product), best of `repeats`, with every core
    the library uses: numpy (OpenBLAS) and, when they are importable, TensorFlow (Eigen/oneDNN) and JAX (XLA) as
    Keras runs them."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    rates = {}
    a @ b  # warm-up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    rates["numpy"] = 2 * n**3 / best / 1e9
    try:
        import os as _os

        _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        ta, tb = tf.constant(a), tf.constant(b)
        tf.linalg.matmul(ta, tb).numpy()
        best = min(_timed(lambda: tf.linalg.matmul(ta, tb).numpy()) for _ in range(repeats))
        rates["tensorflow"] = 2 * n**3 / best / 1e9
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        ja, jb = jnp.asarray(a), jnp.asarray(b)
        matmul = jax.jit(jnp.matmul)
        matmul(ja, jb).block_until_ready()
        best = min(_timed(lambda: matmul(ja, jb).block_until_ready()) for _ in range(repeats))
        rates["jax"] = 2 * n**3 / best / 1e9
    except ImportError:
        pass
    return rates


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
