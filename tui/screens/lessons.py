"""The Lessons screen: pick one of the tutorial's experiments, run it with several seeds, watch it fill in run by run
and read the conclusion the numbers support. Past lesson studies can be reopened and resumed."""

from __future__ import annotations

import threading
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from hptune.core.config import ConfigError
from hptune.core.events import EpochEnded, Event, RunStarted
from hptune.core.labels import config_label
from hptune.core.lessons import (
    DEFAULT_REPEATS,
    LESSON_ATTR,
    LESSONS,
    Lesson,
    LessonReport,
    RunView,
    finished_runs,
    new_study_name,
    plan,
    report,
)
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.dropdown import Dropdown
from hptune.tui.widgets.key_footer import KeyFooter
from hptune.tui.widgets.lesson_chart import LessonChart

__all__ = ["LessonsScreen"]

NEW_STUDY = "new"


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value['mean']:.3f}" + (f"±{value['std']:.3f}" if value.get("n", 1) > 1 else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


#: Table columns per lesson: (row key, header).
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "capacity": (("network", "network"), ("params", "params"), ("train_accuracy", "train acc"),
                 ("val_accuracy", "val acc"), ("variance", "gap=variance"), ("bias", "bias"),
                 ("diagnosis", "diagnosis")),
    "data-size": (("label", "share"), ("n_train", "images"), ("train_error", "train err"),
                  ("val_error", "val err"), ("gap", "gap"), ("diagnosis", "diagnosis")),
    "overfit": (("variant", "variant"), ("val_loss_turns_at", "turns at"), ("epochs_trained", "epochs"),
                ("train_accuracy", "train acc"), ("val_accuracy", "val acc"), ("test_accuracy", "test acc"),
                ("gap", "gap")),
    "scaling": (("network", "network"), ("raw_test_accuracy", "raw 0-255"), ("normalized_test_accuracy", "0-1"),
                ("difference", "gain"), ("larger_than_spread", "beyond spread")),
}


