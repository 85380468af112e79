"""The Lessons screen at 80x24 and 120x40, fed from the recorded lesson store (tests/data/lessons.journal).

Update after reading the diff report: pytest tests/snapshots --snapshot-update
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Select

from hptune.core.config import make_config
from hptune.tui.app import make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
LESSON_JOURNAL = Path(__file__).resolve().parents[1] / "data" / "lessons.journal"


@pytest.fixture
def lesson_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from hptune.core.store import Store

    shutil.copy(LESSON_JOURNAL, tmp_path / "runs.journal")
    monkeypatch.chdir(tmp_path)
    return Store("runs.journal")


def _open(lesson: str | None, study: str | None):
    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("ctrl+g")
        await pilot.pause()
        screen = pilot.app.screen
        if lesson is not None:
            screen.query_one("#lesson-name", Select).value = lesson
            await pilot.pause()
        if study is not None:
            screen.query_one("#lesson-study", Select).value = study
            await pilot.pause()
            assert screen.study == study
        for _ in range(3):  # the table sizes its columns and the chart redraws on the frames after
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_lessons_screen_new(snap_compare, lesson_store, size) -> None:
    app = make_app(lesson_store, make_config({"dataset": "mnist-5k"}))
    assert snap_compare(app, terminal_size=size, run_before=_open(None, None))


@pytest.mark.parametrize("size", SIZES)
def test_lessons_screen_capacity_study(snap_compare, lesson_store, size) -> None:
    app = make_app(lesson_store, make_config({"dataset": "mnist-5k"}))
    assert snap_compare(app, terminal_size=size, run_before=_open("capacity", "lesson-capacity-fixture"))


def test_lessons_screen_overfit_study(snap_compare, lesson_store) -> None:
    app = make_app(lesson_store, make_config({"dataset": "mnist-5k"}))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_open("overfit", "lesson-overfit-fixture"))
