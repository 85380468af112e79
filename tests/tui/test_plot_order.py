"""Charts draw the same in every process: overlapping points and tick labels do not depend on the hash seed."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from hptune.tui.widgets.plot import Plot
plt = Plot().plt
plt.plotsize(40, 5)  # three bars on fewer rows: two tick labels share a row, and one of them shows
plt.bar(["learning_rate 0.455", "dropout 0.446", "hidden_units 0.098"], [0.45, 0.44, 0.1],
        orientation="horizontal", width=0.6, marker="sd")
print(plt.build())
"""


def _draw(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_chart_is_drawn_the_same_whatever_the_hash_seed() -> None:
    drawings = {_draw(seed) for seed in ("1", "2", "3", "4", "5", "6", "7", "8")}
    assert len(drawings) == 1
