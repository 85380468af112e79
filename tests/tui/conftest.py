"""Pilot fixtures: a tmp store per test (optionally seeded from the recorded fixture store) and no cursor blink."""

from __future__ import annotations

import asyncio
import inspect
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

FIXTURE_JOURNAL = Path(__file__).resolve().parents[1] / "data" / "runs.journal"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests on a fresh event loop (Pilot needs one); no async plugin required."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screens differ from one frame to the next."""
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def store(tmp_path: Path):
    from hptune.core.store import Store

    return Store(str(tmp_path / "runs.journal"))


@pytest.fixture
def fixture_store(tmp_path: Path):
    """A copy of the recorded runs (tests/data/runs.journal), so a test may delete or add runs."""
    from hptune.core.store import Store

    path = tmp_path / "fixture" / "runs.journal"
    path.parent.mkdir()
    shutil.copy(FIXTURE_JOURNAL, path)
    return Store(str(path))


@pytest.fixture
def wait_for():
    """`await wait_for(pilot, condition, timeout, what)`: let the app run until the condition holds."""
    return _wait_for


async def _wait_for(pilot, condition: Callable[[], bool], timeout: float = 600.0, what: str = "condition") -> None:
    """Let the app run until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await pilot.pause(0.05)
        await asyncio.sleep(0)


async def history_loaded(pilot, timeout: float = 60.0) -> None:
    """Let the history screen read its runs (it reads the store in the background, saying so meanwhile)."""
    await _wait_for(pilot, lambda: getattr(pilot.app.screen, "loaded", True), timeout, "the history to load")


def screen_lines(app) -> list[str]:
    """The text of every line of the screen on top, as the app would draw it now."""
    update = app.screen._compositor.render_update(full=True)
    return ["".join(strip.text for strip in line) for line in update.strips]


def count_layouts(screen) -> list[int]:
    """A list that grows by one at each layout of `screen`."""
    done: list[int] = []
    original = screen._refresh_layout

    def counted(*args, **kwargs) -> None:
        done.append(1)
        original(*args, **kwargs)

    screen._refresh_layout = counted
    return done
