"""Sweep fixtures: a store per test (journal file, or the PostgreSQL server CI provides) and worker processes."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.sweeps.sweep_helpers import FAST_HEARTBEAT

PG_SKIP = ("HPTUNE_TEST_PG_URL is not set: no PostgreSQL server to share a study through"
           " (CI sets it from .ci/postgres.sh; locally:"
           " export HPTUNE_TEST_PG_URL=$(sudo bash .ci/postgres.sh | tail -1))")


@pytest.fixture(params=["journal", pytest.param("postgres", marks=pytest.mark.postgres)])
def sweep_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store URL: a fresh journal file, or the shared PostgreSQL database (each test uses its own study)."""
    if request.param == "journal":
        return str(tmp_path / "sweeps.journal")
    url = os.environ.get("HPTUNE_TEST_PG_URL")
    if not url:
        pytest.skip(PG_SKIP)
    for key, value in FAST_HEARTBEAT.items():
        monkeypatch.setenv(key, value)
    return url


@pytest.fixture
def study_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"
