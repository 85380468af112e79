"""The first opening of the sweep screen in a launch, while a run trains, in a real pseudo-terminal.

Launches `hptune tui` (as `bench/tui_latency.py` does), presses Train, then types for 5 s: a key, 0.1 s, its
backspace, 0.3 s, and so on, optionally opens and closes the history (`--history-first`), and times ctrl+e (0.4 s
after the last key) until the sweep screen's "Use best" reaches the terminal. One figure per launch, and their median.
The app builds the sweep screen ahead in steps, each in a pause of 0.2 s between keys (tui.app PREBUILD_QUIET); with
`--key-every S` a key comes every S seconds, ctrl+e included, so below 0.2 nothing is built ahead and the figure is
the first ctrl+e that builds the screen.

    python bench/first_switch.py [--launches 4] [--history-first] [--key-every S]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tui_latency as bench  # noqa: E402 - the pty driver and config of the latency bench


def one_launch(history_first: bool, key_every: float | None) -> float | None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "runs.journal"
        env = {**os.environ, "TERM": "xterm-256color", "HPTUNE_STORE": str(store), "COLUMNS": "120", "LINES": "40"}
        term = bench.Terminal([bench.hptune(), "tui", *bench.CONFIG, "--epochs", "4000"], env)
        try:
            if term.wait_for(b"Train", 0, 60) is None:
                raise RuntimeError("the app did not draw its first screen")
            time.sleep(0.5)
            for _ in range(bench.TABS_TO_SEED):
                term.send(b"\t")
                time.sleep(0.05)
            term.send(b"\x12")  # ctrl+r: train
            deadline = time.perf_counter() + 120
            while bench.stored_epochs(store) < 2:
                if time.perf_counter() > deadline:
                    raise RuntimeError("training did not start")
                bench._idle(term, 0.1)
            gaps = (0.3, 0.1) if key_every is None else (key_every, key_every)
            for _ in range(12):  # a person typing
                bench._idle(term, gaps[0])
                term.send(b"q")
                bench._idle(term, gaps[1])
                term.send(b"\x7f")
            pause = 0.4 if key_every is None else key_every
            if history_first:
                for key, marker in ((b"\x0f", b"CSV"), (b"\x1b", b"Train")):
                    bench._idle(term, pause)
                    mark = len(term.text)
                    term.send(key)
                    term.wait_for(marker, mark, 5)
            bench._idle(term, pause)
            mark = len(term.text)
            sent = term.send(b"\x05")  # ctrl+e
            seen = term.wait_for(b"Use best", mark, 10)
            return None if seen is None else seen - sent
        finally:
            term.send(b"\x11")  # ctrl+q: the run is stopped and saved
            deadline = time.perf_counter() + 30
            while term.alive() and time.perf_counter() < deadline:
                term.pump(0.05)
            if term.alive():
                os.kill(term.pid, 9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=4)
    parser.add_argument("--history-first", action="store_true", help="open and close the history before ctrl+e")
    parser.add_argument("--key-every", type=float, default=None, metavar="S",
                        help="a key every S seconds instead of the 0.3 s / 0.1 s pattern")
    args = parser.parse_args()
    times = []
    for i in range(args.launches):
        took = one_launch(args.history_first, args.key_every)
        print(f"launch {i + 1}: first ctrl+e {'not drawn' if took is None else f'{1000 * took:.0f} ms'}", flush=True)
        if took is not None:
            times.append(took)
    if times:
        how = (" (history opened first)" if args.history_first else "") + (
            f" (a key every {args.key_every:g} s)" if args.key_every is not None else "")
        print(f"first ctrl+e of a launch while training{how}:"
              f" median {1000 * statistics.median(times):.0f} ms, min {1000 * min(times):.0f}, max"
              f" {1000 * max(times):.0f} ({len(times)} launches; target 250 ms)")


if __name__ == "__main__":
    main()
