from __future__ import annotations

import contextlib
import gzip
import io
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from hptune.core import data
from hptune.core.config import ConfigError
from hptune.core.data import DatasetError, DatasetUnavailable, load_dataset, read_idx
from tests.conftest import small_digits, write_idx


def test_mnist_5k_is_real_bundled_digits_with_a_fixed_stratified_split() -> None:
    ds = load_dataset("mnist-5k")
    assert ds.info.name == "mnist-5k" and ds.info.fallback is None
    assert ds.info.n_train + ds.info.n_val == 4000 and ds.info.n_test == 1000
    assert ds.x_train.dtype == np.float32 and ds.x_train.shape[1:] == (28, 28)
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    counts = np.bincount(ds.y_test, minlength=10)
    assert counts.min() >= 80, counts  # every digit is represented in the test split
    again = load_dataset("mnist-5k")
    assert np.array_equal(ds.y_train, again.y_train)


def test_the_bundled_digits_are_parsed_once_and_a_bad_parsed_copy_is_not_trusted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = data._mnist_5k()
    [kept] = (tmp_path / "hptune" / "data").glob("mnist_5k.csv.gz.*.npy")
    again = data._mnist_5k()  # from the parsed copy
    for a, b in zip((first.x_train, first.y_train, first.x_test, first.y_test),
                    (again.x_train, again.y_train, again.x_test, again.y_test), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert first.x_train.dtype == np.float32 and first.y_train.dtype == np.int64
    for bad in (b"not numpy", np.zeros((3, 5), np.uint8)):  # garbage, then a well-formed file of the wrong shape
        if isinstance(bad, bytes):
            kept.write_bytes(bad)
        else:
            np.save(kept, bad)
        parsed = data._mnist_5k()  # parsed from the CSV again, and the copy replaced
        assert np.array_equal(parsed.x_train, first.x_train) and np.array_equal(parsed.y_test, first.y_test)
        assert np.load(kept).shape == (5000, 785)


def test_the_fast_reader_of_the_bundled_csv_agrees_with_numpy_and_declines_anything_else() -> None:
    rng = np.random.default_rng(0)
    table = rng.integers(0, 256, size=(40, 7))
    table[:, :3] = rng.integers(0, 10, size=(40, 3))  # fields of one, two and three digits
    text = "\n".join(",".join(str(v) for v in row) for row in table).encode()
    for ending in (b"", b"\n"):  # with and without a last newline
        parsed = data._small_integer_csv(text + ending, 7)
        assert parsed is not None and parsed.dtype == np.float32
        assert np.array_equal(parsed, np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.float32))
    for other in (b"1,2,3\n4,5\n", b"1,,3\n", b"1.5,2,3\n", b"1,2,3\r\n", b"1,2,1000\n", b"-1,2,3\n", b"",
                  b"1 ,2,3\n"):
        assert data._small_integer_csv(other, 3) is None, other


def test_raw_pixels_keep_the_0_255_range() -> None:
    ds = load_dataset("mnist-5k", normalize=False)
    assert ds.x_train.max() == 255.0


def test_validation_size_count_fraction_and_auto() -> None:
    assert load_dataset("mnist-5k", 500).info.n_val == 500
    assert load_dataset("mnist-5k", 0.25).info.n_val == 1000
    assert load_dataset("mnist-5k", "auto").info.n_val == 667
    with pytest.raises(ConfigError, match="validation_size"):
        load_dataset("mnist-5k", 4000)


def test_digits_are_8x8() -> None:
    ds = load_dataset("digits")
    assert ds.info.image_shape == (8, 8)
    assert ds.x_train.max() <= 1.0


def test_idx_folder_loads_plain_and_gzipped_files(idx_folder: Path) -> None:
    ds = load_dataset(str(idx_folder), validation_size=100)
    x_train, y_train, x_test, y_test = small_digits()
    assert ds.info.n_train == 500 and ds.info.n_val == 100 and ds.info.n_test == 200
    assert np.array_equal(ds.y_test, y_test)
    assert np.allclose(ds.x_test * 255.0, x_test)


def test_npz_loads(tmp_path: Path) -> None:
    x_train, y_train, x_test, y_test = small_digits()
    path = tmp_path / "set.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    ds = load_dataset(str(path), validation_size=0.1)
    assert ds.info.n_train == 540 and ds.info.image_shape == (28, 28)


@pytest.fixture
def broken_folder(idx_folder: Path) -> Path:
    return idx_folder


def _first_line(err: pytest.ExceptionInfo) -> str:
    return str(err.value)


