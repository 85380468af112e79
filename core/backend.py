"""The Keras backend, imported only when training or data loading needs it (it takes seconds)."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType

from hptune.core.collector import freeze_long_lived

log = logging.getLogger(__name__)

_lock = threading.Lock()
_keras: ModuleType | None = None
#: Keras backends in the order `auto` prefers them: the compiled engine needs JAX and is the fastest measured here.
PREFERRED_BACKENDS = ("jax", "tensorflow")


def installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def resolve_backend(choice: str = "auto") -> str:
    """The Keras backend a config's `backend` means in this environment, without importing anything heavy."""
    if choice != "auto":
        return choice
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env
    return next((name for name in PREFERRED_BACKENDS if installed(name)), "tensorflow")


def loaded_backend() -> str | None:
    """The backend Keras already runs on in this process, or None while Keras is not imported."""
    keras = _keras or sys.modules.get("keras")
    if keras is None:
        return None
    try:
        return keras.backend.backend()
    except AttributeError:  # Keras half-imported by another thread; treat it as not yet chosen
        return None


def select_backend(choice: str = "auto") -> str:
    """Make the next `import keras` use the backend `choice` names (Keras reads KERAS_BACKEND once, at import) and
    return it; raise ConfigError where it is not installed, or where this process already runs Keras on another."""
    from hptune.core.config import ConfigError

    current = loaded_backend()
    if current is not None:
        if choice in ("auto", current):
            return current
        raise ConfigError(
            f"backend: this process already runs Keras on {current}, and Keras cannot switch backends in a process;"
            f" start a new one for {choice} (hptune run --backend {choice})",
            "backend",
        )
    wanted = resolve_backend(choice)
    if not installed(wanted):
        raise ConfigError(f"backend: {wanted} is not installed (pip install {wanted}); expected one of the installed"
                          f" backends or auto", "backend")
    os.environ["KERAS_BACKEND"] = wanted
    return wanted


@contextlib.contextmanager
def _scikit_learn_hidden() -> Iterator[None]:
    """Keras imports scikit-learn, where it is installed, for its scikit-learn wrappers, which hptune does not use:
    0.6 s of every training process's start on this machine kind. It is hidden while Keras imports (Keras then
    leaves its wrappers unusable, as when scikit-learn is missing); whatever imports it later gets it as usual."""
    if "sklearn" in sys.modules:
        yield
        return
    sys.modules["sklearn"] = None  # type: ignore[assignment] - None makes `import sklearn` raise ImportError
    try:
        yield
    finally:
        if "sklearn" in sys.modules and sys.modules["sklearn"] is None:
            del sys.modules["sklearn"]


@contextlib.contextmanager
def tensorflow_unless_used() -> Iterator[None]:
    """Saving a model (`model.save`) asks whether TensorFlow is installed, to check for its shape type, and that
    imports it: on another backend, 1.9 s of a sweep worker's first trial and TensorFlow's C++ start-up notices on
    the terminal. Where Keras runs on another backend and TensorFlow is not loaded, Keras is told it is absent for
    the length of the block (it serializes JAX and PyTorch models without it), and the notices of anything else
    native are kept off the terminal."""
    keras_tf = None
    if "tensorflow" not in sys.modules and os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        with contextlib.suppress(Exception):
            from keras.src.utils.module_utils import tensorflow as keras_tf
    hidden = keras_tf is not None and keras_tf._available is None
    if hidden:
        keras_tf._available = False
    try:
        with native_logs_captured():
            yield
    finally:
        if hidden:
            keras_tf._available = None  # as it was: asked again, Keras looks again


def import_keras() -> ModuleType:
    """Import Keras once, with quiet logs and, on a GPU, memory that grows rather than taking the whole card."""
    global _keras
    with _lock:
        if _keras is None:
            os.environ.setdefault("KERAS_BACKEND", resolve_backend())
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
            os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # the JAX equivalent
            with native_logs_captured(), _scikit_learn_hidden():
                import keras

                if keras.backend.backend() == "jax":
                    _use_compilation_cache()
                keras.ops.add(1, 1)  # the first op starts the runtime, which logs its start-up notices
            freeze_long_lived()  # Keras and its backend stay loaded: out of the cycle collector's full passes
            _keras = keras
        return _keras


def cache_home() -> str:
    """hptune's folder in the user's cache directory ($XDG_CACHE_HOME, else ~/.cache): what can be made again."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hptune")


def compilation_cache_dir() -> str | None:
    """Where JAX keeps compiled programs between processes: $HPTUNE_JAX_CACHE (empty: off), else hptune's folder
    in the user's cache directory."""
    configured = os.environ.get("HPTUNE_JAX_CACHE")
    if configured is not None:
        return configured or None
    return os.path.join(cache_home(), "jax")


def _use_compilation_cache() -> None:
    """Reuse compiled programs across processes: a fresh training process (the CLI's, the TUI's, a sweep worker's)
    otherwise spends seconds compiling the same initialisers and training loop again before its first step."""
    path = compilation_cache_dir()
    if path is None:
        return
    try:
        import jax

        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except Exception:  # noqa: BLE001 - a cache is an optimisation; training goes on without it
        log.debug("JAX compilation cache not used", exc_info=True)


@contextlib.contextmanager
def native_logs_captured() -> Iterator[None]:
    """TensorFlow's C++ start-up notices (oneDNN, CUDA probing) go straight to file descriptor 2, past Python's
    logging and TF_CPP_MIN_LOG_LEVEL; keep them off the user's terminal and hand them to logging at debug level."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode(errors="replace").splitlines():
                log.debug("backend: %s", line)


def seed_everything(seed: int, engine: str) -> None:
    """Seed weight initialisation, dropout and shuffling.

    `keras.utils.set_random_seed` also seeds TensorFlow, importing it whenever it is installed: seconds and hundreds
    of megabytes that a run on another backend never uses. For the compiled engine on such a backend this does the
    rest of what it does (Keras 3.5-3.15: the global seed and a fresh global seed generator, Python's and NumPy's
    generators); should those internals move, it falls back to the public function.
    """
    keras = import_keras()
    if engine == "keras" or keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils import rng_utils

        global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    except (ImportError, AttributeError):
        keras.utils.set_random_seed(seed)
        return
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)


def backend_name() -> str:
    return import_keras().backend.backend()


def device_name() -> str:
    """The device that trains: 'CPU' or the GPU's name, asked of whichever backend Keras runs on."""
    backend = backend_name()
    try:
        with native_logs_captured():
            return _device_name(backend)
    except Exception:  # noqa: BLE001 - a device query must never stop training; CPU is the safe answer
        return "CPU"


def _device_name(backend: str) -> str:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"GPU: {details.get('device_name', gpus[0].name)}"
        elif backend == "jax":
            import jax

            devices = [d for d in jax.devices() if d.platform != "cpu"]
            if devices:
                return f"GPU: {devices[0].device_kind}"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"GPU: {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001 - a device query must never stop training; CPU is the safe answer
        return "CPU"
    return "CPU"
