"""Where the store is and how it opens: the default journal path, storage URLs (printed without passwords), and the
checks a writer needs that a reader does not (the folder exists and may be written)."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

from hptune.core.errors import StoreFailure

#: Optuna RDB heartbeat of a running trial, and how long without one before the trial is failed and retried
#: (HPTUNE_HEARTBEAT_INTERVAL / HPTUNE_HEARTBEAT_GRACE override them, e.g. in tests).
HEARTBEAT_INTERVAL, HEARTBEAT_GRACE = 60, 180


class StoreError(StoreFailure):
    """The store cannot be opened, read or written; the message says which and what to do."""


def default_store_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hptune" / "runs.journal"


def resolve_store_url(url: str | None) -> str:
    """--store, else HPTUNE_STORE, else the journal file in the user's data directory."""
    return url or os.environ.get("HPTUNE_STORE") or str(default_store_path())


def is_url(location: str) -> bool:
    return "://" in location


def redact(location: str) -> str:
    """A storage URL safe to print: any password is replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", location)


def _with_driver(url: str) -> str:
    """SQLAlchemy 2.1 reads postgresql:// as psycopg 3; use psycopg2 (a dependency) when psycopg 3 is absent."""
    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        if importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def corrupt_message(path: Path, detail: str) -> str:
    return (f"store {path}: the journal is corrupt ({detail}); move it aside (its runs stay in the moved file)"
            " and start again, or pass another --store")


def open_storage(location: str) -> tuple[Any, Any]:
    """(Optuna storage, journal backend or None), opened for reading: nothing is created or written here."""
    from hptune.core.store import _optuna

    if is_url(location):
        from hptune.core.store.repair import retry_callback

        try:
            storage = _optuna.rdb_storage(
                _with_driver(location),
                heartbeat_interval=int(os.environ.get("HPTUNE_HEARTBEAT_INTERVAL", HEARTBEAT_INTERVAL)),
                grace_period=int(os.environ.get("HPTUNE_HEARTBEAT_GRACE", HEARTBEAT_GRACE)),
                callback=retry_callback(),
            )
        except Exception as err:  # noqa: BLE001 - driver and connection errors come in many types
            raise StoreError(f"store {redact(location)}: cannot connect ({redact(str(err).splitlines()[0])})") from None
        return storage, None
    path = Path(location).expanduser()
    if path.is_dir():
        raise StoreError(f"store {path}: is a folder; expected a journal file path, e.g. {path / 'runs.journal'}")
    try:
        return _optuna.journal_storage(path)
    except _optuna.JournalCorrupt as err:
        raise StoreError(corrupt_message(path, str(err)), file=str(path)) from None
    except (ValueError, KeyError, TypeError) as err:  # a well-formed line Optuna cannot replay
        raise StoreError(corrupt_message(path, f"{type(err).__name__}: {err}"), file=str(path)) from None
    except OSError as err:
        raise StoreError(f"store {path}: cannot be opened ({err.strerror or err})", file=str(path)) from None


def check_writable(location: str) -> None:
    """Refuse, before anything trains, a journal that could not be written: its folder is created here."""
    if is_url(location):
        return
    path = Path(location).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"store {path}: cannot create its folder ({err.strerror}); choose another with --store",
                         file=str(path)) from None
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"store {path}: is read-only; make it writable or choose another with --store",
                         file=str(path))
    if not path.exists() and not os.access(path.parent, os.W_OK):
        raise StoreError(f"store {path}: its folder is read-only; choose another with --store", file=str(path))
