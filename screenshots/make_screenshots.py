"""SVG screenshots of every screen of the real app, from real runs trained here on mnist-5k.

    python screenshots/make_screenshots.py          # writes screenshots/*.svg

Trains into a temporary store (a short run, a run with the tutorial's raw pixels, one stopped by the Stop key,
one that diverges), then drives the app with Pilot and saves each screen.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.widgets import Input  # noqa: E402

from hptune.core.config import make_config  # noqa: E402
from hptune.core.store import Store  # noqa: E402
from hptune.tui.app import make_app  # noqa: E402
from hptune.tui.messages import EpochDone  # noqa: E402
from hptune.tui.widgets import DigitGrid, HyperparamForm  # noqa: E402

Input.cursor_blink = False  # type: ignore[assignment] - steady frames for screenshots


async def until(pilot, condition, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pilot.app.save_screenshot("timeout.svg", str(Path(tempfile.gettempdir())))
            raise TimeoutError(f"the app did not get there in time (screen {pilot.app.screen.id})")
        await pilot.pause(0.1)


async def train(pilot, app, values: dict, stop_after: int | None = None, seen: list | None = None) -> None:
    screen = app.main_screen
    screen.query_one(HyperparamForm).load({**make_config({"dataset": "mnist-5k"}).model_dump(), **values})
    await pilot.pause()
    count = len([m for m in seen or [] if isinstance(m, EpochDone)])
    await pilot.press("ctrl+r")
    if stop_after is not None:
        await until(pilot, lambda: len([m for m in seen if isinstance(m, EpochDone)]) >= count + stop_after)
        await pilot.press("ctrl+s")
    await until(pilot, lambda: not screen.running)
    await pilot.pause(0.6)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the header shows the store as "runs.journal", not a temporary path
        store = Store("runs.journal")
        seen: list = []
        app = make_app(store, make_config({"dataset": "mnist", "epochs": 12}))
        async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
            await pilot.pause(0.5)
            app.save_screenshot("main-form.svg", str(HERE))
            # The default dataset (mnist) falls back to mnist-5k offline: the notice shows in the results.
            await train(pilot, app, {"dataset": "mnist", "epochs": 12, "validation_size": "auto"})
            app.save_screenshot("main-trained.svg", str(HERE))
            await train(pilot, app, {"epochs": 12, "normalize": False, "hidden_units": 10}, seen=seen)
            await train(pilot, app, {"epochs": 200, "optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                                     "hidden_layers": 1, "hidden_units": 64}, stop_after=6, seen=seen)
            app.save_screenshot("main-stopped.svg", str(HERE))
            await train(pilot, app, {"epochs": 5, "optimizer": "sgd", "learning_rate": 10.0, "normalize": False})
            app.save_screenshot("main-diverged.svg", str(HERE))

            app.main_screen.query_one("#field-learning_rate").value = "-1"
            app.main_screen.query_one("#field-hidden_units").value = "100,0"
            await pilot.pause(0.3)
            app.save_screenshot("main-invalid.svg", str(HERE))
            app.main_screen.query_one("#field-learning_rate").value = "0.001"
            app.main_screen.query_one("#field-hidden_units").value = "100"
            await pilot.pause(0.3)

            await pilot.press("ctrl+o")
            await pilot.pause(0.5)
            await pilot.press("space", "down", "space", "down", "down", "space")
            await pilot.pause(0.5)
            app.save_screenshot("history-overlay.svg", str(HERE))

            await pilot.press("up", "up", "up", "up", "i")  # the first run: mnist, trained on the fallback
            await pilot.pause(0.3)
            grid = app.screen.query_one(DigitGrid)
            await until(pilot, lambda: bool(grid.digits), 120)
            await pilot.pause(0.5)
            app.save_screenshot("run-detail.svg", str(HERE))
            await pilot.press("escape", "escape")
            await pilot.pause(0.3)

            # A small TPE sweep with pruning, run here by a worker, then watched on the sweep screen.
            from hptune.core.space import SweepSettings, space_from_data
            from hptune.core.sweeps import SweepWorker, create_sweep

            space = space_from_data({
                "space": {"hidden_layers": [1, 2], "hidden_units": [32, 64, 128, 256],
                          "learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}},
                "fixed": {"dataset": "mnist-5k", "epochs": 6},
            })
            create_sweep(store, "tpe-demo", space, SweepSettings(algorithm="tpe", pruner="median", trials=12))
            await asyncio.to_thread(SweepWorker(store, "tpe-demo").run)
            await pilot.press("ctrl+e")
            await pilot.pause(0.5)
            watch = app.screen.query_one("#watch")
            await until(pilot, lambda: any(str(v) == "tpe-demo" for _, v in watch._options), 60)
            watch.value = "tpe-demo"
            await until(pilot, lambda: app.screen.query_one("TrialTable").row_count == 12, 60)
            await pilot.pause(1.0)
            app.save_screenshot("sweep.svg", str(HERE))
            await pilot.press("escape")
            await pilot.pause(0.3)

            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.5)
            app.save_screenshot("main-80x24.svg", str(HERE))
            await pilot.press("ctrl+o")
            await pilot.pause(0.5)
            app.save_screenshot("history-80x24.svg", str(HERE))
            await pilot.press("escape")
            await pilot.resize_terminal(40, 12)
            await pilot.pause(0.5)
            app.save_screenshot("too-small-40x12.svg", str(HERE))
    for path in sorted(HERE.glob("*.svg")):
        sys.stdout.write(f"{path.relative_to(HERE.parent)}\n")


if __name__ == "__main__":
    asyncio.run(main())
