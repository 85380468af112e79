"""Responsiveness of the TUI while it trains, and what the UI costs in training throughput.

Drives the real app in a pseudo-terminal (what a person sees, rendering included): starts `hptune tui`, focuses
the Seed field, presses Train, then while the run trains types into the field and times each key press until the
terminal receives the redrawn field. Then, still training, it times the keys that change what is on screen, each
until a string only the new view draws reaches the terminal: ctrl+o (history), ctrl+e (sweep screen), ctrl+p (the
command palette), escape back from each, and ctrl+f showing the form again after hiding it. Alternates with
`hptune run` (headless, same config) and compares training throughput two ways: by the clock (epochs stored per
wall-clock second once training is under way: what a person waits for, every cost on an epoch's path included) and
by epoch time (training images per second of each epoch's own seconds, epochs 2..N, from the store / the JSON
output; it leaves out what happens between epochs, which the headless run does in line and the TUI beside the
training process). The clock's figure is also given for the part of the TUI run after the last key, when the person
watches the curves: the keys' drawing shares the two cores with training, and the training process yields to it;
by epoch time, the epochs stored after the last key are given too, and so is the CPU the app's own process (not the
training one) used then, as a share of one core (from /proc).

Targets: typing and ctrl+f <= 100 ms p95 (typing <= 50 ms p95), screen switches and the palette <= 250 ms p95.
A bare escape is held back by the terminal driver until it knows no escape sequence follows, so escape figures
include that wait.

    python bench/tui_latency.py [--epochs 1500] [--repeats 3] [--presses 40] [--switches 8]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import random
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ["--dataset", "mnist-5k", "--hidden-layers", "2", "--hidden-units", "100", "--batch-size", "256"]
#: Key presses that move focus from "Layers" (focused at start) to "Seed": momentum is disabled for adam.
TABS_TO_SEED = 9
#: The progress line says e.g. "completed in 12.3s" when a run ends.
DONE = b"ed in "
#: (name, bytes sent, a string that only the view the key opens draws). Each switch returns to the main screen,
#: whose footer draws "Train"; ctrl+f is pressed twice and timed on the press that shows the form again. The
#: palette's marker is from its list ("Save an SVG screenshot"): its search field's "Search for commands" is drawn
#: whole only when the blinking cursor over its first letter turns off, half a second after the palette is there.
SWITCHES: list[tuple[str, bytes, bytes]] = [
    ("ctrl+o history", b"\x0f", b"CSV"),
    ("escape from history", b"\x1b", b"Train"),
    ("ctrl+e sweep", b"\x05", b"Use best"),
    ("escape from sweep", b"\x1b", b"Train"),
    ("ctrl+p palette", b"\x10", b"SVG"),
    ("escape from palette", b"\x1b", b"Train"),
    ("ctrl+f hide form", b"\x06", b""),
    ("ctrl+f show form", b"\x06", b"Learn rate"),
]


def hptune() -> str:
    exe = Path(sys.executable).parent / "hptune"
    return str(exe) if exe.exists() else shutil.which("hptune") or "hptune"


def throughput(epochs: list[dict], n_train: int) -> float:
    """Training images per second over every epoch but the first (which traces the graph)."""
    later = epochs[1:] or epochs
    return n_train * len(later) / sum(e["seconds"] for e in later)


# --- headless -----------------------------------------------------------------------------------------------------

def stored_epochs(store: Path) -> int:
    """Epochs written to a journal store so far (each is one "epoch_NNNN" attribute)."""
    try:
        return store.read_bytes().count(b'"epoch_')
    except FileNotFoundError:
        return 0


class WallRate:
    """Epochs finished per wall-clock second, from the store: everything an epoch costs on its path counts (the
    steps, validation, events, the store's synced writes, the UI), so a path that records epochs after they end
    and one that records them between epochs compare as a person sees them. Marks are taken once training is
    under way, so start-up and compilation are left out."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []

    def mark(self, store: Path) -> None:
        self.marks.append((time.perf_counter(), stored_epochs(store)))

    def images_per_second(self, n_train: int) -> float:
        """NaN when the marks span no time (the run ended before a second mark: rerun with more --epochs)."""
        if len(self.marks) < 2 or self.marks[-1][0] <= self.marks[0][0]:
            return float("nan")
        (t0, e0), (t1, e1) = self.marks[0], self.marks[-1]
        return n_train * (e1 - e0) / (t1 - t0)


def run_headless(epochs: int, store: Path) -> tuple[float, float]:
    """(epoch-time throughput, wall throughput) of `hptune run`; the store is looked at twice a second."""
    output = store.with_suffix(".out")  # a file, not a pipe: a full pipe would stop the run mid-way
    with output.open("w") as out:
        child = subprocess.Popen(
            [hptune(), "run", *CONFIG, "--epochs", str(epochs), "--store", str(store), "--json"],
            stdout=out, stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
    wall = WallRate()
    last: tuple[float, int] | None = None
    while child.poll() is None:
        time.sleep(0.5)
        now = (time.perf_counter(), stored_epochs(store))
        if now[1] >= 2 and not wall.marks:
            wall.marks.append(now)
        elif wall.marks and now[1] < epochs:
            last = now  # the last look while it was still training
    if child.returncode != 0:
        raise RuntimeError(f"hptune run failed with exit {child.returncode}")
    if last is None:
        raise RuntimeError("the headless run ended before it could be timed: use more --epochs")
    wall.marks.append(last)
    result = json.loads(output.read_text().strip().splitlines()[-1])
    n_train = result["dataset"]["n_train"]
    return throughput(result["epochs"], n_train), wall.images_per_second(n_train)


# --- the app in a pty ---------------------------------------------------------------------------------------------

class Terminal:
    """A child process on a pty, with every byte it writes kept alongside the time it arrived."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
            os.execvpe(argv[0], argv, env)
        self.chunks: list[tuple[float, int]] = []  # (arrival time, total bytes received by then)
        self.text = bytearray()
        self.exited = False

    def pump(self, timeout: float = 0.05) -> None:
        while True:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.text += data
            self.chunks.append((time.perf_counter(), len(self.text)))
            timeout = 0

    def send(self, data: bytes) -> float:
        self.pump(0)
        sent = time.perf_counter()
        os.write(self.fd, data)
        return sent

    def wait_for(self, needle: bytes, since: int, timeout: float) -> float | None:
        """Time at which `needle` first appears in output received after byte offset `since`."""
        deadline = time.perf_counter() + timeout
        start = since
        while time.perf_counter() < deadline:
            at = self.text.find(needle, start)
            if at >= 0:
                end = at + len(needle)
                for stamp, total in reversed(self.chunks):  # the chunk that completed the needle
                    if total < end:
                        break
                    found = stamp
                return found
            start = max(since, len(self.text) - len(needle))
            # Block until output arrives (select wakes at once), so the driver takes no CPU from the app.
            self.pump(min(0.05, max(0.0, deadline - time.perf_counter())))
        return None

    def alive(self) -> bool:
        if not self.exited:
            try:
                self.exited = os.waitpid(self.pid, os.WNOHANG) != (0, 0)
            except ChildProcessError:
                self.exited = True
        return not self.exited


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process `pid` has used so far; NaN where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_tui(epochs: int, store: Path, presses: int,
            switches: int) -> tuple[list[float], dict[str, list[float]], float, float, float, float, float, float]:
    env = {**os.environ, "TERM": "xterm-256color", "HPTUNE_STORE": str(store), "TF_CPP_MIN_LOG_LEVEL": "3",
           "COLUMNS": "120", "LINES": "40"}
    started = time.perf_counter()
    term = Terminal([hptune(), "tui", *CONFIG, "--epochs", str(epochs)], env)
    if term.wait_for(b"Train", 0, 60) is None:
        raise RuntimeError("the app did not draw its first screen")
    first_screen = time.perf_counter() - started
    time.sleep(0.5)
    for _ in range(TABS_TO_SEED):
        term.send(b"\t")
        time.sleep(0.05)
    term.send(b"\x12")  # ctrl+r: train
    training = len(term.text)
    deadline = time.perf_counter() + 120
    while stored_epochs(store) < 2:  # measure once training is in full swing (the log may show later epochs only)
        if time.perf_counter() > deadline or not term.alive():
            raise RuntimeError("training did not start")
        _idle(term, 0.1)
    wall = WallRate()
    wall.mark(store)
    latencies: list[float] = []
    for _ in range(presses):
        if term.text.find(DONE, training) >= 0:
            print(f"the run ended after {len(latencies)} presses: use more --epochs", flush=True)
            break
        _idle(term, random.uniform(0.15, 0.35))
        mark = len(term.text)
        sent = term.send(b"q")
        seen = term.wait_for(b"0q", mark, 5)
        if seen is not None:
            latencies.append(seen - sent)
        _idle(term, 0.1)
        term.send(b"\x7f")  # backspace: back to a valid seed
        term.wait_for(b"0 ", len(term.text), 1)
    switched = time_switches(term, training, switches)
    watching = WallRate()  # from the last key to the end: a person watching the curves grow
    watching.mark(store)
    app_cpu = [(time.perf_counter(), cpu_seconds(term.pid))] * 2  # the app's own process, not the training one
    while term.text.find(DONE, training) < 0 and term.alive():  # looks at the store twice a second, as for headless
        _idle(term, 0.5)
        if term.text.find(DONE, training) < 0:
            wall.mark(store)
            watching.mark(store)
            app_cpu[1] = (time.perf_counter(), cpu_seconds(term.pid))
    (t0, cpu0), (t1, cpu1) = app_cpu
    app_share = (cpu1 - cpu0) / (t1 - t0) if t1 > t0 else float("nan")
    records = _wait_for_run(store, 60)
    term.send(b"\x11")  # ctrl+q
    deadline = time.perf_counter() + 30
    while term.alive() and time.perf_counter() < deadline:
        term.pump(0.05)
    if term.alive():
        os.kill(term.pid, signal.SIGTERM)
        print("the app did not exit within 30 s of ctrl+q", flush=True)
    record = records[-1]
    speed = throughput([e.to_dict() for e in record.epochs], record.dataset.n_train)
    n_train = record.dataset.n_train
    if len(watching.marks) < 10:
        print("the run ended within 5 s of the last key: use more --epochs to time it while watching", flush=True)
        return (latencies, switched, speed, wall.images_per_second(n_train), first_screen, float("nan"),
                float("nan"), float("nan"))
    after_keys = [e.to_dict() for e in record.epochs[watching.marks[0][1]:]]  # stored after the last key
    return (latencies, switched, speed, wall.images_per_second(n_train), first_screen,
            watching.images_per_second(n_train), n_train * len(after_keys) / sum(e["seconds"] for e in after_keys),
            app_share)


def time_switches(term: Terminal, training: int, rounds: int) -> dict[str, list[float]]:
    """While the run trains, press each key of SWITCHES in turn, `rounds` times, timing each to its marker."""
    times: dict[str, list[float]] = {name: [] for name, _, marker in SWITCHES if marker}
    for _ in range(rounds):
        for name, key, marker in SWITCHES:
            if term.text.find(DONE, training) >= 0:
                print("the run ended during the screen switches: use more --epochs", flush=True)
                return times
            _idle(term, random.uniform(0.3, 0.5))
            mark = len(term.text)
            sent = term.send(key)
            if not marker:
                continue
            seen = term.wait_for(marker, mark, 5)
            if seen is None:
                print(f"{name}: {marker.decode()!r} not drawn within 5 s", flush=True)
            else:
                times[name].append(seen - sent)
    return times


def _idle(term: Terminal, seconds: float) -> None:
    """Wait, draining the app's output without spinning."""
    deadline = time.perf_counter() + seconds
    while (left := deadline - time.perf_counter()) > 0:
        term.pump(min(left, 0.05))


def _wait_for_run(store: Path, timeout: float) -> list:
    sys.path.insert(0, str(ROOT))
    from hptune.core.store import Store

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        records = Store(str(store)).runs()
        if records and records[-1].status != "running":
            return records
        time.sleep(0.5)
    raise RuntimeError("the TUI run did not finish")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--switches", type=int, default=8, help="rounds of screen switches per TUI run")
    args = parser.parse_args()
    all_latencies: list[float] = []
    all_switches: dict[str, list[float]] = {}
    first_presses: dict[str, list[float]] = {}  # the first of each key in a launch: it may build its screen
    headless, tui, first, headless_wall, tui_wall, tui_watching, tui_watching_epochs = [], [], [], [], [], [], []
    app_shares: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            speed, wall = run_headless(args.epochs, Path(tmp) / f"headless{i}.journal")
            headless.append(speed)
            headless_wall.append(wall)
            print(f"round {i + 1}: headless {speed:,.0f} img/s by epoch time, {wall:,.0f} by the clock", flush=True)
            latencies, switched, speed, wall, first_screen, watching, watching_epochs, app_share = run_tui(
                args.epochs, Path(tmp) / f"tui{i}.journal", args.presses, args.switches)
            app_shares.append(app_share)
            tui_watching.append(watching)
            tui_watching_epochs.append(watching_epochs)
            all_latencies += latencies
            for name, values in switched.items():
                all_switches.setdefault(name, []).extend(values)
                first_presses.setdefault(name, []).extend(values[:1])
            tui.append(speed)
            tui_wall.append(wall)
            first.append(first_screen)
            print(f"round {i + 1}: tui {speed:,.0f} img/s by epoch time, {wall:,.0f} by the clock"
                  f" ({watching:,.0f} after the last key; by epoch time {watching_epochs:,.0f}),"
                  f" {len(latencies)}/{args.presses} presses seen,"
                  f" p50 {1000 * percentile(latencies, 0.5):.0f} ms, p95 {1000 * percentile(latencies, 0.95):.0f} ms,"
                  f" first screen {first_screen:.2f}s, the app's own CPU after the last key {app_share:.1%} of a core",
                  flush=True)
    ratios = [t / h for t, h in zip(tui, headless, strict=True)]
    wall_ratios = [t / h for t, h in zip(tui_wall, headless_wall, strict=True)]
    print(f"config: 2x100 relu adam bs 256 on mnist-5k, {args.epochs} epochs, {os.cpu_count()} CPUs,"
          f" load average {os.getloadavg()[0]:.1f}")
    print(f"key press to screen: p50 {1000 * percentile(all_latencies, 0.5):.0f} ms,"
          f" p95 {1000 * percentile(all_latencies, 0.95):.0f} ms, max {1000 * max(all_latencies, default=0):.0f} ms"
          f" ({len(all_latencies)} presses)")
    print("while training (ms):       p50    p95    max    n")
    print(f"  {'typing in a field':<22} {1000 * percentile(all_latencies, 0.5):6.0f} "
          f"{1000 * percentile(all_latencies, 0.95):6.0f} {1000 * max(all_latencies, default=0):6.0f} "
          f"{len(all_latencies):4d}")
    for name, values in all_switches.items():
        print(f"  {name:<22} {1000 * percentile(values, 0.5):6.0f} {1000 * percentile(values, 0.95):6.0f}"
              f" {1000 * max(values, default=0):6.0f} {len(values):4d}")
    print("first press of each key in a launch (a screen not built ahead is built then), ms: " + "; ".join(
        f"{name} {', '.join(f'{1000 * v:.0f}' for v in values)}" for name, values in first_presses.items()
        if not name.startswith("escape")))
    print(f"throughput by the clock (epochs stored per second while training, keys included): headless median"
          f" {statistics.median(headless_wall):,.0f} img/s, tui median {statistics.median(tui_wall):,.0f} img/s,"
          f" ratio median {statistics.median(wall_ratios):.2f} (per round:"
          f" {', '.join(f'{r:.2f}' for r in wall_ratios)})")
    watch_ratios = [t / h for t, h in zip(tui_watching, headless_wall, strict=True)]
    print(f"throughput by the clock, split: while keys are pressed and screens switched, and after the last key"
          f" (watching the curves): tui median {statistics.median(tui_watching):,.0f} img/s after the last key,"
          f" ratio to headless median {statistics.median(watch_ratios):.2f} (per round:"
          f" {', '.join(f'{r:.2f}' for r in watch_ratios)})")
    print(f"throughput by epoch time (each epoch's own seconds, what happens between epochs left out): headless"
          f" median {statistics.median(headless):,.0f} img/s, tui median {statistics.median(tui):,.0f} img/s, ratio"
          f" median {statistics.median(ratios):.2f} (per round: {', '.join(f'{r:.2f}' for r in ratios)})")
    watch_epoch_ratios = [t / h for t, h in zip(tui_watching_epochs, headless, strict=True)]
    print(f"throughput by epoch time after the last key (the epochs stored while a person watches): tui median"
          f" {statistics.median(tui_watching_epochs):,.0f} img/s, ratio to headless median"
          f" {statistics.median(watch_epoch_ratios):.2f}"
          f" (per round: {', '.join(f'{r:.2f}' for r in watch_epoch_ratios)})")
    print(f"the app's own process (not the training one) after the last key: median {statistics.median(app_shares):.1%}"
          f" of a core (per round: {', '.join(f'{s:.1%}' for s in app_shares)})")
    print(f"first screen: median {statistics.median(first):.2f}s")


if __name__ == "__main__":
    main()
