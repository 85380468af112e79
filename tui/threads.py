"""Thread limits for the backend, applied on the worker thread before the first TensorFlow op.

Training and the UI share the machine's cores; on a small machine TensorFlow's own thread pools can starve the
UI's event loop. Measured with bench/tui_latency.py; override with HPTUNE_TF_THREADS=intra[,inter].
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

_applied = False


def thread_limits(cpus: int | None = None) -> tuple[int, int] | None:
    """(intra-op, inter-op) thread counts to use, or None to leave TensorFlow's defaults."""
    spec = os.environ.get("HPTUNE_TF_THREADS", "").strip()
    if spec:
        if spec.lower() in ("0", "default", "off"):
            return None
        parts = [int(p) for p in spec.split(",")]
        return parts[0], parts[1] if len(parts) > 1 else parts[0]
    return None


def limit_backend_threads() -> None:
    """Apply `thread_limits()` once per process, if TensorFlow is the backend and not yet initialised."""
    global _applied
    if _applied:
        return
    _applied = True
    limits = thread_limits()
    if limits is None or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # deferred: only the training worker pays for it

    try:
        tf.config.threading.set_intra_op_parallelism_threads(limits[0])
        tf.config.threading.set_inter_op_parallelism_threads(limits[1])
    except RuntimeError as err:  # TensorFlow already initialised in this process: its pools are fixed
        log.info("could not limit TensorFlow threads: %s", err)