def test_missing_idx_file_is_named(idx_folder: Path) -> None:
    (idx_folder / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DatasetError) as err:
        load_dataset(str(idx_folder))
    assert "t10k-images-idx3-ubyte" in str(err.value) and "missing" in str(err.value)


def test_truncated_gz_is_named(idx_folder: Path) -> None:
    gz = idx_folder / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:500])
    with pytest.raises(DatasetError) as err:
        load_dataset(str(idx_folder))
    assert str(gz) in str(err.value) and "gzip" in str(err.value)


def test_truncated_idx_is_named(idx_folder: Path) -> None:
    path = idx_folder / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError, match="truncated or corrupt") as err:
        load_dataset(str(idx_folder))
    assert str(path) in str(err.value)


def test_wrong_magic_number(idx_folder: Path) -> None:
    path = idx_folder / "t10k-labels-idx1-ubyte"
    path.with_name(path.name + ".gz").unlink()
    path.write_bytes(b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DatasetError, match="wrong magic number") as err:
        load_dataset(str(idx_folder))
    assert str(path) in str(err.value)


def test_images_file_with_label_dimensions(idx_folder: Path) -> None:
    path = idx_folder / "t10k-images-idx3-ubyte"
    write_idx(path, np.zeros(200, dtype=np.uint8))
    with pytest.raises(DatasetError, match="dimensions"):
        load_dataset(str(idx_folder))


def test_label_count_mismatch(idx_folder: Path) -> None:
    write_idx(idx_folder / "t10k-images-idx3-ubyte", np.zeros((150, 28, 28), dtype=np.uint8))
    with pytest.raises(DatasetError, match="150 images"):
        load_dataset(str(idx_folder))


def test_labels_out_of_range(tmp_path: Path) -> None:
    x_train, y_train, x_test, y_test = small_digits()
    y_test = y_test.copy()
    y_test[0] = 12
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    with pytest.raises(DatasetError, match=r"labels range 0\.\.12; expected digits 0\.\.9"):
        load_dataset(str(path))


def test_npz_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=np.zeros((4, 28, 28)), y_train=np.zeros(4, dtype=int))
    with pytest.raises(DatasetError, match="missing arrays x_test, y_test"):
        load_dataset(str(path))


def test_npz_mismatched_lengths(tmp_path: Path) -> None:
    x_train, y_train, x_test, y_test = small_digits()
    path = tmp_path / "mismatch.npz"
    np.savez(path, x_train=x_train, y_train=y_train[:-3], x_test=x_test, y_test=y_test)
    with pytest.raises(DatasetError, match="597 labels for 600 images"):
        load_dataset(str(path))


def test_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(DatasetError, match="not a readable .npz") as err:
        load_dataset(str(path))
    assert str(path) in str(err.value)


def test_unknown_name() -> None:
    with pytest.raises(DatasetError, match="no such dataset"):
        load_dataset("./does-not-exist")


def test_offline_mnist_falls_back_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> data.RawData:
        raise DatasetUnavailable("mnist is not in the Keras cache and could not be downloaded (offline or unreachable)")

    monkeypatch.setitem(data.REGISTRY, "mnist", unavailable)
    monkeypatch.setattr(data, "_cache", {})
    ds = load_dataset("mnist")
    assert ds.info.name == "mnist-5k" and ds.info.requested == "mnist"
    assert ds.info.fallback and "mnist-5k" in ds.info.fallback and "offline" in ds.info.fallback


def test_read_idx_round_trip(tmp_path: Path) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a-idx3-ubyte"
    write_idx(path, array, gz=True)
    assert np.array_equal(read_idx(path.with_name(path.name + ".gz"), 3), array)
    assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes())[:4] == b"\x00\x00\x08\x03"


def test_a_download_notice_is_held_back_until_the_download_moves() -> None:
    quiet = io.StringIO()
    with contextlib.redirect_stdout(data._HeldNotice(quiet)):
        print("Downloading data from https://example.invalid/mnist.npz")
    assert quiet.getvalue() == ""  # offline: the download never started, the line would only be noise

    moving = io.StringIO()
    with contextlib.redirect_stdout(data._HeldNotice(moving)):
        print("Downloading data from https://example.invalid/mnist.npz")
        sys.stdout.write("\r 1024/11490434 [....] - ETA: 3s")
    assert moving.getvalue().startswith("Downloading data from") and "ETA" in moving.getvalue()


def test_every_dataset_name_the_form_offers_has_a_loader() -> None:
    from hptune.core.dataset_names import NAMES

    assert tuple(data.REGISTRY) == NAMES
