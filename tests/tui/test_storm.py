"""Key storms: random keys from every binding the app shows, plus typing and resizes (below the minimum size too),
against the real app while a run trains and a sweep runs. The app must never raise, and every run that finished
must still be in the store (unless the storm itself deleted it through the history's confirm dialog).

CI runs a short storm. The long one (5 seeds x 1,000 presses, key gaps down to 20 ms) runs with
`HPTUNE_STORM=long timeout 3000 .venv/bin/python -m pytest -x -q -s tests/tui/test_storm.py` (the README's
development section); each seed prints its presses and time.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.worker import Worker, WorkerState

from hptune.core.config import make_config
from hptune.core.errors import HptuneError
from hptune.core.store import Store
from hptune.tui.app import make_app


@dataclass(frozen=True)
class StormPlan:
    seeds: tuple[int, ...]
    presses: int
    #: Seconds between keys, drawn uniformly; bursts send several keys with no gap at all.
    gap: tuple[float, float]
    #: Chance that a key is ctrl+q: the session quits mid-storm (stopping and saving its run) and a new one opens.
    quit_rate: float


PLANS = {
    "short": StormPlan(seeds=(11, 12), presses=120, gap=(0.0, 0.02), quit_rate=0.0),
    "long": StormPlan(seeds=(1, 2, 3, 4, 5), presses=1000, gap=(0.02, 0.2), quit_rate=0.003),
}
PLAN = PLANS[os.environ.get("HPTUNE_STORM", "short")]

#: Keys every screen may receive: the app's and screens' bindings are added from what the screen shows.
APP_KEYS = ("ctrl+r", "ctrl+s", "ctrl+o", "ctrl+t", "ctrl+e", "ctrl+f", "ctrl+l", "ctrl+p", "ctrl+b")
NAV_KEYS = ("escape", "tab", "shift+tab", "enter", "up", "down", "left", "right", "pageup", "pagedown", "home",
            "end", "space", "backspace")
TYPED = tuple("adeinoqsxy0123456789/.,-") + ("n", "y")
#: Never drawn from the screen's bindings: a quit comes only at the plan's quit_rate.
QUIT_KEYS = frozenset({"ctrl+q", "ctrl+c"})
SIZES = ((120, 40), (80, 24), (160, 50), (40, 12), (59, 15), (60, 16), (100, 32), (99, 31), (70, 20))
CONFIG = {"dataset": "mnist-5k", "epochs": 2, "hidden_layers": 1, "hidden_units": 16, "batch_size": 256}


class WatchedStore(Store):
    """The real store, noting which runs the storm deleted through the history screen."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.deleted: set[int] = set()

    def delete_run(self, run_id: int) -> None:
        super().delete_run(run_id)
        self.deleted.add(run_id)


@dataclass
class Seen:
    finished: set[int] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def hook(self, message: Any) -> None:
        if not isinstance(message, Worker.StateChanged):
            return
        worker = message.worker
        if message.state == WorkerState.SUCCESS and worker.group == "training" and worker.result is not None:
            self.finished.add(worker.result.run_id)
        elif message.state == WorkerState.ERROR and not isinstance(worker.error, HptuneError):
            # a bad value typed into the form is the user's error (a dialog says so); anything else is the app's
            self.failures.append(f"worker {worker.name!r} ({worker.group}) failed: {worker.error!r}")


def _keys_for(app: Any, rng: random.Random) -> str:
    shown = [key for key in app.screen.active_bindings if key not in QUIT_KEYS]
    pool = rng.choice((APP_KEYS, NAV_KEYS, TYPED, shown or APP_KEYS))
    return rng.choice(pool)


async def _burst(app: Any, keys: list[str]) -> None:
    """Keys as a fast terminal delivers them: queued together, before the app has handled the first."""
    for key in keys:
        char = key if len(key) == 1 else (" " if key == "space" else None)
        app._driver.send_message(events.Key(key, char))
    await asyncio.sleep(0)


async def _start_sweep(app: Any, pilot: Any) -> None:
    """A 2-point grid on the sweep screen, then back to the main screen."""
    await pilot.press("ctrl+e")
    await pilot.pause()
    screen = app.screen
    for selector, value in (("#mode-hidden_layers", "fixed"), ("#values-hidden_layers", "1"),
                            ("#values-hidden_units", "8, 16"), ("#mode-learning_rate", "choices"),
                            ("#values-learning_rate", "0.01"), ("#values-epochs", "1"),
                            ("#setting-algorithm", "grid")):
        screen.query_one(selector).value = value
        await pilot.pause()
    await pilot.press("ctrl+r")
    await pilot.pause()
    assert screen.running, "the storm's sweep did not start"
    await pilot.press("escape")
    await pilot.pause()


