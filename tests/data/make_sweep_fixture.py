"""Record the fixture sweep the importance, diff and filter tests read: a real 24-trial random search on the
bundled digits, made once, committed.

    python tests/data/make_sweep_fixture.py        # rewrites tests/data/sweep.journal
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hptune.core.cli import main as hptune  # noqa: E402

HERE = Path(__file__).parent
JOURNAL = HERE / "sweep.journal"
SPACE = """\
[space]
hidden_units = [8, 32]
learning_rate = { low = 1e-4, high = 3e-1, log = true }
dropout = { low = 0.0, high = 0.3 }
[fixed]
dataset = "digits"
epochs = 3
batch_size = 64
seed = 1
"""


def main() -> None:
    for path in HERE.glob("sweep.journal*"):
        path.unlink()
    space = HERE / "sweep-space.toml"
    space.write_text(SPACE)
    try:
        code = hptune(["sweep", "--space", str(space), "--trials", "24", "--algorithm", "random", "--seed", "3",
                       "--study", "digits-search", "--store", str(JOURNAL)])
    finally:
        space.unlink()
    lock = Path(str(JOURNAL) + ".lock")
    if lock.exists():
        lock.unlink()
    sys.exit(code)


if __name__ == "__main__":
    main()