class LessonsScreen(LayoutOnce, KeepStyles, Screen[None]):
    """One key from the main screen: the tutorial's experiments, each a small study with seed spread."""

    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True, tooltip="Start the lesson, or resume the chosen study"),
        Binding("ctrl+s", "stop", "Stop", priority=True, tooltip="Stop after the current step; finished runs are kept"),
        Binding("escape", "back", "Back", tooltip="Back to the main screen (a running lesson goes on)"),
    ]

    class RunDone(Message):
        """A lesson run ended; `views` holds every finished run of the lesson so far."""

        def __init__(self, view: RunView, views: list[RunView]) -> None:
            super().__init__()
            self.view = view
            self.views = views

    class Status(Message):
        """A line about the run in progress (which step, which seed, which epoch)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__(id="lessons")
        self.lesson: Lesson | None = None
        self.study: str | None = None
        self.result: LessonReport | None = None
        self.running = False
        self.stop_event = threading.Event()
        self._host: Any = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="lessons-body"):
            with Vertical(id="lesson-pane"):
                yield Dropdown([(name, name) for name in LESSONS], value="capacity", allow_blank=False,
                             id="lesson-name", compact=True)
                yield Static("", id="lesson-question")
                with Horizontal(classes="lesson-field"):
                    yield Label("Repeats", classes="lesson-label")
                    yield Input(str(DEFAULT_REPEATS), id="lesson-repeats", compact=True, type="integer")
                with Horizontal(classes="lesson-field"):
                    yield Label("Epochs", classes="lesson-label")
                    yield Input("", id="lesson-epochs", compact=True, type="integer")
                with Horizontal(classes="lesson-field"):
                    yield Label("Dataset", classes="lesson-label")
                    yield Input("mnist-5k", id="lesson-dataset", compact=True)
                yield Label("Study", classes="lesson-label")
                yield Dropdown([("new study", NEW_STUDY)], value=NEW_STUDY, allow_blank=False, id="lesson-study",
                             compact=True)
                with Horizontal(id="lesson-actions"):
                    yield Button("Start ^r", variant="success", id="lesson-start", compact=True)
                    yield Button("Stop ^s", variant="error", id="lesson-stop", compact=True, disabled=True)
            with VerticalScroll(id="lesson-view"):
                yield Static("", id="lesson-title")
                yield Static("", id="lesson-status")
                yield LessonChart(id="lesson-chart")
                yield DataTable(id="lesson-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="lesson-conclusion")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._lesson_chosen("capacity")

    def on_unmount(self) -> None:
        self.stop_event.set()
        if self._host is not None:
            self._host.close()

    # --- choosing -------------------------------------------------------------------------------------------------
    @on(Select.Changed, "#lesson-name")
    def _name_changed(self, event: Select.Changed) -> None:
        if not self.running:
            self._lesson_chosen(str(event.value))

    def _lesson_chosen(self, name: str) -> None:
        title, question, epochs = LESSONS[name]
        self.query_one("#lesson-question", Static).update(f"[b]{escape(title)}[/]\n{escape(question)}")
        self.query_one("#lesson-epochs", Input).placeholder = str(epochs)
        self._list_studies(name, NEW_STUDY)
        self.lesson, self.study = plan(name), None
        self._show(report(self.lesson, []))

    def _list_studies(self, name: str, chosen: str) -> None:
        """The stored studies of lesson `name` (newest first), for reopening or resuming."""
        studies = [s["name"] for s in self.app.store.studies()
                   if (s["user_attrs"].get(LESSON_ATTR) or {}).get("name") == name]
        select = self.query_one("#lesson-study", Select)
        with self.prevent(Select.Changed):
            select.set_options([("new study", NEW_STUDY), *((s, s) for s in sorted(studies, reverse=True))])
            select.value = chosen if chosen in studies else NEW_STUDY

    def on_screen_resume(self) -> None:
        if not self.running and self.lesson is not None:
            self._list_studies(self.lesson.name, self.study or NEW_STUDY)

    @on(Select.Changed, "#lesson-study")
    def _study_changed(self, event: Select.Changed) -> None:
        if self.running or event.value in (NEW_STUDY, Select.BLANK):
            return
        self.open_study(str(event.value))

    def open_study(self, study: str) -> None:
        """Show a stored lesson study as far as it got (reads only)."""
        settings = next((s["user_attrs"].get(LESSON_ATTR) for s in self.app.store.studies() if s["name"] == study),
                        None)
        if not settings:
            self.notify(f"{study} is not a lesson study", severity="warning")
            return
        self.lesson = plan(settings["name"], settings["dataset"], settings["repeats"], settings["epochs"])
        self.study = study
        self._show(report(self.lesson, finished_runs(self.app.store, study)))

    def _settings(self) -> Lesson | None:
        name = str(self.query_one("#lesson-name", Select).value)
        try:
            repeats = int(self.query_one("#lesson-repeats", Input).value or DEFAULT_REPEATS)
            epochs_text = self.query_one("#lesson-epochs", Input).value
            epochs = int(epochs_text) if epochs_text else None
            dataset = self.query_one("#lesson-dataset", Input).value.strip() or "mnist-5k"
            if epochs is not None and not 1 <= epochs <= 10_000:
                raise ConfigError(f"epochs: expected 1 to 10000, got {epochs}", "epochs")
            return plan(name, dataset, repeats, epochs)
        except ConfigError as err:
            self.notify(str(err), severity="error", title="Invalid lesson")
        except ValueError:
            self.notify("repeats and epochs: expected whole numbers", severity="error", title="Invalid lesson")
        return None

    # --- running --------------------------------------------------------------------------------------------------
    @on(Button.Pressed, "#lesson-start")
    def action_start(self) -> None:
        if self.running:
            return
        chosen = self.query_one("#lesson-study", Select).value
        if chosen not in (NEW_STUDY, Select.BLANK):
            self.open_study(str(chosen))  # resume: the study's own settings
            lesson, study = self.lesson, str(chosen)
        else:
            lesson, study = self._settings(), new_study_name(str(self.query_one("#lesson-name", Select).value))
        if lesson is None:
            return
        self.lesson, self.study = lesson, study
        self.running = True
        self.stop_event = threading.Event()
        self._sync_buttons()
        self.query_one("#lesson-status", Static).update("starting TensorFlow…")
        self.run_lesson_worker(lesson, study, self.stop_event)

    @on(Button.Pressed, "#lesson-stop")
    def action_stop(self) -> None:
        if self.running:
            self.stop_event.set()
            status = self.query_one("#lesson-status", Static)
            status.update("stopping after the current step; finished runs are kept…")

    def action_back(self) -> None:
        self.app.pop_screen()

    def _training_host(self) -> Any:
        """The lesson's own training process (core.isolated), so a lesson and a main-screen run never queue on one
        another; TensorFlow never loads in the UI's process."""
        if self._host is None:
            from hptune.core.isolated import TrainingHost

            self._host = TrainingHost()
        return self._host

    @work(thread=True, exclusive=True, exit_on_error=False, group="lesson")
    def run_lesson_worker(self, lesson: Lesson, study: str, stop: threading.Event) -> list[RunView]:
        from hptune.core.lessons import run_lesson

        position = {"step": "", "seed": 0}

        def forward(event: Event) -> None:
            if isinstance(event, RunStarted):
                position["step"], position["seed"] = config_label(event.config), event.config.seed
                self.post_message(self.Status(f"training {position['step']} · seed {position['seed']}…"))
            elif isinstance(event, EpochEnded):
                epoch = f"epoch {event.metrics.epoch}/{event.epochs}"
                self.post_message(self.Status(f"training {position['step']} · seed {position['seed']} · {epoch}"))

        return run_lesson(lesson, self._training_host().train, self.app.store, study, on_event=forward, stop=stop,
                          on_run=lambda view, views: self.post_message(self.RunDone(view, views)))

    @on(Status)
    def _status(self, message: Status) -> None:
        if self.running and not self.stop_event.is_set():
            self.query_one("#lesson-status", Static).update(escape(message.text))

    @on(RunDone)
    def _run_done(self, message: RunDone) -> None:
        if self.lesson is not None:
            self._show(report(self.lesson, message.views))

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "lesson" or event.state not in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED
        ):
            return
        self.running = False
        self._sync_buttons()
        if self.lesson is not None:
            self._list_studies(self.lesson.name, self.study or NEW_STUDY)
        status = self.query_one("#lesson-status", Static)
        if event.state == WorkerState.SUCCESS and self.lesson is not None:
            result = report(self.lesson, event.worker.result)
            self._show(result)
            if not result.complete:
                status.update(f"stopped with {result.runs_done} of {self.lesson.total_runs} runs done: choose"
                              f" study {escape(self.study or '')} and press ctrl+r to resume")
            else:
                status.update(f"done: {result.runs_done} runs in study {escape(self.study or '')}")
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            status.update(f"[$error]the lesson failed: {escape(str(error))}[/]")

    # --- drawing --------------------------------------------------------------------------------------------------
    def _sync_buttons(self) -> None:
        self.query_one("#lesson-start", Button).disabled = self.running
        self.query_one("#lesson-stop", Button).disabled = not self.running
        for selector in ("#lesson-name", "#lesson-study", "#lesson-repeats", "#lesson-epochs", "#lesson-dataset"):
            self.query_one(selector).disabled = self.running

    def _show(self, result: LessonReport) -> None:
        self.result = result
        lesson = result.lesson
        where = f" · study {escape(self.study)}" if self.study and result.runs_done else ""
        self.query_one("#lesson-title", Static).update(
            f"[b]{escape(lesson.title)}[/] · {result.runs_done}/{lesson.total_runs} runs ·"
            f" {lesson.repeats} seeds × {lesson.epochs} epochs on {escape(lesson.dataset)}{where}"
        )
        self.query_one(LessonChart).show(
            result, f"{lesson.total_runs} runs planned: press ctrl+r to start" if not result.runs_done else None
        )
        table = self.query_one("#lesson-table", DataTable)
        table.clear(columns=True)
        columns = COLUMNS[lesson.name]
        cells = [[_cell(row.get(key)) for key, _ in columns] for row in result.rows]
        for i, (_, header) in enumerate(columns):  # widths set here: the table then draws in one pass
            table.add_column(header, width=max([len(header), *(len(c[i]) for c in cells)]))
        for line in cells:
            table.add_row(*line)
        conclusion = self.query_one("#lesson-conclusion", Static)
        if result.conclusion:
            conclusion.update(f"[b]Conclusion[/] ({lesson.repeats} seeds each): {escape(result.conclusion)}")
        elif result.runs_done:
            conclusion.update("[dim]The conclusion appears once every network has finished runs.[/]")
        else:
            conclusion.update("")
