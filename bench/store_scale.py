"""How the store's reads and writes scale with the number of stored runs (issue: a store of thousands of runs).

For each size (default 100, 1,000 and 10,000 runs of 20 epochs each) it builds a journal store, then measures:

- ms per epoch written: three more runs written through hptune's Recorder into the store of that size; a writer's
  opening of the store is shown apart: "writer first open s" replays the journal with Optuna and leaves a snapshot
  of its state, "writer open s" is the next writer's open, which starts from that snapshot;
- index build s: the first read after the read index is deleted (rebuilt from the journal; once per store);
- `hptune runs`, `hptune show 5`, `hptune studies`: wall time of the command, process start to exit (median);
- TUI first frame: `hptune` on a pseudo-terminal until the form is drawn (bench/startup.py's measure);
- history opens: in the app (Textual's headless Pilot), from ctrl+o until the first rows are in the table, and
  until every run is in; then the worst of several keys (sort, down, page down, end, home, a study filter) through
  Pilot, whose press and pause add idle waits of their own;
- the same keys in a real terminal (`hptune` on a pseudo-terminal, rendering included): "worst key ms" from the
  key's bytes until its answer is drawn (the sort's title, the filter's status line, else the end of the redraw),
  "worst redraw ms" until the screen stops changing.

The stores are built quickly: the first 20 runs (in two studies) are written through the Recorder with every
epoch, and the rest are copies of their journal records under new trial ids (tests/recorded_runs.py), so a store
of 10,000 runs takes seconds to make, not the hours of fsyncs that writing each would; `--record-all` writes every
run through the Recorder instead. Timings are wall time on whatever else the machine is doing: the load average is
printed with them.

Run: `python bench/store_scale.py` (several minutes) or `python bench/store_scale.py --sizes 100,1000`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from _common import loadavg, machine_line, median, table  # noqa: E402
from startup import hptune_command, time_first_frame  # noqa: E402
from tui_latency import Terminal, hptune  # noqa: E402

from hptune.core.store import Store  # noqa: E402
from hptune.core.store.index import index_path  # noqa: E402
from tests.recorded_runs import grow_by_copies, record_runs  # noqa: E402

SWEEP = "sweep-scale"
TARGETS = {"hptune runs s": 1.0, "hptune show 5 s": 0.5, "TUI first frame s": 1.0, "history opens s": 0.5,
           "worst key ms": 100.0}


def build(path: Path, size: int, epochs: int, record_all: bool) -> None:
    store = Store(str(path))
    recorded = size if record_all else min(size, 20)
    record_runs(store, recorded - recorded // 4, epochs=epochs)
    record_runs(store, recorded // 4, epochs=epochs, study=SWEEP, seed=1)
    if size > recorded:
        grow_by_copies(path, size)


def write_epochs(path: Path, epochs: int) -> tuple[float, float, float]:
    """(seconds a writer's first open of the store took, seconds a later writer's open took, median ms per epoch
    written) for three more runs. A store grown by copies has no snapshot of Optuna's state: the first writer
    replays the whole journal and leaves one (core/store/_optuna.py); every later writer starts from it."""
    began = time.perf_counter()
    Store(str(path)).open_for_writing()
    first = time.perf_counter() - began
    began = time.perf_counter()
    store = Store(str(path))
    store.open_for_writing()
    opened = time.perf_counter() - began
    timings: list[float] = []
    record_runs(store, 3, epochs=epochs, seed=11, timings=timings)
    return first, opened, 1000 * median(timings)


def command_time(env: dict[str, str], *args: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        done = subprocess.run([*hptune_command(), *args], env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"hptune {' '.join(args)} failed: {done.stderr.strip()}")
    return median(times)


async def history_times(path: Path) -> tuple[float, float, dict[str, float]]:
    """(s to the first rows, s to every run, ms per key) for the history screen of the store at `path`."""
    from textual.widgets import Input

    from hptune.core.config import make_config
    from hptune.tui.app import make_app
    from hptune.tui.widgets import RunTable

    app = make_app(Store(str(path)), make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)  # the app has caught the index up after its first frame
        began = time.perf_counter()
        # Pilot's press returns only once the app is idle, i.e. after every run is read: watch the table meanwhile
        pressed = asyncio.ensure_future(pilot.press("ctrl+o"))
        while not (app.screen.id == "history" and app.screen.query_one(RunTable).row_count):
            await asyncio.sleep(0.005)
        first = time.perf_counter() - began
        while not app.screen.loaded:
            await asyncio.sleep(0.005)
        every = time.perf_counter() - began
        await pressed
        await pilot.pause()
        keys: dict[str, float] = {}
        for key in ("s", "s", "down", "pagedown", "ctrl+end", "up", "ctrl+home"):
            began = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            keys[key] = max(keys.get(key, 0.0), 1000 * (time.perf_counter() - began))
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#filter-input", Input).value = f"study:{SWEEP}"
        began = time.perf_counter()
        await pilot.press("enter")
        await pilot.pause()
        keys["filter study:"] = 1000 * (time.perf_counter() - began)
    return first, every, keys


#: (name, bytes a terminal sends, text only the answer draws or None) for the keys timed in a real terminal.
TERMINAL_KEYS: list[tuple[str, bytes, bytes | None]] = [
    ("s", b"s", b"sorted by val acc"), ("s", b"s", b"sorted by test acc"), ("down", b"\x1b[B", None),
    ("down", b"\x1b[B", None), ("pagedown", b"\x1b[6~", None), ("ctrl+end", b"\x1b[1;5F", None),
    ("up", b"\x1b[A", None), ("ctrl+home", b"\x1b[1;5H", None),
]
#: Output that stops for this long marks a key's redraw as done.
QUIET_S = 0.25


def _redrawn(term: Terminal, mark: int, sent: float, timeout: float = 10.0) -> float | None:
    """Seconds from `sent` to the last byte of the redraw that began after byte offset `mark`: the output that
    arrives until it pauses for QUIET_S. None if nothing arrives within `timeout`."""
    deadline = sent + timeout
    while len(term.text) <= mark and time.perf_counter() < deadline:
        term.pump(0.01)
    if len(term.text) <= mark:
        return None
    while True:
        last = term.chunks[-1][0]
        term.pump(QUIET_S)
        if term.chunks[-1][0] == last:
            return last - sent


def _key(term: Terminal, data: bytes, marker: bytes | None) -> tuple[float | None, float | None]:
    """(s until the answer is on screen, s until the redraw ends) for one key. The answer is `marker` where the key
    draws a text of its own (the sort's title, the filter's status line), else the end of the redraw: after it
    the screen may still redraw what did not change (Textual's footer after a dialog closes)."""
    term.pump(0.3)
    mark = len(term.text)
    sent = term.send(data)
    seen = term.wait_for(marker, mark, 10) if marker else None
    done = _redrawn(term, mark, sent)
    answer = (seen - sent) if seen is not None else (done if marker is None else None)
    return answer, done


def history_keys_in_terminal(path: Path, env: dict[str, str]) -> tuple[dict[str, float], dict[str, float]]:
    """ms per key in the history as a person sees it: `hptune` on a pseudo-terminal (rendering included), each key
    timed from the bytes sent until its answer is on screen, and until the redraw it causes ends. The worst of each
    key's presses, as ({key: ms to the answer}, {key: ms to the end of the redraw})."""
    term = Terminal([hptune(), "--dataset", "mnist-5k"], env)
    answers: dict[str, float] = {}
    redraws: dict[str, float] = {}

    def keep(name: str, timed: tuple[float | None, float | None]) -> None:
        for into, value in zip((answers, redraws), timed, strict=True):
            if value is not None:
                into[name] = max(into.get(name, 0.0), 1000 * value)

    try:
        if term.wait_for(b"Learn", 0, 60) is None:
            raise RuntimeError("the app did not draw its first screen")
        term.pump(1.0)
        mark = len(term.text)
        term.send(b"\x0f")  # ctrl+o
        if term.wait_for(b"Runs (", mark, 120) is None:
            raise RuntimeError("the history did not load")
        _redrawn(term, mark, time.perf_counter())
        for name, data, marker in TERMINAL_KEYS:
            keep(name, _key(term, data, marker))
        mark = len(term.text)
        term.send(b"/")
        if term.wait_for(b"Filter runs", mark, 30) is None:
            raise RuntimeError("the filter dialog did not open")
        mark = len(term.text)
        term.send(f"study:{SWEEP}".encode())
        if term.wait_for(SWEEP[-5:].encode(), mark, 30) is None:
            raise RuntimeError("the filter text was not drawn")
        keep("filter study:", _key(term, b"\r", f"match study:{SWEEP}".encode()))
    finally:
        term.send(b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 10
        while term.alive() and time.perf_counter() < deadline:
            term.pump(0.05)
        if term.alive():
            os.kill(term.pid, 9)
    return answers, redraws


def chart(sizes: list[int], columns: dict[str, list[float]]) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.theme("clear")
    plt.plotsize(100, 24)
    for name, values in columns.items():
        plt.plot(sizes, values, label=name, marker="braille")
    plt.xscale("log")
    plt.xticks(sizes, [f"{s:,}" for s in sizes])
    plt.xlabel("stored runs")
    plt.ylabel("seconds")
    plt.title("store reads against the number of stored runs")
    return plt.build()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated numbers of runs")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command (the median is shown)")
    parser.add_argument("--record-all", action="store_true", help="write every run through the Recorder (slow)")
    parser.add_argument("--keep", action="store_true", help="keep the stores (their folder is printed)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="hptune-store-scale-"))
    print(machine_line())
    print(f"stores in {scratch}; {args.epochs} epochs a run; commands {args.repeats}x (median)\n")

    headers = ["runs", "journal MB", "build s", "writer first open s", "writer open s", "ms/epoch written",
               "index build s",
               "hptune runs s", "hptune show 5 s", "hptune studies s", "TUI first frame s", "history opens s",
               "history all s", "worst key (Pilot) ms", "worst redraw ms", "worst key ms", "load"]
    rows = []
    figures: dict[str, list[float]] = {h: [] for h in headers}
    for size in sizes:
        path = scratch / f"runs-{size}" / "runs.journal"
        began = time.perf_counter()
        build(path, size, args.epochs, args.record_all)
        built = time.perf_counter() - began
        first_open, opened, ms_epoch = write_epochs(path, args.epochs)
        index_path(path).unlink(missing_ok=True)
        began = time.perf_counter()
        Store(str(path)).runs(light=True, newest=1)
        index_build = time.perf_counter() - began
        env = dict(os.environ, HPTUNE_STORE=str(path), TERM="xterm-256color", COLUMNS="120", LINES="40",
                   XDG_STATE_HOME=str(scratch / "state"))
        runs_s = command_time(env, "runs", repeats=args.repeats)
        show_s = command_time(env, "show", "5", repeats=args.repeats)
        studies_s = command_time(env, "studies", repeats=args.repeats)
        frames = [time_first_frame(env, b"Learn rate")[0] for _ in range(args.repeats)]
        frame_s = median([f for f in frames if f is not None]) if any(f is not None for f in frames) else float("nan")
        first, every, pilot_keys = asyncio.run(history_times(path))
        keys, redraws = history_keys_in_terminal(path, env)
        row = [size, path.stat().st_size / 1e6, built, first_open, opened, ms_epoch, index_build, runs_s, show_s,
               studies_s,
               frame_s, first, every, max(pilot_keys.values()), max(redraws.values()), max(keys.values()), loadavg()]
        rows.append(row)
        for name, value in zip(headers, row, strict=True):
            figures[name].append(value)
        print(f"{size:,} runs: " + ", ".join(f"{h} {v:.3g}" for h, v in zip(headers[1:], row[1:], strict=True)),
              flush=True)
        print("   keys in a terminal, to the answer (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in keys.items()),
              flush=True)
        print("   keys in a terminal, to the end of the redraw (ms): "
              + ", ".join(f"{k} {v:.0f}" for k, v in redraws.items()), flush=True)
        print("   keys through Pilot (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in pilot_keys.items()), flush=True)

    print()
    print(table(headers, rows, title="store scale (wall time; load = 1-minute load average)"))
    last = rows[-1]
    verdicts = []
    for name, target in TARGETS.items():
        value = last[headers.index(name)]
        verdicts.append([name, value, f"<= {target:g}", "met" if value <= target else "NOT met"])
    base = rows[0][headers.index("ms/epoch written")]
    ratio = last[headers.index("ms/epoch written")] / base if base else float("nan")
    verdicts.append(["ms/epoch written vs smallest", ratio, "<= 1.5x", "met" if ratio <= 1.5 else "NOT met"])
    print()
    print(table(["at " + f"{sizes[-1]:,} runs", "value", "target", ""], verdicts, title="targets"))
    print()
    print(chart(sizes, {name: figures[name] for name in ("hptune runs s", "hptune show 5 s", "TUI first frame s",
                                                          "history opens s", "history all s", "index build s")}))
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
