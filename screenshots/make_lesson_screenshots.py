"""SVG screenshots of the Lessons screen, one per lesson, from lesson studies trained for real.

    hptune lesson capacity --dataset mnist-5k --store lessons.journal     # and data-size, overfit, scaling
    python screenshots/make_lesson_screenshots.py lessons.journal         # writes screenshots/lesson-*.svg

Each screenshot shows the newest study of its lesson in that store (a copy of it: the store is left as it was).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.widgets import Input, Select  # noqa: E402

from hptune.core.lessons import LESSON_ATTR, LESSONS  # noqa: E402
from hptune.core.store import Store  # noqa: E402
from hptune.tui.app import make_app  # noqa: E402

Input.cursor_blink = False  # type: ignore[assignment] - steady frames for screenshots


async def main(source: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(source, Path(tmp) / "runs.journal")
        os.chdir(tmp)  # the header shows the store as "runs.journal", not a temporary path
        store = Store("runs.journal")
        newest = {}
        for study in store.studies():
            settings = study["user_attrs"].get(LESSON_ATTR)
            if settings and study["name"] > newest.get(settings["name"], ""):
                newest[settings["name"]] = study["name"]
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("ctrl+g")
            await pilot.pause(0.5)
            screen = app.screen
            for name in LESSONS:
                if name not in newest:
                    sys.stderr.write(f"no {name} lesson in {source}: skipped\n")
                    continue
                screen.query_one("#lesson-name", Select).value = name
                await pilot.pause(0.3)
                screen.query_one("#lesson-study", Select).value = newest[name]
                await pilot.pause(0.8)
                app.save_screenshot(f"lesson-{name}.svg", str(HERE))
                sys.stdout.write(f"screenshots/lesson-{name}.svg: {newest[name]}\n")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_file():
        sys.exit("usage: python screenshots/make_lesson_screenshots.py STORE.journal (a store with lesson studies)")
    asyncio.run(main(Path(sys.argv[1]).resolve()))
