"""Every stored run: sort, select several to overlay their validation curves, reopen, inspect, delete, export."""

from __future__ import annotations

from datetime import datetime
from operator import is_
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from hptune.core.collector import freeze_long_lived
from hptune.core.filters import filter_records
from hptune.core.fit import shorten_end
from hptune.core.labels import config_label, distinct_labels
from hptune.core.store import Store, StoreError
from hptune.tui.messages import OpenRun
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets import MetricChart, RunTable, Series
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.key_footer import KeyFooter
from hptune.tui.widgets.run_table import PAGE
from hptune.tui.widgets.text import show_text

__all__ = ["HistoryScreen"]


class HistoryScreen(LayoutOnce, KeepStyles, Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("i", "inspect", "Inspect", tooltip="Confusion matrix and misclassified digits (also enter)"),
        Binding("o", "open", "Open", tooltip="Open the run's config in the form, to tweak and rerun"),
        Binding("d", "delete", "Delete"),
        Binding("e", "export", "CSV", tooltip="Export the table to a CSV file in hptune's data folder (exports/)"),
        Binding("slash", "filter", "Filter", show=False, tooltip="Show only runs matching an expression"),
        Binding("n", "note", "Note", show=False, tooltip="Edit the run's note and tags"),
        Binding("c", "compare", "Compare", show=False,
                tooltip="Compare the two marked runs: config, metrics, confusion delta"),
    ]

    def __init__(self) -> None:
        super().__init__(id="history")
        self.records: list[Any] = []
        #: Every stored run as last read (the filter picks from these without reading the store again).
        self.all_records: list[Any] = []
        self.notes: Any = None
        self.filter_text = ""
        #: The runs have been read (False while the store is being read in the background).
        self.loaded = False
        #: What the overlay charts last drew (the width, the runs), so an unchanged overlay is not drawn again.
        self._overlaid: tuple[int, list[Any]] | None = None
        self._status_one_line = False
        #: Closed since it was last shown (not covered): showing it again reads the runs again.
        self._read_when_shown = False

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Vertical(id="history-body", classes="screen-body"):
            yield RunTable(id="runs")
            yield Static("", id="history-status")
            with Horizontal(id="overlay"):
                yield MetricChart("Validation accuracy", "val acc", id="overlay-acc", classes="chart")
                yield MetricChart("Validation loss", "val loss", id="overlay-loss", classes="chart")
        yield Static("Terminal too small for hptune: make it at least 60 columns by 16 rows.", id="too-small")
        yield KeyFooter(compact=True)

    def on_resize(self) -> None:
        if self.loaded and self.table.fitted_width != self.app.size.width:
            self.table.refit()

    def on_mount(self) -> None:
        self.sub_title = f"history · {self.app.store.display}"
        self._open()

    # The screen is built once and kept (the app's push_kept): each opening reads the runs again.
    def on_screen_suspend(self) -> None:
        if self not in self.app.screen_stack:  # closed, not covered by a screen or dialog of its own
            self._read_when_shown = True

    def on_screen_resume(self) -> None:
        if self._read_when_shown:
            self._read_when_shown = False
            self._open()

    def _open(self) -> None:
        self.action_reload()
        self.table.focus()

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    def action_reload(self) -> None:
        """Read the runs again, in the background: the screen says so until they are in."""
        self.loaded = False
        self.table.border_title = "Runs · loading…"
        self._status("loading runs…")
        self._read_runs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-read")
    def _read_runs(self) -> None:
        """The newest page of runs first (shown at once, however long the history), then every run."""
        store = self.app.store
        try:
            notes = store.annotations()
            newest = store.runs(light=True, newest=PAGE)
            if len(newest) == PAGE:
                self.app.call_from_thread(self._runs_read, newest, notes, None, False)
                newest = store.runs(light=True)
            self.app.call_from_thread(self._runs_read, newest, notes, None, True)
        except StoreError as err:
            self.app.call_from_thread(self._runs_read, [], None, err, True)

    def _runs_read(self, records: list[Any], notes: Any, error: StoreError | None, complete: bool) -> None:
        if error is not None:
            self.notify(str(error), severity="error", timeout=10)
        self.all_records, self.notes = records, notes
        self.loaded = complete
        self._show()
        if complete:
            # The runs read stay until the next reading: out of the cycle collector's way, or its full passes walk
            # all of them again and again, a quarter-second stall of a key now and then at 10,000 runs. The next
            # reading's records replace them, and they are freed as any object is (core.collector).
            freeze_long_lived()

    def _show(self) -> None:
        """The runs the filter picks, in the table."""
        self.records = self.all_records
        if self.filter_text:
            self.records = filter_records(self.all_records, self.filter_text, self.notes)
        self.table.set_records(self.records)
        if not self.loaded:
            self.table.border_title = f"Runs · the newest {len(self.records)} · loading the rest…"
            self._status(f"the {len(self.records)} most recent runs; loading the rest…")
        elif not self.all_records:
            self._status("No runs stored yet: train one on the main screen (escape, then ctrl+r).")
        elif self.filter_text:
            self._status(f"{len(self.records)} run(s) match {self.filter_text} (/ to change, empty to show all)")
        else:
            self._status_selection()
        self._redraw()

    def _status(self, text: str) -> None:
        """Say `text` under the table. A line replacing a line keeps the status one row high, so only then is the
        screen not laid out again (a layout of the whole screen is most of what a filter costs)."""
        status = self.query_one("#history-status", Static)
        plain = Text.from_markup(text).plain
        one_line = "\n" not in plain and 0 < cell_len(plain) <= status.size.width - 2  # its padding
        show_text(status, text, layout=not (one_line and self._status_one_line))
        self._status_one_line = one_line

    def _status_selection(self) -> None:
        n = len(self.table.selected)
        self._status(
            f"{n} run(s) overlaid: " + ", ".join(str(i) for i in self.table.selected)
            if n else "space marks runs to overlay their validation curves below"
        )

    @on(RunTable.SelectionChanged)
    def _selection(self, event: RunTable.SelectionChanged) -> None:
        self._status_selection()
        self._redraw()

    def _redraw(self) -> None:
        chosen = [self.table.records[i] for i in self.table.selected if i in self.table.records]
        width = self.query_one("#overlay-acc", MetricChart).size.width
        last = self._overlaid
        if last is not None and last[0] == width and len(last[1]) == len(chosen) and all(map(is_, last[1], chosen)):
            return  # the same runs at the same width: a filter or a reload that kept them redraws nothing
        self._overlaid = (width, chosen)
        acc, loss = [], []
        # the legend says how the chosen runs differ; plotext leaves out a legend wider than the chart, so a label
        # too long still shortens (the table has the rest)
        room = max(8, width - 14)
        for r, text in zip(chosen, distinct_labels([r.config for r in chosen]), strict=True):
            xs = [e.epoch for e in r.epochs]
            label = shorten_end(f"#{r.run_id} {text}", room)
            acc.append(Series(label, xs, [e.val_accuracy for e in r.epochs]))
            loss.append(Series(label, xs, [e.val_loss for e in r.epochs]))
        self.query_one("#overlay-acc", MetricChart).set_series(acc)
        self.query_one("#overlay-loss", MetricChart).set_series(loss)

    def _current(self) -> Any | None:
        run_id = self.table.current_run_id
        if run_id is None:
            self.notify("No run here.", severity="warning")
            return None
        return self.table.records.get(run_id)

    # --- actions --------------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    @on(RunTable.RowSelected)
    def _row_chosen(self, event: RunTable.RowSelected) -> None:
        event.stop()
        if self.is_active:  # a second enter queued on the table must not open the run twice
            self.action_inspect()

    def action_inspect(self) -> None:
        record = self._current()
        if record is None:
            return
        from hptune.tui.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(record.run_id))

    def action_open(self) -> None:
        record = self._current()
        if record is None:
            return
        try:
            record = self.app.store.get(record.run_id)  # the table's copy is light: the main screen shows it all
        except (StoreError, KeyError) as err:
            self.notify(f"Could not read run {record.run_id}: {err}", severity="error")
            return
        self.post_message(OpenRun(record))

    def action_delete(self) -> None:
        record = self._current()
        if record is None:
            return
        if record.status == "running":
            self.notify("That run is still training.", severity="warning")
            return
        from hptune.tui.screens.confirm_dialog import ConfirmDialog

        def done(answer: bool | None) -> None:
            if not answer:
                return
            try:
                self.app.store.delete_run(record.run_id)
            except (StoreError, KeyError) as err:
                self.notify(f"Could not delete run {record.run_id}: {err}", severity="error")
                return
            self.notify(f"Deleted run {record.run_id}.")
            self.action_reload()

        self.app.push_screen(
            ConfirmDialog(f"Delete run {record.run_id} ({config_label(record.config)}, {record.status})?"), done
        )

    def action_filter(self) -> None:
        from hptune.tui.screens.filter_dialog import FilterDialog

        def done(text: str | None) -> None:
            if text is not None:
                self.filter_text = text
                if self.loaded or self.all_records:
                    self._show()

        self.app.push_screen(FilterDialog(self.filter_text), done)

    def action_note(self) -> None:
        record = self._current()
        if record is None:
            return
        from hptune.tui.screens.note_dialog import NoteDialog, NoteEdit

        notes = self.app.store.annotations()

        def done(edit: NoteEdit | None) -> None:
            if edit is not None:
                self.app.store.set_note(edit.note, run_id=record.run_id)
                self.app.store.set_tags(edit.tags, run_id=record.run_id)
                self.notes = self.app.store.annotations()  # what a tag: filter reads from now on
                self.notify(f"Run {record.run_id}: note and tags saved.")

        title = f"Run {record.run_id} · {config_label(record.config)}"
        note, tags = notes.run_notes.get(record.run_id, ""), notes.run_tags.get(record.run_id)
        self.app.push_screen(NoteDialog(title, note, tags), done)

    def action_compare(self) -> None:
        if len(self.table.selected) != 2:
            self.notify("Mark two runs with space to compare them.", severity="warning")
            return
        from hptune.tui.screens.diff import DiffScreen

        self.app.push_screen(DiffScreen(*self.table.selected))

    def action_export(self) -> None:
        records = list(self.table.ordered)
        folder = Path(self.app.export_dir)
        path = folder / f"hptune-runs-{datetime.now():%Y%m%d-%H%M%S}.csv"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(Store.to_csv(records), encoding="utf-8")
        except OSError as err:
            self.notify(f"Could not write {path}: {err.strerror or err}", severity="error", timeout=10)
            return
        self._status(f"Exported {len(records)} run(s) to {path.resolve()}")
        self.notify(f"Wrote {len(records)} run(s) to {path.resolve()}", title="CSV exported", timeout=10)

