"""Start-up time of the `hptune` command: `hptune --help`, and launch to the TUI's first drawn screen.

`--help` is timed from process start to exit (target: at most 0.5 s). The TUI is started as a person starts it,
`hptune --dataset mnist-5k` on a pseudo-terminal (TERM=xterm-256color, 120x40), and timed from process start until
a marker string (default "Learn rate", a label of the run form, so the form itself is drawn and not only the
footer) appears in what the app wrote to the terminal,
escape sequences removed (target: at most 1.0 s); the app is then quit with ctrl+q. Each run uses an empty
temporary store, so the size of anyone's run history does not enter the figure. The two are interleaved, and the
script prints the median, minimum and maximum over the runs, plus a `python -c pass` baseline for the
interpreter's own start.

Run: `python bench/startup.py` (10 runs each, about 30 seconds) or `python bench/startup.py --quick` (3 each).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine_line, median, table  # noqa: E402

#: CSI, OSC and two-character escape sequences, removed before looking for the marker.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]")


def hptune_command() -> list[str]:
    found = shutil.which("hptune") or str(Path(sys.executable).parent / "hptune")
    return [found] if Path(found).exists() else [sys.executable, "-m", "hptune.tui.cli_entry"]


def time_help(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*hptune_command(), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=True, cwd=ROOT)
    return time.perf_counter() - start


def time_python(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - start


def time_first_frame(env: dict[str, str], marker: bytes, timeout: float = 30.0) -> tuple[float | None, str]:
    """Seconds from spawning the TUI until `marker` is on the terminal; None (and the output) if it never shows."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen([*hptune_command(), "--dataset", "mnist-5k"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=ROOT, close_fds=True, start_new_session=True)
    os.close(slave)
    raw, seen, elapsed = bytearray(), b"", None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                raw += chunk
                seen = ESCAPES.sub(b"", bytes(raw))
                if marker in seen:
                    elapsed = time.perf_counter() - start
                    break
            elif proc.poll() is not None:
                break
        if proc.poll() is None:
            os.write(master, b"\x11")  # ctrl+q; the clock has stopped, so do not wait long for a clean exit
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    finally:
        os.close(master)
    return elapsed, seen[-2000:].decode("utf-8", "replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--marker", default="Learn rate", help="text that shows the form is drawn (a field label)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 10)
    scratch = Path(tempfile.mkdtemp(prefix="hptune-startup-"))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40", HPTUNE_STORE=str(scratch / "runs.journal"),
               XDG_STATE_HOME=str(scratch / "state"))
    print(machine_line())
    print(f"command: {' '.join(hptune_command())}; {runs} runs each, interleaved; empty store in {scratch}\n")

    time_help(env)  # the first start after an install compiles .pyc files; not what a person meets twice
    results: dict[str, list[float]] = {"python -c pass": [], "hptune --help": [], "hptune (TUI) to first frame": []}
    failure = None
    for _ in range(runs):
        results["python -c pass"].append(time_python(env))
        results["hptune --help"].append(time_help(env))
        if failure is None:
            elapsed, screen = time_first_frame(env, args.marker.encode())
            if elapsed is None:
                failure = screen
            else:
                results["hptune (TUI) to first frame"].append(elapsed)

    targets = {"hptune --help": 0.5, "hptune (TUI) to first frame": 1.0}
    rows = []
    for name, values in results.items():
        if not values:
            rows.append([name, "-", "-", "-", f"<= {targets[name]:.1f} s", "not measured"])
            continue
        target = targets.get(name)
        verdict = "" if target is None else ("met" if median(values) <= target else "NOT met")
        rows.append([name, median(values), min(values), max(values), f"<= {target:.1f} s" if target else "", verdict])
    print(table(["what", "median s", "min s", "max s", "target", ""], rows, title="start-up wall time"))
    if failure is not None:
        print(f"\nthe TUI never showed {args.marker!r}; the last thing on its terminal was:\n{failure}")


if __name__ == "__main__":
    main()
