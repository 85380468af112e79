"""Training in a child process, for callers that live long and train many times (the TUI).

TensorFlow keeps a few megabytes of every model's traced training graph for the life of the process, whatever
`clear_session()` does (measured by bench/memory.py), so a process that trains run after run grows. A
`TrainingHost` runs the same `train()` in a child process, relays its events, and replaces the child once it has
grown past `recycle_at` times its size after the first run. The caller's process never imports TensorFlow, and a
crash of the native runtime ends one run instead of the app.

The child records the run itself, as `hptune run` does: each epoch is written to the store between epochs, by the
process that trained it, so a kill of either process keeps every finished epoch and the caller's process does no
work in the middle of the next epoch's steps. Finished epochs then reach the caller in batches, at most every
EVENT_INTERVAL seconds: a store append and a message per epoch in the app's process, at many short epochs a
second, slowed the training beside it (bench/tui_latency.py's throughput figures).
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
from dataclasses import dataclass
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
#: Seconds a recording child holds finished epochs and progress before sending them on (other events go at once,
#: with them): the TUI redraws its bar at most 4 times a second and its curves once.
EVENT_INTERVAL = 0.25
#: What a run that stopped because its app went away (closed, killed or crashed) says.
APP_GONE = "the app that started this run ended; the run stopped with its finished epochs"
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
    """The child's loop: one ("train", config, handover) or ("warm", config, store) message at a time, the run's
    events back through a `_Relay`. The child runs Keras on `backend`, set before anything imports Keras."""
    os.environ["KERAS_BACKEND"] = backend
    with contextlib.suppress(OSError):  # started lowered on Linux already; elsewhere it lowers itself here
        if os.getpriority(os.PRIO_PROCESS, 0) < NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, NICENESS)
    from hptune.core.store import StoreError
    from hptune.core.trainer import train

    stores: dict[str, Any] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "warm":
            _warm_up(message[1], stop)
            if message[2] is not None:
                try:
                    _open_store(stores, message[2])
                except Exception:  # noqa: BLE001 - as for the warm-up: the run says what is wrong with the store
                    log.debug("could not open the store ahead", exc_info=True)
            continue
        if message[0] != "train":
            return
        stop.clear()
        relay = _Relay(conn, stop)
        try:
            recorder = message[2].recorder(_open_store(stores, message[2].location)) if message[2] else None
            relay.recorder = recorder
            record = _Reasons(recorder, relay) if recorder is not None else None
            result = train(message[1], on_event=relay, stop=stop, record=record)
        except ConfigError as err:
            reply: tuple = ("config_error", str(err), err.field)
        except DatasetError as err:
            reply = ("dataset_error", str(err), None)
        except StoreError as err:
            reply = ("store_error", str(err), err.file)
        except Exception as err:  # noqa: BLE001 - reported to the parent, which fails the run with it
            reply = ("error", f"{type(err).__name__}: {err}", None)
        else:
            reply = ("result", result, rss_bytes())
        relay.flush()  # epochs held when the run raised: recorded, so shown too
        if relay.gone or not _send(conn, reply):
            return  # the app is gone: the run is recorded, and nobody is left to serve


def _send(conn: Any, message: tuple) -> bool:
    """Send to the parent; False when it has gone (closed, or killed)."""
    try:
        conn.send(message)
    except (OSError, ValueError):  # BrokenPipeError; ValueError: a closed connection
        return False
    return True


def _open_store(stores: dict[str, Any], location: str) -> Any:
    """The child's handle on the store at `location`, made once. Its journal is replayed when first written (the
    warm-up does that ahead of the first run); the parent has checked and repaired the store already."""
    if location not in stores:
        from hptune.core.store import Store, StoreError

        store = stores[location] = Store(location)
        try:
            store.storage  # noqa: B018 - replays the journal now, not when the first run starts
        except StoreError:
            del stores[location]
            raise
    return stores[location]


@dataclass(frozen=True)
class Handover:
    """What the child needs to record a run the parent's `Recorder` was made for: the same store, study, tags and
    choices, written by the process that trains."""

    location: str
    study: str
    metric: str
    keep_model: bool
    attrs: dict[str, Any]

    @classmethod
    def of(cls, record: Any) -> Handover | None:
        """The handover for a fresh run's Recorder; None for any other sink (it stays in the parent)."""
        from hptune.core.store import Recorder

        if not isinstance(record, Recorder) or not record.owns_trial or record.run_id is not None:
            return None
        return cls(record.store.location, record.study_name, record.metric, record.keep_model, dict(record.attrs))

    def recorder(self, store: Any) -> Any:
        from hptune.core.store import Recorder

        return Recorder(store, self.study, metric=self.metric, attrs=self.attrs, keep_model=self.keep_model)


