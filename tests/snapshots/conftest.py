"""Snapshot fixtures: the recorded fixture store, copied into a tmp folder under a fixed relative name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

FIXTURE_JOURNAL = Path(__file__).resolve().parents[1] / "data" / "runs.journal"


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def fixture_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The store as the header shows it is "runs.journal", the same on every machine."""
    from hptune.core.store import Store

    shutil.copy(FIXTURE_JOURNAL, tmp_path / "runs.journal")
    monkeypatch.chdir(tmp_path)
    return Store("runs.journal")