async def _storm(seed: int, tmp_path: Path) -> tuple[int, float]:
    trail: list[str] = []
    try:
        return await _run_storm(seed, tmp_path, trail)
    except Exception as err:
        raise AssertionError(f"seed {seed}: {err!r}; last keys: {' '.join(trail[-40:])}") from err


async def _run_storm(seed: int, tmp_path: Path, trail: list[str]) -> tuple[int, float]:
    """Sessions of the app on one store until the presses are spent: a quit (ctrl+q, or Quit chosen in the
    palette) ends a session mid-storm, as it would for a user, and the next one opens the same store."""
    rng = random.Random(seed)
    store = WatchedStore(str(tmp_path / f"storm-{seed}" / "runs.journal"))
    seen = Seen()
    began = time.monotonic()
    presses = 0
    while presses < PLAN.presses:
        app = make_app(store, make_config(CONFIG), export_dir=tmp_path / f"export-{seed}")
        opened = time.monotonic()
        async with app.run_test(size=(120, 40), message_hook=seen.hook) as pilot:
            await _start_sweep(app, pilot)
            await pilot.press("ctrl+r")
            assert app.main_screen.running, "the storm's run did not start"
            app.schedule_prebuild()
            pressing = time.monotonic()
            presses = await _press_on(app, pilot, rng, presses, trail)
            winding = time.monotonic()
            if app.return_code is None:
                await _wind_down(app, pilot)
            print(f"session: start {pressing - opened:.1f}s, keys {winding - pressing:.1f}s,"
                  f" wind-down {time.monotonic() - winding:.1f}s")
        assert app._exception is None and app.return_code == 0, f"the app exited with {app.return_code}"
        trail.append("[quit]")
    assert not seen.failures, "; ".join(seen.failures)
    kept = {r.run_id for r in store.runs()}
    missing = seen.finished - kept - store.deleted
    assert not missing, f"finished runs {sorted(missing)} are not in the store"
    assert seen.finished, "no run finished during the storm"
    return presses, time.monotonic() - began


async def _press_on(app: Any, pilot: Any, rng: random.Random, presses: int, trail: list[str]) -> int:
    """Random keys, bursts and resizes until the presses are spent or the app quits; the presses so far."""
    while presses < PLAN.presses and app.return_code is None:
        roll = rng.random()
        if roll < 0.04:
            width, height = rng.choice(SIZES)
            trail.append(f"[{width}x{height}]")
            await pilot.resize_terminal(width, height)
            continue
        if roll < 0.04 + PLAN.quit_rate:
            keys = ["ctrl+q"]
            await pilot.press(*keys)
        elif roll < 0.14:
            keys = [_keys_for(app, rng) for _ in range(rng.randint(2, 6))]
            await _burst(app, keys)
        else:
            keys = [_keys_for(app, rng)]
            await pilot.press(*keys)
        presses += len(keys)
        trail.extend(keys)
        await asyncio.sleep(rng.uniform(*PLAN.gap))
    return presses


async def _wind_down(app: Any, pilot: Any) -> None:
    """Stop the run and the sweep, wait for both to end, then quit: no screen may be left waiting on anything."""
    await pilot.resize_terminal(120, 40)
    main = app.main_screen
    sweep = app.get_screen("sweep") if app.is_screen_installed("sweep") else None
    main.action_stop()
    if sweep is not None:
        sweep.action_stop()
    deadline = time.monotonic() + 180
    while (main.running or (sweep is not None and sweep.running)) and time.monotonic() < deadline:
        await pilot.pause(0.1)
    assert not main.running and not (sweep is not None and sweep.running), "the run or the sweep never ended"
    await pilot.press("ctrl+q")
    await pilot.pause()


@pytest.mark.parametrize("seed", PLAN.seeds)
async def test_key_storm_leaves_the_app_running_and_every_run_stored(seed: int, tmp_path: Path, capfd,
                                                                      monkeypatch) -> None:
    import hptune.tui.app as app_module

    # The kept screens are built ahead in steps from the start of each session, as the command line's app does,
    # each step taking any pause in the storm: screens shown, resized and quit in the middle of their build.
    monkeypatch.setattr(app_module, "PREBUILD_QUIET", 0.01)
    presses, seconds = await _storm(seed, tmp_path)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, f"seed {seed}: a traceback was printed:\n{out}{err}"
    print(f"storm seed {seed}: {presses} presses in {seconds:.1f}s, no crash")