class _Reasons:
    """The child's recorder, saying why a run stopped when its app went away (the trainer knows only that it was
    asked to stop, as by the Stop key)."""

    def __init__(self, recorder: Any, relay: _Relay) -> None:
        self.recorder, self.relay = recorder, relay

    def __call__(self, event: Event) -> None:
        if self.relay.gone and isinstance(event, RunFinished) and event.outcome.status == "stopped":
            event.outcome.message = APP_GONE
        self.recorder(event)


class _Relay:
    """Sends the run's events to the parent as ("events", [event, ...], run id). Progress goes at most every
    PROGRESS_INTERVAL: the trainer also reports each epoch's last step, which at many short epochs a second doubled
    the messages for a bar that moves no further (the epoch's end follows at once). While the child records the run
    (`recorder`), finished epochs and progress are held and go together at most every EVENT_INTERVAL (of progress
    only the newest), the run's first epoch at once; every other event goes at once, after any held ones. If the
    parent has gone, the run is asked to stop: it ends recorded, as a stopped run."""

    def __init__(self, conn: Any, stop: Any) -> None:
        self.conn, self.stop = conn, stop
        self.recorder: Any = None  # the run's, once made: the relay exists first, to flush if making it fails
        self.held: list[Event] = []
        self.last_progress = self.last_sent = 0.0
        self.first_epoch_sent = False
        self.gone = False

    def __call__(self, event: Event) -> None:
        now = time.monotonic()
        if isinstance(event, BatchProgress):
            if now - self.last_progress < PROGRESS_INTERVAL:
                self._send_due(now)
                return
            self.last_progress = now
        held = self.recorder is not None and isinstance(event, (EpochEnded, BatchProgress))
        if isinstance(event, EpochEnded) and not self.first_epoch_sent:
            self.first_epoch_sent, held = True, False  # the first point on the chart is not kept waiting
        if isinstance(event, BatchProgress):
            self.held = [e for e in self.held if not isinstance(e, BatchProgress)]
        self.held.append(event)
        if held:
            self._send_due(now)
        else:
            self._send(now)

    def flush(self) -> None:
        if self.held:
            self._send(time.monotonic())

    def _send_due(self, now: float) -> None:
        if self.held and now - self.last_sent >= EVENT_INTERVAL:
            self._send(now)

    def _send(self, now: float) -> None:
        events, self.held, self.last_sent = self.held, [], now
        if self.gone:
            return
        run_id = self.recorder.run_id if self.recorder is not None else None
        if not _send(self.conn, ("events", events, run_id)):
            self.gone = True
            self.stop.set()


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

    def warm_up(self, config: RunConfig, store: str | None = None) -> bool:
        """Start the child now, in the background, and have it get ready to train `config` (imports, data, the
        compiled loop) and to record into the store at `store`, so that a run asked for later starts at once.
        Returns at once; False if a run is going on."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._ensure_child(resolve_backend(config.backend))
            self._conn.send(("warm", config, store))
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
        """A store's `Recorder` for a new run is handed over (`Handover`): the child records, and `record.run_id`
        names the run from its start as it would in process. Any other `record` sees the events here."""
        handover = Handover.of(record)
        here = record if handover is None else None  # records in this process
        with self._lock:
            self._ensure_child(resolve_backend(config.backend))
            self._stop.set()  # ends a warm-up still going; the child clears it as this run begins
            self._conn.send(("train", config, handover))
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
                if kind == "events":
                    if handover is not None and message[2] is not None:
                        record.run_id = message[2]  # the store named the run in the child
                    for event in message[1]:
                        if save_error is None and here is not None:
                            try:
                                here(event)
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
                    self._maybe_recycle(rss, config, handover)
                    if save_error is not None:
                        raise save_error
                    if last is not None:
                        result.run_id = last.outcome.run_id  # named by the recorder
                    return result
                elif kind == "config_error":
                    raise ConfigError(message[1], message[2])
                elif kind == "dataset_error":
                    raise DatasetError(message[1])
                elif kind == "store_error":
                    from hptune.core.store import StoreError

                    raise StoreError(message[1], file=message[2])
                else:
                    raise RuntimeError(message[1])

    def _maybe_recycle(self, rss: int, config: RunConfig, handover: Handover | None) -> None:
        if not self._first_rss:
            self._first_rss = rss
        elif rss > self._first_rss * self.recycle_at:
            log.info("training process grew to %.0f MiB; starting a fresh one", rss / 2**20)
            self.restarts += 1
            self._discard()
            # The successor starts now and gets ready for the same config and store while the last run's results
            # are read, rather than when the next run is asked for.
            try:
                self._ensure_child(resolve_backend(config.backend))
                self._conn.send(("warm", config, handover.location if handover else None))
            except (OSError, ConfigError):
                log.debug("could not start the next training process", exc_info=True)

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
