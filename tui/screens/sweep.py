"""The sweep screen: edit a search space, run it with Optuna in worker processes (the core's sweep runner), watch
any sweep on the store, and take the best config back to the main form."""

from __future__ import annotations

import threading
import time
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from hptune.core.config import format_validation_error
from hptune.core.labels import config_label
from hptune.core.space import ALGORITHMS, DEFAULT_TRIALS, OBJECTIVES, PRUNERS, Range, SearchSpace, SweepSettings
from hptune.core.sweeps import SweepSnapshot
from hptune.tui.messages import UseConfig
from hptune.tui.screens.error_dialog import ErrorDialog
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.panes import PaneSwitcher
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.dropdown import Dropdown
from hptune.tui.widgets.key_footer import KeyFooter
from hptune.tui.widgets.metric_chart import MetricChart, Series
from hptune.tui.widgets.space_editor import SpaceEditor
from hptune.tui.widgets.sweep_charts import BestSoFarChart, ParamScatter
from hptune.tui.widgets.text import show_text
from hptune.tui.widgets.trial_table import TrialTable

__all__ = ["SweepScreen"]

#: Seconds between reads of the store while a sweep is shown.
POLL_SECONDS = 1.0


class SweepScreen(LayoutOnce, KeepStyles, PaneSwitcher, Screen[None]):
    """Search hyperparameters: a space, an algorithm, a budget; a live table and charts of the trials."""

    PANES = ("setup", "trials", "charts")
    PANE_TABS, PANE_BODY = "sweep-panes", "sweep-body"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "start", "Start", priority=True, tooltip="Start a sweep over the space on the left"),
        Binding("ctrl+s", "stop", "Stop", priority=True, tooltip="Stop the sweep; finished trials and the best stay"),
        Binding("ctrl+u", "resume", "Resume", priority=True,
                tooltip="Go on with the watched sweep: its unrun points run, its budget counts what is done"),
        Binding("ctrl+b", "use_best", "Use best", priority=True,
                tooltip="Put the best trial's config in the main form"),
        Binding("ctrl+k", "importance", "Importance", priority=True, show=False,
                tooltip="Which hyperparameters mattered for the sweep's objective"),
        Binding("ctrl+y", "system", "Load", priority=True, show=False, tooltip="Show or hide CPU, memory and GPU load"),
        Binding("ctrl+n", "next_pane", "Pane", priority=True, show=False,
                tooltip="On a small terminal: the next of setup, trials and charts"),
    ]

    class SnapshotRead(Message):
        """A fresh read of the watched sweep, from the polling thread or the sweep runner."""

        def __init__(self, snapshot: SweepSnapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    def __init__(self) -> None:
        super().__init__(id="sweep")
        self.space: SearchSpace | None = None
        self.watching: str | None = None
        self.snapshot: SweepSnapshot | None = None
        self.running = False
        self.stop_event = threading.Event()
        #: The score-against-parameter charts shown, by parameter.
        self._scatters: dict[str, ParamScatter] = {}
        self._reading = False
        self._sweep_options: list[tuple[str, str]] | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Tabs(Tab("Setup", id="pane-setup"), Tab("Trials", id="pane-trials"), Tab("Charts", id="pane-charts"),
                   id="sweep-panes", classes="pane-switcher")
        with Horizontal(id="sweep-body", classes="screen-body -show-setup"):
            with Horizontal(id="sweep-left"):
                yield SpaceEditor(id="space")
                with Vertical(id="sweep-side"):
                    with Vertical(id="sweep-settings"):
                        defaults = SweepSettings.model_fields
                        for name, options in (("algorithm", ALGORITHMS), ("pruner", PRUNERS),
                                              ("objective", OBJECTIVES)):
                            with Horizontal(classes="setting-row"):
                                yield Label(name, classes="setting-label")
                                yield Dropdown([(o, o) for o in options], value=defaults[name].default,
                                               allow_blank=False, compact=True, id=f"setting-{name}", classes="setting")
                        for name, value, hint in (("trials", "", f"{DEFAULT_TRIALS} (budget)"),
                                                  ("timeout", "", "seconds"),
                                                  ("workers", str(defaults["workers"].default), "processes"),
                                                  ("study", "", "name (auto)")):
                            with Horizontal(classes="setting-row"):
                                yield Label(name, classes="setting-label")
                                yield Input(value, placeholder=hint, compact=True, id=f"setting-{name}",
                                            classes="setting")
                        yield Static("", id="settings-error")
                    with Horizontal(id="sweep-actions"):
                        yield Button("Start ^r", variant="success", id="start", compact=True)
                        yield Button("Stop ^s", variant="error", id="stop", compact=True, disabled=True)
                        yield Button("Best ^b", id="use-best", compact=True, disabled=True,
                                     tooltip="Put the best trial's config in the main form")
                        yield Button("Resume ^u", variant="primary", id="resume", compact=True, disabled=True,
                                     tooltip="Go on with the watched sweep where it stopped")
                    with Horizontal(id="watch-row"):
                        yield Dropdown([], prompt="watch a sweep…", compact=True, id="watch")
            with Vertical(id="sweep-right"):
                yield Static("No sweep yet: edit the space, then press [b]ctrl+r[/] — or watch one from the store.",
                             id="sweep-status")
                yield TrialTable(id="trials")
                with Vertical(id="sweep-plots"):
                    with Horizontal(id="sweep-charts"):
                        yield BestSoFarChart(id="best-chart", classes="chart")
                        yield MetricChart("Best trial", "accuracy", id="best-curves", classes="chart",
                                          empty="No trial has finished yet.")
                    yield Horizontal(id="scatters")
        yield KeyFooter(compact=True)

    async def built(self) -> None:
        """Return once the screen is whole: the space editor mounts its rows in steps (tui.steps)."""
        await self.query_one(SpaceEditor).built.wait()

    def is_built(self) -> bool:
        try:
            return self.query_one(SpaceEditor).built.is_set()
        except NoMatches:  # not composed yet
            return False

    def on_mount(self) -> None:
        self.sub_title = f"sweeps · {self.app.store.display}"
        self.set_interval(POLL_SECONDS, self._poll)
        self._list_sweeps()

    def on_screen_resume(self) -> None:
        """Each showing lists the store's sweeps again: the screen is kept (and built ahead), and sweeps started
        from a command line meanwhile should be there to watch."""
        self._list_sweeps()

    def on_unmount(self, event: events.Unmount) -> None:
        self._stop_sweep()  # leaving the app: no training thread outlives it

    # --- the space and settings -----------------------------------------------------------------------------------
    @on(SpaceEditor.Changed)
    def _space_changed(self, event: SpaceEditor.Changed) -> None:
        self.space = event.space
        self._sync()

    @on(Input.Changed, ".setting")
    @on(Select.Changed, ".setting")
    def _setting_changed(self) -> None:
        self._sync()

    def settings(self) -> tuple[SweepSettings | None, str | None]:
        """The settings as the core validates them, or None and the core's message."""
        from pydantic import ValidationError

        values: dict[str, Any] = {name: self.query_one(f"#setting-{name}", Select).value
                                  for name in ("algorithm", "pruner", "objective")}
        for name in ("trials", "timeout", "workers"):
            text = self.query_one(f"#setting-{name}", Input).value.strip()
            if text:
                values[name] = text
        if values["algorithm"] == "grid":
            values.pop("trials", None)  # every point
        try:
            return SweepSettings.with_budget(values), None
        except ValidationError as err:
            return None, format_validation_error(err)

    def _sync(self) -> None:
        settings, error = self.settings()
        if settings is not None and self.space is not None and settings.algorithm == "grid":
            from hptune.core.config import ConfigError

            try:
                error = f"grid: {len(self.space.grid())} points" if not error else error
            except ConfigError as err:
                error, settings = str(err), None
        show_text(self.query_one("#settings-error", Static), error or "")
        self.query_one("#start", Button).disabled = self.running or self.space is None or settings is None
        self.query_one("#stop", Button).disabled = not self.running
        self.query_one("#resume", Button).disabled = not self._resumable()
        self.refresh_bindings()

    def _resumable(self) -> bool:
        return not self.running and self.snapshot is not None and self.snapshot.resumable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return not self.query_one("#start", Button).disabled or None
        if action == "stop":
            return self.running or None
        if action == "resume":
            return self._resumable() or None
        if action == "use_best":
            return (self.snapshot is not None and self.snapshot.best is not None) or None
        return True

    # --- running ------------------------------------------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        settings, error = self.settings()
        if self.running or self.space is None or settings is None:
            self.notify(error or self.query_one(SpaceEditor).error or "The space is not valid yet.", severity="warning")
            return
        name = self.query_one("#setting-study", Input).value.strip() or time.strftime("sweep-%Y%m%d-%H%M%S")
        self.running = True
        self.stop_event = threading.Event()
        self.watching = name
        self.snapshot = None
        self._status(f"Starting sweep [b]{name}[/] …")
        self.show_pane("trials")
        self._sync()
        self._run_sweep(self.space, settings, name, self.stop_event)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep")
    def _run_sweep(self, space: SearchSpace, settings: SweepSettings, name: str, stop: threading.Event) -> None:
        """Check and create the sweep, then let the core's runner start its worker processes (TensorFlow never
        loads in the UI's process) and follow it; its reads come here as messages."""
        from hptune.core.sweep_runner import follow_sweep, start_sweep

        store = self.app.store
        start_sweep(store, name, space, settings)
        self.app.call_from_thread(self._list_sweeps)
        outcome = follow_sweep(store, name, settings.workers, stop=stop,
                               on_snapshot=lambda snap: self.post_message(self.SnapshotRead(snap)))
        failure = outcome.failure()
        if failure is not None:
            raise failure

    @on(Button.Pressed, "#resume")
    def action_resume(self) -> None:
        if not self._resumable() or self.watching is None:
            self.notify("Watch a stopped sweep to resume it.", severity="warning")
            return
        self.running = True
        self.stop_event = threading.Event()
        self._status(f"Resuming sweep [b]{self.watching}[/] …")
        self._sync()
        self._resume_sweep(self.watching, self.stop_event)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep")
    def _resume_sweep(self, name: str, stop: threading.Event) -> None:
        """The same runner as `hptune sweep --resume`: queue what is left, then start and follow the workers."""
        from hptune.core.sweep_runner import follow_sweep, restart_sweep

        store = self.app.store
        resumed = restart_sweep(store, name)
        outcome = follow_sweep(store, name, resumed.sweep.settings.workers, stop=stop,
                               on_snapshot=lambda snap: self.post_message(self.SnapshotRead(snap)))
        failure = outcome.failure()
        if failure is not None:
            raise failure

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "sweep" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                                  WorkerState.CANCELLED):
            return
        self.running = False
        self._sync()
        self._poll()
        if event.state == WorkerState.ERROR:
            self.app.push_screen(ErrorDialog.about(event.worker.error, "The sweep failed"))
        else:
            self.notify(f"Sweep {self.watching} finished.")

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        self._stop_sweep()
        self._status(f"Stopping [b]{self.watching}[/]: running trials end at their next epoch end …")

    def _stop_sweep(self) -> None:
        """The runner asks every worker of the sweep to stop; running trials end at their next epoch end."""
        if self.running:
            self.stop_event.set()

    # --- watching -----------------------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-list")
    def _list_sweeps(self) -> None:
        from hptune.core.sweeps import list_sweeps

        names = list_sweeps(self.app.store)
        self.app.call_from_thread(self._set_sweeps, names)

    def _set_sweeps(self, names: list[str]) -> None:
        select = self.query_one("#watch", Select)
        options = [(n, n) for n in reversed(names)]
        if options != self._sweep_options:  # new options lay the screen out again: only when the list changed
            self._sweep_options = options
            select.set_options(options)
        if self.watching in names:
            with select.prevent(Select.Changed):
                select.value = self.watching

    @on(Select.Changed, "#watch")
    def _watch(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self.watching:
            return
        if self.running:
            self.notify("A sweep runs here: stop it before watching another.", severity="warning")
            return
        self.watching = str(event.value)
        self.snapshot = None
        self._status(f"Watching [b]{self.watching}[/] …")
        self.query_one(TrialTable).clear()  # the previous sweep's rows, charts and best go with it
        self._clear_charts()
        self.show_pane("trials")
        self._poll()

    def _poll(self) -> None:
        if self.watching is None or self._reading or self.running:  # a running sweep's runner sends its reads
            return
        self._reading = True
        self._read(self.watching)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-poll")
    def _read(self, name: str) -> None:
        from hptune.core.sweeps import SweepError, snapshot

        try:
            snap = snapshot(self.app.store, name)
        except SweepError:
            return  # not created yet
        finally:
            self._reading = False
        self.post_message(self.SnapshotRead(snap))

    @on(SnapshotRead)
    def _show(self, message: SweepScreen.SnapshotRead) -> None:
        snap = message.snapshot
        if snap.sweep.name != self.watching:
            return
        try:
            self._draw(snap)
        except NoMatches:  # a read the runner sent just before the app closed, arriving after the widgets left
            return

    def _draw(self, snap: SweepSnapshot) -> None:
        first = self.snapshot is None
        self.snapshot = snap
        settings = snap.sweep.settings
        searched = list(snap.sweep.space.space)
        if first and not self.running:
            self.query_one(SpaceEditor).load(snap.sweep.space)
            self._load_settings(snap)
        self.query_one(TrialTable).set_trials(snap.trials, searched, snap.sweep.space.max_epochs)
        maximize = settings.direction == "maximize"
        self.query_one(BestSoFarChart).show(snap.trials, settings.objective, maximize)
        self._show_scatters(snap, searched)
        best = snap.best
        curves = self.query_one("#best-curves", MetricChart)
        if best is not None:
            xs = [e.epoch for e in best.epochs]
            curves.title = f"Best trial #{best.number}"
            curves.set_series([Series("train acc", xs, [e.accuracy for e in best.epochs]),
                               Series("val acc", xs, [e.val_accuracy for e in best.epochs])])
        else:
            curves.title = "Best trial"
            curves.set_series([])
        self._status(self._headline(snap))
        self.query_one("#use-best", Button).disabled = best is None
        self._sync()

    def _headline(self, snap: SweepSnapshot) -> str:
        """What the sweep is doing and how far it got; a stopped sweep's unrun points read "not run", and a
        sweep that can go on says how."""
        settings = snap.sweep.settings
        best = snap.best
        live = self.running or snap.count("RUNNING")
        resumable = not live and snap.resumable
        state = "running" if live else "stopped" if snap.sweep.stopped else "interrupted" if resumable else "idle"
        cut = sum(t.finished and t.status in ("stopped", "interrupted") for t in snap.trials)
        counts = [(snap.count("COMPLETE"), "complete"), (snap.count("PRUNED"), "pruned"),
                  (snap.count("FAIL") - cut, "failed"), (cut, "stopped"), (snap.count("RUNNING"), "running"),
                  (snap.count("WAITING"), "queued" if live or not resumable else "not run")]
        shown = ", ".join(f"{n} {what}" for n, what in counts if n) or "no trials"
        if best:
            best_text = f"best {settings.objective} {best.value:.4f} (trial {best.number})"
        else:
            best_text = "no trial complete yet"
        hint = " · [b]ctrl+u[/] resumes it" if resumable and not self.running else ""
        return (f"[b]{snap.sweep.name}[/] · {settings.algorithm}, pruner {settings.pruner} · {state} · {shown}"
                f" · {best_text}{hint}")

    def _show_scatters(self, snap: SweepSnapshot, searched: list[str]) -> None:
        box = self.query_one("#scatters", Horizontal)
        # The charts this screen put there, not a query: removing widgets ends after a few hops, and meanwhile the
        # old ones are still children (and a new chart given the same id as one on its way out was refused).
        charts = self._scatters
        if list(charts) != searched:
            box.remove_children()
            charts = self._scatters = {name: ParamScatter(name, classes="chart") for name in searched}
            box.mount_all(charts.values())
        for name, chart in charts.items():
            spec = snap.sweep.space.space[name]
            chart.show(snap.trials, snap.sweep.settings.objective, log_x=isinstance(spec, Range) and spec.log)

    def _load_settings(self, snap: SweepSnapshot) -> None:
        """The watched sweep's settings beside its space, so the left side never contradicts the status line."""
        settings = snap.sweep.settings
        for name, options in (("algorithm", ALGORITHMS), ("pruner", PRUNERS), ("objective", OBJECTIVES)):
            value = getattr(settings, name)
            if value in options:  # an old study's test objective is shown in the status line only
                self.query_one(f"#setting-{name}", Select).value = value
        for name, value in (("trials", settings.trials), ("timeout", settings.timeout), ("workers", settings.workers),
                            ("study", snap.sweep.name)):
            text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
            self.query_one(f"#setting-{name}", Input).value = text

    def _clear_charts(self) -> None:
        self.query_one(BestSoFarChart).show([], SweepSettings.model_fields["objective"].default, True)
        curves = self.query_one("#best-curves", MetricChart)
        curves.title = "Best trial"
        curves.set_series([])
        self.query_one("#scatters", Horizontal).remove_children()
        self._scatters = {}

    def _status(self, text: str) -> None:
        show_text(self.query_one("#sweep-status", Static), text)

    # --- results ------------------------------------------------------------------------------------------------------
    @on(Button.Pressed, "#use-best")
    def action_use_best(self) -> None:
        if not self.is_active:  # left already: a second press queued on the button must not pop the main screen
            return
        config = self.snapshot.best_config() if self.snapshot is not None else None
        if config is None:
            self.notify("No finished trial yet.", severity="warning")
            return
        searched = list(self.snapshot.sweep.space.space) if self.snapshot is not None else []
        self.post_message(UseConfig(config, f"The best trial's config ({config_label(config, also=searched)})"))

    def action_importance(self) -> None:
        from hptune.tui.screens.importance import ImportanceScreen

        if self.watching is None:
            self.notify("Start or watch a sweep first.", severity="warning")
            return
        self.app.push_screen(ImportanceScreen(self.watching))

    def action_system(self) -> None:
        from hptune.tui.widgets.system_pane import SystemPane

        SystemPane.toggle(self)

    def action_back(self) -> None:
        self.app.pop_screen()
