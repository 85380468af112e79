"""Time from pressing Train to the first epoch on the screen, in a real terminal, the first run after launch included.

Each repeat starts `hptune --dataset mnist-5k --epochs 2` on a pseudo-terminal (TERM=xterm-256color, 120x40) with an
empty store, waits until the form's labels are drawn ("Learn rate"), waits `--think` seconds more (a person reading
the form before pressing Train; 0 presses it at once), presses ctrl+r and times until the epoch log shows the first
epoch's line ("loss: "), escape sequences removed. Once the run has ended it presses ctrl+r again and times the
second run the same way. By default every launch gets empty caches (JAX's compiled programs, the parsed bundled
sample), as a new user's first launch has; `--warm-cache` keeps one across launches, as every later launch has.
Target: at most 2 s, first run included.

Run: `python bench/first_point.py` (5 launches, about a minute) or `--quick` (2).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
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
from startup import ESCAPES, hptune_command  # noqa: E402

FORM = b"Learn rate"
EPOCH_LINE = b"loss: "
DONE = b"ed in "  # the progress line says "completed in 3.1s" when a run ends


class Terminal:
    """The app on a pty; every byte it writes is kept with escape sequences removed, with the time it arrived."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True,
                                     start_new_session=True)
        os.close(slave)
        self.fd = master
        self.raw = bytearray()
        self.text = b""

    def wait_for(self, needle: bytes, since: int, timeout: float) -> float | None:
        """perf_counter time at which `needle` is first seen in the text after offset `since`; None on timeout."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if needle in self.text[since:]:
                return time.perf_counter()
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return None
                if not chunk:
                    return None
                self.raw += chunk
                self.text = ESCAPES.sub(b"", bytes(self.raw))
            elif self.proc.poll() is not None:
                return None
        return None

    def drain(self) -> None:
        """Take in everything the app has written so far."""
        while select.select([self.fd], [], [], 0)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.raw += chunk
        self.text = ESCAPES.sub(b"", bytes(self.raw))

    def press(self, key: bytes) -> tuple[float, int]:
        self.drain()  # so the offset is current and an earlier run's lines are not taken for this one's
        offset = len(self.text)
        os.write(self.fd, key)
        return time.perf_counter(), offset

    def close(self) -> None:
        if self.proc.poll() is None:
            os.write(self.fd, b"\x11")  # ctrl+q
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.fd)


def one_launch(env: dict[str, str], think: float) -> tuple[float | None, float | None, float | None, str]:
    term = Terminal([*hptune_command(), "--dataset", "mnist-5k", "--epochs", "2"], env)
    try:
        form = term.wait_for(FORM, 0, 60)
        if form is None:
            return None, None, None, term.text[-1500:].decode("utf-8", "replace")
        time.sleep(think)
        points = []
        for _ in range(2):
            pressed, offset = term.press(b"\x12")  # ctrl+r: Train
            seen = term.wait_for(EPOCH_LINE, offset, 120)
            if seen is None:
                return form - term.started, None, None, term.text[-1500:].decode("utf-8", "replace")
            points.append(seen - pressed)
            term.wait_for(DONE, offset, 120)
            time.sleep(1.0)
            term.drain()
        return form - term.started, points[0], points[1], ""
    finally:
        term.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 launches")
    parser.add_argument("--launches", type=int)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between the form appearing and Train")
    parser.add_argument("--warm-cache", action="store_true",
                        help="one cache (JAX's compiled programs, the parsed sample) for every launch")
    args = parser.parse_args()
    launches = args.launches or (2 if args.quick else 5)
    scratch = Path(tempfile.mkdtemp(prefix="hptune-first-point-"))
    print(machine_line())
    caches = "one cache for all launches" if args.warm_cache else "empty caches per launch"
    print(f"command: {' '.join(hptune_command())} --dataset mnist-5k --epochs 2; {launches} launches; think"
          f" {args.think:g} s; {caches}\n")
    rows: dict[str, list[float]] = {"launch to form": [], "Train to first epoch (first run)": [],
                                    "Train to first epoch (second run)": []}
    failure = ""
    for i in range(launches):
        cache = scratch / ("cache" if args.warm_cache else f"cache-{i}")
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40", TF_CPP_MIN_LOG_LEVEL="3",
                   HPTUNE_STORE=str(scratch / f"runs-{i}.journal"), XDG_STATE_HOME=str(scratch / "state"),
                   XDG_CACHE_HOME=str(cache), HPTUNE_JAX_CACHE=str(cache / "jax"))
        form, first, second, failure = one_launch(env, args.think)
        shown = ["-" if value is None else f"{value:.2f}" for value in (form, first, second)]
        print(f"  launch {i + 1}: form {shown[0]} s, first run {shown[1]} s, second run {shown[2]} s", flush=True)
        for name, value in zip(rows, (form, first, second), strict=True):
            if value is not None:
                rows[name].append(value)
        if failure:
            break
    out = []
    for name, values in rows.items():
        target = "<= 2.0 s" if name.startswith("Train") else ""
        verdict = ("met" if median(values) <= 2.0 else "NOT met") if target and values else ""
        out.append([name, median(values), min(values, default=float("nan")), max(values, default=float("nan")),
                    target, verdict])
    print()
    print(table(["what", "median s", "min s", "max s", "target", ""], out, title="time to the first point"))
    if failure:
        print(f"\na launch did not get that far; the last thing on its terminal was:\n{failure}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
