"""Run a one-point grid sweep from the sweep screen through Pilot, then print what the UI's process imported.

Run as a script by tests/tui/test_frontends.py, in a fresh interpreter, so the modules it reports are the app's
alone: `python tests/tui/sweep_from_the_screen.py STORE` prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from hptune.core.config import make_config
from hptune.core.store import Store
from hptune.tui.app import make_app
from hptune.tui.screens.sweep import SweepScreen

SETTINGS = (("#mode-hidden_layers", "fixed"), ("#values-hidden_layers", "1"), ("#values-hidden_units", "8"),
            ("#mode-learning_rate", "choices"), ("#values-learning_rate", "0.01"), ("#setting-algorithm", "grid"),
            ("#setting-study", "from-the-screen"))


async def sweep(location: str) -> dict[str, object]:
    app = make_app(Store(location), make_config({"dataset": "digits", "epochs": 1, "hidden_layers": 1}))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SweepScreen), "ctrl+e did not open the sweep screen"
        for selector, value in SETTINGS:
            screen.query_one(selector).value = value
            await pilot.pause()
        await pilot.press("ctrl+r")
        deadline = time.monotonic() + 600
        await pilot.pause(0.5)
        while screen.running and time.monotonic() < deadline:
            await pilot.pause(0.2)
        snap = screen.snapshot
        return {
            "running": screen.running,
            "states": [t.state for t in snap.trials] if snap is not None else None,
            "imported": sorted(m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules),
        }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(sweep(sys.argv[1]))))
