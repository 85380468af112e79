"""Where kept models live: Keras files beside the store, one per run, written atomically (a temporary file, then a
rename), with their path and size recorded on the run.

A journal store `runs.journal` keeps them in `runs.journal.models/<study>/<run id>.keras`; a database store, whose
runs may come from several machines, in this machine's data folder (`$XDG_DATA_HOME/hptune/models/<database>/...`,
by default `~/.local/share/hptune/models/...`). Nothing here imports Keras: files are only moved and measured.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hptune.core.store.location import default_store_path, is_url

if TYPE_CHECKING:
    from hptune.core.store import Store

__all__ = ["MODEL_SUFFIX", "adopt_model", "discard_model", "model_path", "models_root", "write_atomically"]

MODEL_SUFFIX = ".keras"


def models_root(location: str) -> Path:
    """The folder that holds a store's kept models."""
    if not is_url(location):
        path = Path(location)
        return path.with_name(path.name + ".models")
    # a database: one folder per database, named readably and made unique by a hash of its URL
    tail = re.sub(r"[^A-Za-z0-9_.-]+", "-", location.rsplit("/", 1)[-1].split("?")[0]).strip("-") or "db"
    digest = hashlib.sha256(location.encode()).hexdigest()[:10]
    return default_store_path().parent / "models" / f"{tail}-{digest}"


def model_path(store: Store, study: str, run_id: int) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", study) or "study"
    return models_root(store.location) / safe / f"{run_id}{MODEL_SUFFIX}"


def adopt_model(store: Store, study: str, run_id: int, source: str | Path) -> tuple[Path, int]:
    """Move a freshly saved model file (the trainer's temporary one) to its place for the run, atomically: a reader
    sees either no file or the whole of it. Returns its path and size."""
    target = model_path(store, study, run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(source, target)
    discard_model(source)
    return target, target.stat().st_size


def write_atomically(source: str | Path, target: Path) -> None:
    """Copy `source` to `target` through a temporary file in the same folder and a rename, with the permissions
    a new file gets (the temporary file's own are private)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def discard_model(source: str | Path | None) -> None:
    """Remove a temporary model file that is not kept."""
    if source:
        Path(source).unlink(missing_ok=True)
