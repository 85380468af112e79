"""Two runs side by side: the config fields that differ, their metrics, the confusion-matrix delta, and their
validation curves overlaid. The numbers are core.insight's, the same `hptune diff` prints."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from hptune.core.errors import HptuneError
from hptune.core.insight import RunDiff, diff_lines, diff_runs
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets import MetricChart, Series
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.key_footer import KeyFooter

__all__ = ["DiffScreen"]


class DiffScreen(LayoutOnce, KeepStyles, Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("x", "swap", "Swap", tooltip="Compare the other way round (A against B)"),
    ]

    def __init__(self, a: int, b: int) -> None:
        super().__init__(id="diff")
        self.a, self.b = a, b
        self.diff: RunDiff | None = None
        self.records: list[Any] = []

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Vertical(id="diff-body", classes="screen-body"):
            with VerticalScroll(id="diff-text-pane"):
                yield Static("", id="diff-text")
            with Horizontal(id="diff-curves"):
                yield MetricChart("Validation accuracy", "val acc", id="diff-acc", classes="chart")
                yield MetricChart("Validation loss", "val loss", id="diff-loss", classes="chart")
        yield Static("Terminal too small for hptune: make it at least 60 columns by 16 rows.", id="too-small")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        self.sub_title = f"run {self.b} against run {self.a}"
        text = self.query_one("#diff-text", Static)
        try:
            self.diff = diff_runs(self.app.store, self.a, self.b)
            self.records = [self.app.store.get(self.a), self.app.store.get(self.b)]
        except HptuneError as err:
            text.update(f"[$error]{escape(err.message)}[/]")
            return
        text.update(escape("\n".join(diff_lines(self.diff))))
        acc, loss = [], []
        for record in self.records:
            xs = [e.epoch for e in record.epochs]
            acc.append(Series(f"run {record.run_id}", xs, [e.val_accuracy for e in record.epochs]))
            loss.append(Series(f"run {record.run_id}", xs, [e.val_loss for e in record.epochs]))
        self.query_one("#diff-acc", MetricChart).set_series(acc)
        self.query_one("#diff-loss", MetricChart).set_series(loss)

    def action_swap(self) -> None:
        self.a, self.b = self.b, self.a
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()
