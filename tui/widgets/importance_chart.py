"""Which searched hyperparameters mattered: a horizontal bar per hyperparameter, its importance for the objective."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from hptune.core.insight import DEFAULT_EVALUATOR, Importance
from hptune.tui.widgets.plot import Plot

__all__ = ["ImportanceChart"]

#: Rows a horizontal bar chart needs besides one per bar: its top and bottom lines and the scale under them.
BAR_CHART_FRAME = 3


class _Bars(Plot):
    """The bars themselves."""


class ImportanceChart(Vertical):
    """A caption naming the evaluator and the trials it saw, then the bars; with too few trials, the sentence
    saying how many more the evaluator wants instead of an empty chart.

    Feed it an `Importance` with `show()`, or let it compute one off the UI thread with `load(store, study)`."""

    class Computed(Message):
        """The importance of a study was computed (or failed: `error` says why)."""

        def __init__(self, importance: Importance | None, error: str | None = None) -> None:
            super().__init__()
            self.importance = importance
            self.error = error

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.importance: Importance | None = None
        self.border_title = "Hyperparameter importance"

    def compose(self) -> ComposeResult:
        yield Static("No sweep chosen yet.", classes="importance-caption")
        bars = _Bars(classes="importance-bars")
        bars.can_focus = False
        yield bars

    def show(self, importance: Importance | None, error: str | None = None) -> None:
        self.importance = importance
        caption = self.query_one(".importance-caption", Static)
        bars = self.query_one(_Bars)
        plt = bars.plt
        plt.clear_data()
        plt.clear_figure()
        if importance is None:
            caption.update(f"[$error]{escape(error)}[/]" if error else "No sweep chosen yet.")
            bars.display = False
            return
        objective = f" for {importance.objective}" if importance.objective else ""
        head = (f"{importance.evaluator_name}{objective} · {importance.finished} finished"
                f" trial{'s' if importance.finished != 1 else ''} of {importance.study}")
        if not importance.importances:
            caption.update(f"{escape(head)}\n[$text-muted]{escape(importance.message or '')}[/]")
            bars.display = False
            return
        caption.update(escape(head))
        names = list(importance.importances)[::-1]  # largest on top
        values = [importance.importances[n] for n in names]
        plt.bar([f"{n} {v:.3f}" for n, v in zip(names, values, strict=True)], values, orientation="horizontal",
                width=0.6, marker="sd")
        plt.xlim(0, max(1e-9, max(values)) * 1.05)
        plt.xticks([round(i / 4 * max(values), 2) for i in range(5)])
        # a row per bar plus the frame and the scale: on a short terminal two bars sharing a row hid one of them
        bars.styles.height = len(names) + BAR_CHART_FRAME
        bars.display = True
        bars.refresh()

    def load(self, store: Any, study: str, evaluator: str = DEFAULT_EVALUATOR) -> None:
        """Compute the study's importance in a thread (a forest fit takes a moment) and show it."""
        self.query_one(".importance-caption", Static).update(f"Computing importance for {escape(study)} …")
        self._compute(store, study, evaluator)

    @work(thread=True, exclusive=True, exit_on_error=False, group="importance")
    def _compute(self, store: Any, study: str, evaluator: str) -> None:
        from hptune.core.errors import HptuneError
        from hptune.core.insight import param_importance

        try:
            result, error = param_importance(store, study, evaluator), None
        except HptuneError as err:
            result, error = None, err.message
        self.app.call_from_thread(self._computed, result, error)

    def _computed(self, result: Importance | None, error: str | None) -> None:
        self.show(result, error)
        self.post_message(self.Computed(result, error))
