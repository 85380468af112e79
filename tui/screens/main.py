"""The main screen: the run form beside the live dashboard (curves, progress, epoch log, results)."""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from hptune.core.config import RunConfig
from hptune.core.events import BatchProgress, EpochMetrics, Event
from hptune.core.labels import config_label, status_line
from hptune.core.outcome import RunOutcome
from hptune.tui.messages import EpochDone, Finished, Loading, Progress, RepeatsDone, Started, wrap
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.panes import PaneSwitcher
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets import EpochLog, EpochProgress, HyperparamForm, MetricChart, ResultsPanel, Series
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.key_footer import KeyFooter

__all__ = ["MainScreen"]

#: Seconds between redraws of the curves and the epoch log while training. An epoch that ends this long after the
#: last redraw shows at once (the first one always); shorter epochs are shown together, once a second. Two redraws a
#: second took about 2% of a core more than one, on the cores the training shares.
CHART_INTERVAL = 1.0
#: Seconds between progress-bar redraws (queued progress messages also collapse: see tui.messages.Progress).
PROGRESS_INTERVAL = 0.25
#: Narrower than this, the form makes way for the dashboard while a run trains.
NARROW = 100
NO_RUN = "No run yet: ctrl+r trains the form's config."


class _Columns:
    """The curves' columns (epoch, accuracy, loss, and their validation values) of a list of epochs that only grows,
    each epoch read once: a redraw of a long run's curves then reads the epochs since the last one, not all of them
    (8,000 epochs took some 7 ms a redraw to read again, twice a second, on the cores the training shares)."""

    NAMES = ("epoch", "accuracy", "val_accuracy", "loss", "val_loss")

    def __init__(self) -> None:
        self._of: list[EpochMetrics] | None = None
        self.columns: dict[str, list[float]] = {name: [] for name in self.NAMES}

    def read(self, epochs: list[EpochMetrics]) -> dict[str, list[float]]:
        done = len(self.columns["epoch"])
        if epochs is not self._of or len(epochs) < done:  # another run's list, or this one cut: read it anew
            self._of, done = epochs, 0
            self.columns = {name: [] for name in self.NAMES}
        for name, column in self.columns.items():
            column.extend(getattr(m, name) for m in epochs[done:])
        return self.columns


def _no_epoch(status: str) -> str:
    """Why a run that ended has no curve: it ended before its first epoch did."""
    return f"No epoch finished: the run {status} before the end of its first epoch."


