"""A sweep's hyperparameter importance, full screen: the bars, the evaluator named, and a key to change it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from hptune.core.insight import DEFAULT_EVALUATOR, EVALUATORS
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.importance_chart import ImportanceChart

__all__ = ["ImportanceScreen"]


class ImportanceScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "evaluator", "Evaluator", tooltip="Next importance evaluator: fANOVA, MDI, PED-ANOVA"),
        Binding("r", "reload", "Reload", tooltip="Compute again with the trials finished since"),
    ]

    def __init__(self, study: str, evaluator: str = DEFAULT_EVALUATOR) -> None:
        super().__init__(id="importance")
        self.study = study
        self.evaluator = evaluator

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield ImportanceChart(id="importance-chart", classes="screen-body")
        yield Static("Terminal too small for hptune: make it at least 60 columns by 16 rows.", id="too-small")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.sub_title = f"importance · {self.study}"
        self.query_one(ImportanceChart).load(self.app.store, self.study, self.evaluator)

    def action_evaluator(self) -> None:
        names = list(EVALUATORS)
        self.evaluator = names[(names.index(self.evaluator) + 1) % len(names)]
        self.action_reload()

    def action_back(self) -> None:
        self.app.pop_screen()
