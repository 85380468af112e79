"""Record the lesson fixture store the Lessons screen's snapshot and Pilot tests read: real short lessons on
mnist-5k (2 seeds, few epochs), made once, committed.

    python tests/data/make_lesson_fixture.py        # rewrites tests/data/lessons.journal

The study names are fixed so the screens show the same text on every machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hptune.core.lessons import plan, run_lesson  # noqa: E402
from hptune.core.store import Store  # noqa: E402
from hptune.core.trainer import train  # noqa: E402

HERE = Path(__file__).parent
JOURNAL = HERE / "lessons.journal"

#: (lesson, epochs, study name)
LESSONS = [
    ("capacity", 4, "lesson-capacity-fixture"),
    ("overfit", 12, "lesson-overfit-fixture"),
]


def main() -> None:
    for path in HERE.glob("lessons.journal*"):
        path.unlink()
    store = Store(str(JOURNAL))
    for name, epochs, study in LESSONS:
        lesson = plan(name, "mnist-5k", repeats=2, epochs=epochs)
        views = run_lesson(lesson, train, store, study)
        print(f"{study}: {len(views)} runs")


if __name__ == "__main__":
    main()
