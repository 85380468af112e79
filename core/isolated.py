"""Training in a child process, for callers that live long and train many times (the TUI).

TensorFlow keeps a few megabytes of every model's traced training graph for the life of the process, whatever
`clear_session()` does (measured by bench/memory.py), so a process that trains run after run grows. A
`TrainingHost` runs the same `train()` in a child process, relays its events, and replaces the child once it has
grown past `recycle_at` times its size after the first run. The caller's process never imports TensorFlow, and a
crash of the native runtime ends one run instead of the app.
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from hptune.core.backend import resolve_backend
from hptune.core.config import ConfigError, RunConfig
from hptune.core.data import DatasetError
from hptune.core.events import BatchProgress, EpochEnded, EpochMetrics, Event, RunFinished
from hptune.core.outcome import RunOutcome
from hptune.core.trainer import PROGRESS_INTERVAL, EventSink

log = logging.getLogger(__name__)

#: How often the parent checks its own stop flag and the child's health while waiting for events.
POLL_SECONDS = 0.05
#: The training process yields the CPU to the UI when both want it: on a busy machine keys and frames come first,
#: and the child, started beside the first frame, does not slow it.
NICENESS = 5


def rss_bytes() -> int:
    """This process's resident memory in bytes (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _serve(conn: Any, stop: Any, backend: str) -> None:
    """The child's loop: one ("train", config) message at a time, events back as they happen. The child runs Keras
    on `backend`, set before anything imports Keras."""
    os.environ["KERAS_BACKEND"] = backend
    with contextlib.suppress(OSError):  # started lowered on Linux already; elsewhere it lowers itself here
        if os.getpriority(os.PRIO_PROCESS, 0) < NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, NICENESS)
    from hptune.core.trainer import train

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "warm":
            _warm_up(message[1], stop)
            continue
        if message[0] != "train":
            return
        stop.clear()
        try:
            result = train(message[1], on_event=_Relay(conn), stop=stop)
        except ConfigError as err:
            conn.send(("config_error", str(err), err.field))
        except DatasetError as err:
            conn.send(("dataset_error", str(err), None))
        except Exception as err:  # noqa: BLE001 - reported to the parent, which fails the run with it
            conn.send(("error", f"{type(err).__name__}: {err}", None))
        else:
            conn.send(("result", result, rss_bytes()))


