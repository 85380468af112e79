"""What a sweep explains, full screen: each hyperparameter's importance (the evaluator named, a key to change it)
above the parallel coordinates of its finished trials."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from hptune.core.errors import HptuneError
from hptune.core.insight import DEFAULT_EVALUATOR, EVALUATORS, ParallelCoordinates, parallel_coordinates
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles
from hptune.tui.widgets.app_header import AppHeader
from hptune.tui.widgets.importance_chart import ImportanceChart
from hptune.tui.widgets.key_footer import KeyFooter
from hptune.tui.widgets.parallel_chart import ParallelChart

__all__ = ["ImportanceScreen"]


class ImportanceScreen(LayoutOnce, KeepStyles, Screen[None]):
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
        with Vertical(id="insight-body", classes="screen-body"):
            yield ImportanceChart(id="importance-chart")
            yield ParallelChart(id="parallel-chart")
        yield Static("Terminal too small for hptune: make it at least 60 columns by 16 rows.", id="too-small")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.sub_title = f"importance · {self.study}"
        self.query_one(ImportanceChart).load(self.app.store, self.study, self.evaluator)
        self._read_parallel()

    @work(thread=True, exclusive=True, exit_on_error=False, group="parallel")
    def _read_parallel(self) -> None:
        try:
            data = parallel_coordinates(self.app.store, self.study)
        except HptuneError:
            data = None  # the importance chart above says what is wrong with the study
        self.app.call_from_thread(self._show_parallel, data)

    def _show_parallel(self, data: ParallelCoordinates | None) -> None:
        self.query_one(ParallelChart).show(data)

    def action_evaluator(self) -> None:
        names = list(EVALUATORS)
        self.evaluator = names[(names.index(self.evaluator) + 1) % len(names)]
        self.action_reload()

    def action_back(self) -> None:
        self.app.pop_screen()
