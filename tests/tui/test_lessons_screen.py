"""The Lessons screen through Pilot: opened by a key, real short lessons trained in the app's child process, drawn
as runs finish, stopped half-way and resumed, and stored lesson studies reopened."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from hptune.core.config import make_config
from hptune.core.lessons import STEP_ATTR
from hptune.tui.app import make_app
from hptune.tui.screens.lessons import LessonsScreen
from hptune.tui.widgets.lesson_chart import LessonChart

LESSON_JOURNAL = Path(__file__).resolve().parents[1] / "data" / "lessons.journal"


def _text(widget: Static) -> str:
    return str(widget.render())


@pytest.fixture
def lesson_store(tmp_path: Path):
    from hptune.core.store import Store

    path = tmp_path / "lessons" / "runs.journal"
    path.parent.mkdir()
    shutil.copy(LESSON_JOURNAL, path)
    return Store(str(path))


async def _open(pilot) -> LessonsScreen:
    await pilot.press("ctrl+g")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonsScreen)
    return screen


async def test_ctrl_g_opens_lessons_and_each_lesson_says_what_it_asks(store) -> None:
    app = make_app(store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert "Capacity" in _text(screen.query_one("#lesson-question", Static))
        assert "0/15 runs" in _text(screen.query_one("#lesson-title", Static))
        assert screen.query_one(LessonChart).empty_reason == "15 runs planned: press ctrl+r to start"
        screen.query_one("#lesson-name", Select).value = "data-size"
        await pilot.pause()
        assert "more images" in _text(screen.query_one("#lesson-question", Static))
        assert [c.label.plain for c in screen.query_one(DataTable).columns.values()][:3] == [
            "share", "images", "train err"]
        assert screen.query_one("#lesson-table", DataTable).row_count == 5
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen


async def test_bad_settings_are_refused_naming_the_field(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        screen.query_one("#lesson-repeats", Input).value = "0"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not screen.running and store.runs() == []
        assert any("repeats: expected 1 to 20, got 0" in str(n.message) for n in app._notifications)


async def test_a_lesson_stopped_half_way_keeps_its_runs_and_resumes(wait_for, store) -> None:
    seen: list = []
    app = make_app(store)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open(pilot)
        screen.query_one("#lesson-name", Select).value = "scaling"
        await pilot.pause()
        screen.query_one("#lesson-repeats", Input).value = "1"
        screen.query_one("#lesson-epochs", Input).value = "1"
        screen.query_one("#lesson-dataset", Input).value = "digits"
        await pilot.press("ctrl+r")
        assert screen.running
        await wait_for(pilot, lambda: any(isinstance(m, LessonsScreen.RunDone) for m in seen),
                       what="the first lesson run")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.running, what="the lesson to stop")
        study = screen.study
        kept = [r for r in store.runs(study=study) if r.status == "completed"]
        assert 1 <= len(kept) < 6
        assert "stopped with" in _text(screen.query_one("#lesson-status", Static))
        assert screen.result.conclusion is None

        await pilot.press("escape")  # leave and come back: the study is listed for resuming
        await pilot.pause()
        screen = await _open(pilot)
        screen.query_one("#lesson-name", Select).value = "scaling"
        await pilot.pause()
        screen.query_one("#lesson-study", Select).value = study
        await pilot.pause()
        assert screen.query_one("#lesson-table", DataTable).row_count == 3
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not screen.running, what="the resumed lesson", timeout=300)
        done = [r for r in store.runs(study=study) if r.status == "completed"]
        steps = [r.attrs[STEP_ATTR] for r in done]
        assert len(done) == 6 and len(set(steps)) == 6, "a finished run was trained again"
        assert {r.run_id for r in kept} <= {r.run_id for r in done}
        assert screen.result.complete and screen.result.conclusion
        conclusion = _text(screen.query_one("#lesson-conclusion", Static))
        assert "Conclusion" in conclusion and "seed spread" in conclusion
        assert screen.query_one(LessonChart).report is screen.result


async def test_a_stored_lesson_study_reopens_with_its_rows_and_conclusion(lesson_store) -> None:
    app = make_app(lesson_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        options = [v for _, v in screen.query_one("#lesson-study", Select)._options]
        assert "lesson-capacity-fixture" in options
        screen.query_one("#lesson-study", Select).value = "lesson-capacity-fixture"
        await pilot.pause()
        table = screen.query_one("#lesson-table", DataTable)
        assert table.row_count == 5
        first = [str(c) for c in table.get_row_at(0)]
        assert first[0] == "2x10" and first[1] == "8,070" and "±" in first[2]
        assert "that distance is bias" in _text(screen.query_one("#lesson-conclusion", Static))
        assert "10/10 runs" in _text(screen.query_one("#lesson-title", Static))


async def test_the_main_screen_trains_each_seed_of_a_repeated_config(wait_for, store) -> None:
    from hptune.core.repeats import group_records
    from hptune.tui.widgets import ResultsPanel

    config = make_config({"dataset": "digits", "epochs": 2, "hidden_units": 16, "repeats": 2, "seed": 3})
    app = make_app(store, config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not screen.running, what="both seeds")
        await pilot.pause()
        records = store.runs()
        assert [r.config.seed for r in records] == [3, 4]
        [(_, members)] = group_records(records).items()
        assert len(members) == 2
        mean = sum(r.test_accuracy for r in records) / 2
        results = _text(screen.query_one(ResultsPanel))
        assert f"over 2 seeds: test accuracy {mean:.4f} ±" in results
        assert f"run {records[-1].run_id}" in results
        assert len(screen.epochs) == 2, "the second seed's curves were drawn on top of the first's"