class _Relay:
    """Sends the run's events to the parent, with progress at most every PROGRESS_INTERVAL: the trainer also
    reports each epoch's last step, which at many short epochs a second doubled the messages the UI's process
    receives and decodes for a bar that moves no further (the epoch's end follows at once)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.last_progress = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchProgress):
            now = time.monotonic()
            if now - self.last_progress < PROGRESS_INTERVAL:
                return
            self.last_progress = now
        self.conn.send(("event", event))


def _warm_up(config: RunConfig, stop: Any) -> None:
    """Make the first run of `config` start at once: import Keras, load its data (cached for the process), and train
    one epoch of it unseen, which compiles the training loop, the validation pass and the test pass for that shape
    (kept in JAX's on-disk cache too). A run asked for meanwhile sets `stop`, which ends the warm-up at its next
    chunk of steps, so the run waits a fraction of a second for it at most."""
    from hptune.core.trainer import train

    stop.clear()
    try:
        # Not collected: a collection here would hold up the run that stopped it; that run collects at its end.
        train(config.model_copy(update={"epochs": 1, "patience": None, "keep_model": False}), stop=stop,
              collect=False)
    except Exception:  # noqa: BLE001 - warming is an optimisation: the real run reports any problem itself
        log.debug("warm-up failed", exc_info=True)


def _start_lowered(process: Any) -> None:
    """Start `process` at NICENESS from its first instruction, so that even its start-up imports leave the CPU to
    the UI. On Linux niceness belongs to a thread and a new process takes its creating thread's, so a short-lived
    thread lowers its own and starts it; elsewhere it starts as usual and lowers itself in `_serve`."""
    if sys.platform != "linux":
        process.start()
        return
    failure: list[BaseException] = []

    def start() -> None:
        try:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
            process.start()
        except BaseException as err:  # noqa: BLE001 - raised again in the calling thread
            failure.append(err)

    starter = threading.Thread(target=start, name="hptune-start-trainer")
    starter.start()
    starter.join()
    if failure:
        raise failure[0]


@contextlib.contextmanager
def _real_std_streams() -> Iterator[None]:
    """multiprocessing hands the child sys.stderr's file descriptor; a front end that captures the streams (Textual
    does) leaves objects without a usable one there, so start the child with the process's real streams."""
    saved = sys.stdout, sys.stderr
    for name in ("stdout", "stderr"):
        try:
            if getattr(sys, name).fileno() < 0:
                raise ValueError
        except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
            setattr(sys, name, getattr(sys, f"__{name}__") or open(os.devnull, "w"))  # noqa: SIM115
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class TrainingHost:
    """`host.train(config, on_event, stop, record=...)` behaves like `core.trainer.train`, in a child process."""

    def __init__(self, recycle_at: float = 1.1) -> None:
        self.recycle_at = recycle_at
        self._ctx = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Any = None
        with _real_std_streams():  # the Event starts multiprocessing's resource tracker, which needs them too
            self._stop = self._ctx.Event()
        self._first_rss = 0
        self._backend: str | None = None
        self._lock = threading.Lock()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def _ensure_child(self, backend: str) -> None:
        """A live child on `backend`; Keras cannot change backends in a process, so another backend means a new one."""
        if self._process is not None and self._process.is_alive() and self._backend == backend:
            return
        self._discard()
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(child, self._stop, backend), name="hptune-trainer",
                                    daemon=True)
        try:
            with _real_std_streams():
                _start_lowered(process)
        except BaseException:
            parent.close()  # a child that never started is not this host's: nothing to join or kill later
            raise
        finally:
            child.close()
        self._process, self._conn, self._backend = process, parent, backend
        self._first_rss = 0

    def _discard(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(("quit",))
            except (OSError, BrokenPipeError):
                pass
            self._conn.close()
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=5)
        self._process = self._conn = None

    def warm_up(self, config: RunConfig) -> bool:
        """Start the child now, in the background, and have it get ready to train `config` (imports, data, the
        compiled loop), so that a run asked for later starts at once. Returns at once; False if a run is going on."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._ensure_child(resolve_backend(config.backend))
            self._conn.send(("warm", config))
        except (OSError, ConfigError):
            log.debug("could not warm the training process", exc_info=True)
            return False
        finally:
            self._lock.release()
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Stop any run and end the child; safe to call more than once and from another thread."""
        self._stop.set()
        if self._lock.acquire(timeout=timeout):  # a run in progress ends at its next step and releases it
            try:
                self._discard()
            finally:
                self._lock.release()
        elif self._process is not None and self._process.is_alive():
            self._process.kill()

    def train(self, config: RunConfig, on_event: EventSink | None = None, stop: threading.Event | None = None,
              *, record: EventSink | None = None) -> RunOutcome:
        with self._lock:
            self._ensure_child(resolve_backend(config.backend))
            self._stop.set()  # ends a warm-up still going; the child clears it as this run begins
            self._conn.send(("train", config))
            save_error: Exception | None = None
            last: RunFinished | None = None
            epochs: list[EpochMetrics] = []
            while True:
                if stop is not None and stop.is_set():
                    self._stop.set()
                if not self._conn.poll(POLL_SECONDS):
                    if not self._process.is_alive():
                        self._discard()
                        return self._died(config, on_event, record, last, epochs)
                    continue
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    self._discard()
                    return self._died(config, on_event, record, last, epochs)
                kind = message[0]
                if kind == "event":
                    event: Event = message[1]
                    if save_error is None and record is not None:
                        try:
                            record(event)
                        except Exception as err:  # noqa: BLE001 - as in train(): unsaved training must not go on
                            save_error = err
                            self._stop.set()
                    if isinstance(event, RunFinished):
                        last = event
                    elif isinstance(event, EpochEnded):
                        epochs.append(event.metrics)
                    if on_event is not None:
                        on_event(event)
                elif kind == "result":
                    result, rss = message[1], message[2]
                    self._maybe_recycle(rss)
                    if save_error is not None:
                        raise save_error
                    if last is not None:
                        result.run_id = last.outcome.run_id  # named by the recorder, here in this process
                    return result
                elif kind == "config_error":
                    raise ConfigError(message[1], message[2])
                elif kind == "dataset_error":
                    raise DatasetError(message[1])
                else:
                    raise RuntimeError(message[1])

    def _maybe_recycle(self, rss: int) -> None:
        if not self._first_rss:
            self._first_rss = rss
        elif rss > self._first_rss * self.recycle_at:
            log.info("training process grew to %.0f MiB; starting a fresh one", rss / 2**20)
            self.restarts += 1
            self._discard()

    @staticmethod
    def _died(config: RunConfig, on_event: EventSink | None, record: EventSink | None,
              last: RunFinished | None, epochs: list[EpochMetrics]) -> RunOutcome:
        """The child vanished (killed, or the native runtime crashed): end the run as failed, keeping its epochs."""
        message = "the training process ended unexpectedly (killed, or out of memory)"
        result = RunOutcome(status="failed", config=config, message=message, epochs=list(epochs))
        if last is None:
            finished = RunFinished(result)
            for sink in (record, on_event):
                if sink is not None:
                    try:
                        sink(finished)
                    except Exception:  # noqa: BLE001 - the run is already lost; saving what we can
                        log.debug("could not record the failed run", exc_info=True)
        return result
