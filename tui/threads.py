"""How the training worker shares the process with the UI: the garbage collector, thread pools, priority.

Training and the UI share one interpreter (the GIL) and the machine's cores. Each knob here was measured with
bench/tui_latency.py; HPTUNE_TF_THREADS=intra[,inter] and HPTUNE_TRAIN_NICE=N override the defaults.
"""

from __future__ import annotations

import gc
import logging
import os
import threading

log = logging.getLogger(__name__)

_applied = False


def thread_limits() -> tuple[int, int] | None:
    """(intra-op, inter-op) thread counts to use, or None to leave TensorFlow's defaults."""
    spec = os.environ.get("HPTUNE_TF_THREADS", "").strip()
    if spec:
        if spec.lower() in ("0", "default", "off"):
            return None
        parts = [int(p) for p in spec.split(",")]
        return parts[0], parts[1] if len(parts) > 1 else parts[0]
    # TensorFlow's own defaults: once the UI stopped redrawing per batch and the heap was frozen (freeze_heap),
    # they gave the best throughput with p95 key latency well under 100 ms on a 2-core machine, where leaving a
    # core to the UI cost a third of the throughput (bench/tui_latency.py).
    return None


def training_nice() -> int:
    """How much lower than the UI's the training thread's CPU priority is (HPTUNE_TRAIN_NICE)."""
    spec = os.environ.get("HPTUNE_TRAIN_NICE", "").strip()
    return int(spec) if spec else 0


def lower_training_priority() -> None:
    """Lower this thread's CPU priority, so that the UI thread wins the cores when both want them.

    Linux keeps a nice value per thread and new threads inherit it: TensorFlow's thread pools, created later from
    this thread, run at the same lower priority. With no competition they still get the whole machine."""
    nice = training_nice()
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError as err:
        log.info("could not lower the training thread's priority: %s", err)


def freeze_heap() -> None:
    """Import Keras, then move everything allocated so far out of the garbage collector's sight.

    The UI allocates briskly, and every full collection would otherwise walk TensorFlow's and Keras' huge,
    permanent object graph while holding the GIL: a pause for the UI and for training alike."""
    from core.backend import import_keras

    import_keras()
    gc.unfreeze()  # what a previous run left frozen and has since died may be collected now
    gc.collect()
    gc.freeze()


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
