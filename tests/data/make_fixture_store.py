"""Record the fixture store the TUI's snapshot and Pilot tests read: real runs on mnist-5k, made once, committed.

    python tests/data/make_fixture_store.py        # rewrites tests/data/runs.journal

Dates and times shown in snapshots come from this file, so the images stay the same until it is remade.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hptune.core.config import make_config  # noqa: E402
from hptune.core.events import EpochEnded  # noqa: E402
from hptune.core.store import Store  # noqa: E402
from hptune.core.trainer import train  # noqa: E402

HERE = Path(__file__).parent
JOURNAL = HERE / "runs.journal"

RUNS = [
    ("2x100 adam, 8 epochs", dict(hidden_layers=2, hidden_units=100, epochs=8), None),
    ("tutorial seed-2x10 (raw pixels)", dict(epochs=8), "seed-2x10"),
    ("10x10 tanh with dropout",
     dict(hidden_layers=10, hidden_units=10, activation="tanh", dropout=0.1, epochs=8), None),
    ("stopped after 3 epochs", dict(hidden_layers=1, hidden_units=64, optimizer="sgd", learning_rate=0.05,
                                   momentum=0.9, epochs=30), None),
    ("diverges: sgd lr 10 on raw pixels", dict(optimizer="sgd", learning_rate=10.0, normalize=False, epochs=5), None),
]


def main() -> None:
    for path in HERE.glob("runs.journal*"):
        path.unlink()
    store = Store(str(JOURNAL))
    for title, values, preset in RUNS:
        config = make_config({"dataset": "mnist-5k", "seed": 1, **values}, preset=preset)
        stop = threading.Event()

        def on_event(event: object, stop: threading.Event = stop, title: str = title) -> None:
            if title.startswith("stopped") and isinstance(event, EpochEnded) and event.metrics.epoch >= 3:
                stop.set()

        result = train(config, on_event=on_event, stop=stop, record=store.recorder())
        sys.stdout.write(f"{title}: {result.status}, test accuracy {result.test_accuracy}\n")
    lock = Path(str(JOURNAL) + ".lock")
    if lock.exists():
        lock.unlink()


if __name__ == "__main__":
    main()
