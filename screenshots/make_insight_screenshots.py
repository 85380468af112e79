"""SVG screenshots of the insight views over the recorded 24-trial random search on digits (tests/data/sweep.journal,
a real sweep made by tests/data/make_sweep_fixture.py).

    python screenshots/make_insight_screenshots.py   # writes screenshots/insight-*.svg
"""

from __future__ import annotations

import asyncio
import os
import shutil
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
from hptune.tui.screens.diff import DiffScreen  # noqa: E402
from hptune.tui.screens.importance import ImportanceScreen  # noqa: E402
from hptune.tui.widgets.importance_chart import ImportanceChart  # noqa: E402
from hptune.tui.widgets.parallel_chart import ParallelChart  # noqa: E402
from hptune.tui.widgets.system_pane import SystemPane  # noqa: E402

Input.cursor_blink = False  # type: ignore[assignment] - steady frames for screenshots


async def until(pilot, condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not get there in time (screen {pilot.app.screen.id})")
        await pilot.pause(0.1)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        shutil.copy(HERE.parent / "tests" / "data" / "sweep.journal", "sweep.journal")
        store = Store("sweep.journal")
        runs = [r for r in store.runs(study="digits-search") if r.test_accuracy is not None]
        best = max(runs, key=lambda r: r.val_accuracy or 0)
        others = [r for r in runs if r.run_id != best.run_id and r.config.hidden_units != best.config.hidden_units]
        runner_up = max(others, key=lambda r: r.val_accuracy or 0)
        store.set_tags(["best"], run_id=best.run_id)
        app = make_app(store, make_config({"dataset": "digits"}))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await app.push_screen(ImportanceScreen("digits-search"))
            chart = app.screen.query_one(ImportanceChart)
            parallel = app.screen.query_one(ParallelChart)
            await until(pilot, lambda: chart.importance is not None and parallel.data is not None)
            await pilot.pause(0.5)
            app.save_screenshot("insight-importance.svg", str(HERE))
            await pilot.press("escape")

            await app.push_screen(DiffScreen(runner_up.run_id, best.run_id))
            await pilot.pause(0.8)
            app.save_screenshot("insight-diff.svg", str(HERE))
            await pilot.press("escape")

            await pilot.press("ctrl+o")
            await pilot.pause(0.5)
            await pilot.press("slash")
            await pilot.pause(0.3)
            app.screen.query_one("#filter-input", Input).value = "val_acc>0.9 or tag:best"
            await pilot.pause(0.3)
            app.save_screenshot("insight-filter-dialog.svg", str(HERE))
            await pilot.press("enter")
            await pilot.pause(0.8)
            app.save_screenshot("insight-history-filtered.svg", str(HERE))
            await pilot.press("escape")

            await pilot.press("ctrl+y")
            pane = app.screen.query_one(SystemPane)
            await until(pilot, lambda: pane.samples >= 3)
            app.save_screenshot("insight-system.svg", str(HERE))
    for path in sorted(HERE.glob("insight-*.svg")):
        sys.stdout.write(f"{path.relative_to(HERE.parent)}\n")


if __name__ == "__main__":
    asyncio.run(main())
