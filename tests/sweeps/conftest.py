"""Sweep fixtures: a store per test (journal file, or the PostgreSQL server CI provides) with a fast heartbeat."""

from __future__ import annotations

import pytest

from tests.sweeps.sweep_helpers import FAST_HEARTBEAT


@pytest.fixture
def sweep_store(store_location: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store URL (`store_location`: a fresh journal file, or the shared PostgreSQL database, where each test uses
    its own study), with Optuna's heartbeat fast enough for a test to see a dead worker's trial fail."""
    if store_location.startswith("postgresql"):  # a journal has no heartbeat
        for key, value in FAST_HEARTBEAT.items():
            monkeypatch.setenv(key, value)
    return store_location