class MainScreen(LayoutOnce, KeepStyles, PaneSwitcher, Screen[None]):
    """Edit a config, train it, watch it learn."""

    PANES = ("curves", "log", "results")
    PANE_TABS, PANE_BODY = "dash-panes", "dashboard"

    BINDINGS = [
        Binding("ctrl+r", "train", "Train", priority=True, tooltip="Train the config in the form"),
        Binding("ctrl+s", "stop", "Stop", priority=True, tooltip="Stop the run after the current step; it is kept"),
        Binding("ctrl+o", "history", "History", priority=True, tooltip="Stored runs: compare, reopen, delete, export"),
        Binding("ctrl+t", "inspect", "Inspect", priority=True,
                tooltip="Confusion matrix and misclassified digits of the last run"),
        Binding("ctrl+f", "toggle_form", "Form", priority=True, tooltip="Show or hide the form"),
        Binding("ctrl+l", "preset", "Preset", priority=True, tooltip="Pick one of the tutorial's experiments"),
        Binding("ctrl+g", "lessons", "Lessons", priority=True, tooltip="The tutorial's experiments, with seed spread"),
        Binding("ctrl+y", "system", "Load", priority=True, show=False, tooltip="Show or hide CPU, memory and GPU load"),
        Binding("ctrl+n", "next_pane", "Pane", priority=True, show=False,
                tooltip="On a small terminal: the next of curves, epoch log and results"),
    ]

    def __init__(self, config: RunConfig) -> None:
        super().__init__(id="main")
        self.initial = config
        self.running = False
        self.stop_event = threading.Event()
        self.training: Worker[Any] | None = None
        self.recorder: Any = None
        self.run_config: RunConfig | None = None
        self.epochs: list[EpochMetrics] = []
        self._columns = _Columns()
        #: The run on the dashboard once it has ended (or was read from the store).
        self.outcome: RunOutcome | None = None
        self.run_id: int | None = None
        self.confusion: Any = None
        self.mistakes: Any = ()
        self.last_run_id: int | None = None
        self.quit_when_done = False
        self._last_chart = 0.0
        self._last_progress = 0.0
        self._pending_log: list[tuple[EpochMetrics, int]] = []
        self._button_state: tuple[bool, bool] | None = None
        self._chart_timer: Timer | None = None
        #: A failed run's dialog waiting for this screen to be the one on top (see _worker_failed).
        self._pending_dialog: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="body", classes="screen-body"):
            with Vertical(id="form-pane"):
                yield HyperparamForm(self.initial, id="form")
                with Horizontal(id="actions"):
                    yield Button("Train ^r", variant="success", id="train", compact=True)
                    yield Button("Stop ^s", variant="error", id="stop", compact=True, disabled=True)
            with Vertical(id="dashboard", classes="-show-curves"):
                yield Static("No run yet: edit the form, then press [b]ctrl+r[/] to train.", id="run-title")
                yield Static("", id="notice")
                yield Tabs(Tab("Curves", id="pane-curves"), Tab("Log", id="pane-log"),
                           Tab("Results", id="pane-results"), id="dash-panes", classes="pane-switcher")
                with Horizontal(id="charts"):
                    yield MetricChart("Accuracy", "accuracy", id="acc-chart", classes="chart", empty=NO_RUN)
                    yield MetricChart("Loss", "loss", id="loss-chart", classes="chart", empty=NO_RUN)
                yield EpochProgress(id="progress")
                with Vertical(id="bottom"):
                    yield EpochLog(id="epoch-log")
                    yield ResultsPanel(id="results")
        yield Static(
            "Terminal too small for hptune: make it at least 60 columns by 16 rows.", id="too-small"
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#notice").display = False
        self.query_one("#form", HyperparamForm).focus_first_error() or self.query_one("#field-hidden_layers").focus()

    # --- form -----------------------------------------------------------------------------------------------------
    @property
    def form(self) -> HyperparamForm:
        return self.query_one("#form", HyperparamForm)

    @on(HyperparamForm.Changed)
    def _form_changed(self, event: HyperparamForm.Changed) -> None:
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        can_train = not self.running and self.form.config is not None
        state = (can_train, self.running)
        if state == self._button_state:
            return  # most edits change neither: spare the footer a refresh (and the training thread the GIL)
        self._button_state = state
        self.query_one("#train", Button).disabled = not can_train
        self.query_one("#stop", Button).disabled = not self.running
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "train":  # an invalid form still answers ctrl+r: it says which field blocks the run
            return not self.running or None
        if action == "stop":
            return self.running or None
        if action == "inspect":
            return self.outcome is not None and self.outcome.run_id is not None and not self.running or None
        return True

    def load_config(self, values: dict[str, Any]) -> None:
        """Put a config (from a stored run) into the form to tweak and rerun."""
        self.form.load(values)

    def show_record(self, record: RunOutcome) -> None:
        """Show a stored run on the dashboard: its curves, log and results."""
        if self.running:
            return
        self.load_config(record.config.model_dump())
        self.run_config = None
        self.epochs = list(record.epochs)
        self.outcome = record
        self.confusion, self.mistakes = record.confusion, record.mistakes
        planned = record.config.epochs
        self.query_one("#run-title", Static).update(
            f"[b]Run {record.run_id}[/] (stored) · {escape(config_label(record.config))}"
        )
        self._show_notice(None)  # a stored run's notice is in its results
        log = self.query_one(EpochLog)
        log.clear()
        for m in self.epochs:
            log.epoch(m, planned)
        self._redraw_charts(_no_epoch(record.status))
        self.query_one(EpochProgress).stored(len(self.epochs), planned, f"{record.status} · stored run")
        self.query_one(ResultsPanel).show(record)
        self._reveal_results()
        self.refresh_bindings()

    # --- actions --------------------------------------------------------------------------------------------------
    @on(Button.Pressed, "#train")
    def action_train(self) -> None:
        config = self.form.config
        if self.running:
            return
        if config is None:
            self.form.focus_first_error()
            self.notify(f"Cannot train yet: {self.form.blocking()}", severity="warning")
            return
        from hptune.core.store import StoreError

        try:
            self.recorder = self.app.store.recorder()  # the first run opens the store for writing
        except StoreError as err:
            self._worker_failed(err)
            return
        for notice in self.app.store.repairs.notices if self.app.store.repairs else ():
            self.notify(notice, title="Store repaired", severity="warning", timeout=10)
        self.running = True
        self.stop_event = threading.Event()
        self.run_config = config
        self.epochs, self.outcome, self.run_id, self.confusion, self.mistakes = [], None, None, None, ()
        self.query_one("#run-title", Static).update(f"[b]Training[/] · {escape(config_label(config))}")
        self._show_notice(None)
        self.query_one(EpochLog).clear()
        self.query_one(ResultsPanel).update("[dim]Training…[/]")
        self.query_one(EpochProgress).reset(config.epochs, "starting…")
        self._redraw_charts(f"Waiting for the first of {config.epochs} epochs…")
        self._last_chart = 0.0  # that was no epoch: the run's first one is drawn as soon as it ends
        if self.app.size.width < NARROW:
            self._show_form(False)  # the charts get the whole width while the run trains
        self.show_pane("curves")
        self._sync_buttons()
        self.training = self.run_training(config, self.stop_event, self.recorder)

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        if not self.running:
            return
        self.stop_event.set()
        self.query_one(EpochProgress).note("stopping after the current step…")

    def action_history(self) -> None:
        from hptune.tui.screens.history import HistoryScreen

        self.app.push_kept("history", HistoryScreen)  # later openings only read the runs again

    def action_lessons(self) -> None:
        from hptune.tui.screens.lessons import LessonsScreen

        self.app.push_kept("lessons", LessonsScreen)  # kept, so a lesson goes on while this screen is shown

    def action_inspect(self) -> None:
        if self.outcome is None or self.outcome.run_id is None:
            self.notify("No finished run to inspect yet.", severity="warning")
            return
        from hptune.tui.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(self.outcome.run_id))

    def action_system(self) -> None:
        from hptune.tui.widgets.system_pane import SystemPane

        SystemPane.toggle(self, lambda: self.app.training_pid)

    def action_toggle_form(self) -> None:
        pane = self.query_one("#form-pane")
        self._show_form(not pane.display)
        if pane.display:
            self.form.query_one("#field-hidden_layers").focus()

    def action_preset(self) -> None:
        self._show_form(True)
        select = self.form.query_one("#preset")
        select.focus()
        select.action_show_overlay()

    def stop_for_quit(self) -> bool:
        """Ask a running run to stop so the app can quit once it is saved; False when nothing runs."""
        if not self.running:
            return False
        self.quit_when_done = True
        self.stop_event.set()
        self.query_one(EpochProgress).note("stopping and saving before quitting…")
        return True

    # --- the worker -----------------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="training")
    def run_training(self, config: RunConfig, stop: threading.Event, recorder: Any) -> Any:
        """Runs on a thread: core.trainer.train() runs in the app's training process (core.isolated.TrainingHost),
        which relays its events here; they go out as messages."""
        last_progress = 0.0

        def forward(event: Event) -> None:
            nonlocal last_progress
            if isinstance(event, BatchProgress):
                now = time.monotonic()
                if now - last_progress < PROGRESS_INTERVAL:
                    return  # not worth waking the UI for: it would skip this one anyway
                last_progress = now
            self.post_message(wrap(event))

        if config.repeats > 1:
            return self._train_repeats(config, stop, forward)
        result = self.app.training_host.train(config, on_event=forward, stop=stop, record=recorder)
        result.run_id = recorder.run_id
        return result

    def _train_repeats(self, config: RunConfig, stop: threading.Event, forward: Any) -> Any:
        """Each seed is its own stored run, shown live like any run; the last one's panel adds the spread."""
        from hptune.core.repeats import train_repeats

        def started(index: int, recorder: Any) -> None:
            self.recorder = recorder  # read by the Started handler, which this run's events reach afterwards

        outcome = train_repeats(config, self.app.training_host.train, self.app.store, on_event=forward, stop=stop,
                                on_start=started)
        test, gap = outcome.spread("test_accuracy"), outcome.spread("gap")
        if test is not None:
            line = f"over {test.n} seeds: test accuracy {test.text('.4f')}"
            self.post_message(RepeatsDone(line + (f" · gap {gap.text()}" if gap else "")))
        return outcome.results[-1] if outcome.results else None

    @on(Loading)
    def _loading(self, message: Loading) -> None:
        self.query_one(EpochProgress).note(f"loading {message.event.dataset} and starting TensorFlow…")

    @on(RepeatsDone)
    def _repeats_done(self, message: RepeatsDone) -> None:
        if self.outcome is not None:
            self.query_one(ResultsPanel).show(self.outcome, spread=message.text)

    @on(Started)
    def _started(self, message: Started) -> None:
        event = message.event
        if self.run_config is not None and self.run_config.repeats > 1:
            self.epochs, self._pending_log = [], []  # a new seed: its own curves
            self._last_chart = 0.0  # its first epoch drawn at once
            self.query_one(EpochLog).note(f"seed {event.config.seed} ({event.config.seed - self.run_config.seed + 1}"
                                          f" of {self.run_config.repeats})")
        self.run_id = self.recorder.run_id if self.recorder else None
        self.query_one("#run-title", Static).update(
            f"[b]Run {self.run_id}[/] training · {escape(config_label(event.config))} · {event.params:,} params"
            f" · {escape(event.device)}"
        )
        self._show_notice(event.dataset.fallback)
        info = event.dataset
        self.query_one(EpochLog).note(
            f"{info.name}: {info.n_train:,} train, {info.n_val:,} val, {info.n_test:,} test · "
            f"{event.steps_per_epoch} steps per epoch · {event.device} ({event.backend})"
        )
        self.query_one(EpochProgress).note("first epoch…")

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        event = message.event
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL:
            return  # the bar moves smoothly enough at this rate; each redraw takes time from training
        self._last_progress = now
        epochs = self.run_config.epochs if self.run_config else event.epoch
        self.query_one(EpochProgress).show(event, epochs)

    @on(EpochDone)
    def _epoch_done(self, message: EpochDone) -> None:
        self.epochs.append(message.event.metrics)
        self._pending_log.append((message.event.metrics, message.event.epochs))
        self._charts_due()

    def _charts_due(self) -> None:
        """Show finished epochs in the log and the curves, at most every CHART_INTERVAL seconds: short epochs
        come faster than anyone reads them, and each redraw takes the training thread's time (the GIL)."""
        now = time.monotonic()
        wait = self._last_chart + CHART_INTERVAL - now
        if wait <= 0:
            self._redraw_charts()
        elif self._chart_timer is None:
            self._chart_timer = self.set_timer(wait, self._redraw_charts)

    def _flush_log(self) -> None:
        log = self.query_one(EpochLog)
        for metrics, planned in self._pending_log:
            log.epoch(metrics, planned)
        self._pending_log.clear()

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        outcome = message.event.outcome
        self._redraw_charts(_no_epoch(outcome.status))
        self.outcome = outcome  # named by the recorder, which saw the event first
        self.confusion, self.mistakes = outcome.confusion, outcome.mistakes
        self._show_notice(None)  # the results panel carries the notice from now on
        self.query_one(ResultsPanel).show(outcome)
        title = escape(config_label(outcome.config))
        self.query_one("#run-title", Static).update(f"[b]Run {outcome.run_id}[/] {outcome.status} · {title}")
        log = self.query_one(EpochLog)
        log.note(status_line(outcome))  # the scores are in the results panel
        if outcome.diagnosis:
            log.note(f"diagnosis: {outcome.diagnosis.line}")
        planned = self.run_config.epochs if self.run_config else len(self.epochs)
        seconds = outcome.train_seconds or 0.0
        self.query_one(EpochProgress).stored(len(self.epochs), planned, f"{outcome.status} in {seconds:.1f}s")

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "training" or event.state not in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED
        ):
            return
        self.running = False
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self.last_run_id = event.worker.result.run_id
        elif event.state == WorkerState.ERROR:
            self._worker_failed(event.worker.error)
        self._sync_buttons()
        if self.app.size.width >= NARROW:
            self._show_form(True)
        self._reveal_results()
        if self.quit_when_done:
            self.app.exit()

    def _worker_failed(self, error: BaseException | None) -> None:
        from hptune.tui.screens.error_dialog import ErrorDialog, describe_error

        title, text = describe_error(error, "Training failed")
        self.query_one("#run-title", Static).update(f"[b $error]{title}[/]")
        self.query_one(EpochProgress).note("")
        self.query_one(ResultsPanel).update(f"[$error]{escape(text)}[/]")
        if self.quit_when_done:
            return
        if self.is_active:
            self.app.push_screen(ErrorDialog(title, text))
            return
        # Another screen, the palette or a dialog is on top: a dialog pushed now would cover it mid-use. The run's
        # failure is on this screen already; its dialog waits until the user comes back here.
        self._pending_dialog = (title, text)
        self.notify(f"{title}: the main screen has the details.", severity="error")

    def on_screen_resume(self) -> None:
        if self._pending_dialog is not None and self.is_active:
            from hptune.tui.screens.error_dialog import ErrorDialog

            title, text = self._pending_dialog
            self._pending_dialog = None
            self.app.push_screen(ErrorDialog(title, text))

    # --- drawing --------------------------------------------------------------------------------------------------
    def _redraw_charts(self, empty: str | None = None) -> None:
        """The curves of the epochs so far; `empty` says why there are none (yet)."""
        if self._chart_timer is not None:
            self._chart_timer.stop()
            self._chart_timer = None
        self._last_chart = time.monotonic()
        self._flush_log()
        columns = self._columns.read(self.epochs)
        xs = columns["epoch"]
        self.query_one("#acc-chart", MetricChart).set_series(
            [Series("train", xs, columns["accuracy"]), Series("val", xs, columns["val_accuracy"])], empty,
        )
        self.query_one("#loss-chart", MetricChart).set_series(
            [Series("train", xs, columns["loss"]), Series("val", xs, columns["val_loss"])], empty,
        )

    def _reveal_results(self) -> None:
        """On a small terminal the dashboard shows one pane at a time: the results, once a run has ended."""
        self.show_pane("results")

    def _show_form(self, shown: bool) -> None:
        self.query_one("#form-pane").display = shown
        # On the charts, not on a container of the form: a class change restyles the whole subtree it is set on,
        # and the form's fields made that most of ctrl+f (60 ms a press while training).
        self.query_one("#charts").set_class(not shown, "-no-form")

    def _show_notice(self, text: str | None) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(f"[b]notice:[/] {escape(text)}" if text else "")
        notice.display = bool(text)
