"""One finished run up close: its confusion matrix and the test digits it got wrong, drawn in the terminal."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from hptune.core.config import format_bytes
from hptune.core.labels import config_label
from hptune.core.outcome import RunOutcome
from hptune.tui.messages import OpenRun
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.panes import PaneSwitcher
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets import ConfusionMatrix, Digit, DigitGrid, ResultsPanel
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.key_footer import KeyFooter

__all__ = ["RunDetailScreen"]


class RunDetailScreen(LayoutOnce, KeepStyles, PaneSwitcher, Screen[None]):
    PANES = ("confusion", "results", "digits")
    PANE_TABS, PANE_BODY = "detail-panes", "detail-body"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("o", "open", "Open", tooltip="Open the run's config in the form, to tweak and rerun"),
        Binding("ctrl+n", "next_pane", "Pane", show=False,
                tooltip="On a small terminal: the next of confusion matrix, results and digits"),
    ]

    def __init__(self, run_id: int) -> None:
        super().__init__(id="run-detail")
        self.run_id = run_id
        self.record: RunOutcome | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Tabs(Tab("Confusion", id="pane-confusion"), Tab("Results", id="pane-results"),
                   Tab("Digits", id="pane-digits"), id="detail-panes", classes="pane-switcher")
        with VerticalScroll(id="detail-body", classes="screen-body -show-confusion"):
            yield Static("", id="detail-title")
            with Horizontal(id="detail-top"):
                yield ConfusionMatrix(id="confusion")
                yield ResultsPanel(id="detail-results")
            with Vertical(id="mistakes-pane") as pane:
                pane.border_title = "Misclassified test digits (true→predicted)"
                yield Static("", id="mistakes-note")
                yield DigitGrid(id="mistakes")
        yield Static("Terminal too small for hptune: make it at least 60 columns by 16 rows.", id="too-small")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        try:
            self.record = self.app.store.get(self.run_id)
        except KeyError as err:
            self.query_one("#detail-title", Static).update(f"[$error]{escape(str(err.args[0]))}[/]")
            return
        r = self.record
        self.sub_title = f"run {r.run_id}"
        if r.model_file:
            size = f", {format_bytes(r.model_bytes)}" if r.model_bytes is not None else ""
            kept = f"model kept{size}: hptune export {r.run_id} --out FILE.keras"
        else:
            kept = "no model kept (tick Keep model in the form to keep one)"
        self.query_one("#detail-title", Static).update(
            f"[b]Run {r.run_id}[/] · {escape(config_label(r.config))} · {len(r.epochs)}/{r.config.epochs} epochs"
            f"\n[$text-muted]{escape(kept)}[/]"
        )
        self.query_one(ConfusionMatrix).show(r.confusion)
        self.query_one(ResultsPanel).show(r)
        if r.mistakes:
            self.query_one("#mistakes-note", Static).update(
                f"loading {len(r.mistakes)} test images from {r.dataset.name if r.dataset else r.config.dataset}…"
            )
            self.query_one(DigitGrid).display = False  # its empty text would contradict the note until they load
            self.load_digits(r)
        else:
            self.query_one("#mistakes-note", Static).update("No misclassified test digits were stored for this run.")
            self.query_one(DigitGrid).display = False

    @work(thread=True, exclusive=True, exit_on_error=False, group="digits")
    def load_digits(self, record: RunOutcome) -> list[Digit]:
        """Reading the test images can take a moment (or import Keras for mnist), so it runs off the UI thread."""
        from hptune.core.data import load_dataset

        name = record.dataset.name if record.dataset else record.config.dataset
        data = load_dataset(name, record.config.validation_size, normalize=True)
        images = data.x_test
        top = float(images.max()) or 1.0
        return [Digit(images[i] / top, int(t), int(p), int(i)) for i, t, p in record.mistakes if i < len(images)]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "digits":
            return
        note = self.query_one("#mistakes-note", Static)
        if event.state == WorkerState.SUCCESS:
            digits = event.worker.result
            n_test = self.record.dataset.n_test if self.record.dataset else None
            total = f" of {len(self.record.mistakes)} stored" if len(digits) != len(self.record.mistakes) else ""
            note.update(f"{len(digits)} shown{total}" + (f" · {n_test:,} test images" if n_test else ""))
            grid = self.query_one(DigitGrid)
            grid.set_digits(digits)
            grid.display = bool(digits)
        elif event.state == WorkerState.ERROR:
            note.update(f"[$error]Could not load the test images: {escape(str(event.worker.error))}[/]")

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_open(self) -> None:
        if self.record is None:
            return
        self.post_message(OpenRun(self.record))
