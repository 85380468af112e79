"""A live table of a sweep's trials: state, params, epochs so far, value, and why a trial ended early."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from hptune.core.sweeps import TrialRow

__all__ = ["TrialTable"]

STATE_STYLE = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red", "RUNNING": "bold cyan", "WAITING": "dim"}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "x".join(map(str, value))
    return str(value)


class TrialTable(DataTable):
    """One row per trial, keyed by trial number; rows update in place as the store changes."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.params: tuple[str, ...] = ()
        self.border_title = "Trials"

    def set_trials(self, trials: Sequence[TrialRow], params: Sequence[str], planned_epochs: int) -> None:
        """Show exactly these trials: rows of trials not among them (another sweep's) go."""
        keep = {str(t.number) for t in trials}
        for key in [k.value for k in self.rows if k.value not in keep]:
            self.remove_row(key)
        if tuple(params) != self.params or not self.columns:
            self.clear(columns=True)
            self.params = tuple(params)
            self.add_column("#", key="number")
            self.add_column("state", key="state")
            for name in self.params:
                self.add_column(name, key=name)
            self.add_column("epochs", key="epochs")
            self.add_column("value", key="value")
            self.add_column("note", key="note")
        for trial in trials:
            cells = {
                "number": str(trial.number),
                "state": Text(trial.status, style=STATE_STYLE.get(trial.state, "")),
                **{name: _fmt(trial.params.get(name, "")) for name in self.params},
                "epochs": f"{len(trial.epochs)}/{planned_epochs}",
                "value": "-" if trial.value is None else f"{trial.value:.4f}",
                "note": (f"retry of #{trial.retry_of} " if trial.retry_of is not None else "") + (trial.message or ""),
            }
            key = str(trial.number)
            if key in self.rows:
                for column, text in cells.items():
                    if str(self.get_cell(key, column)) != str(text):  # a longer value widens its column: none is cut
                        self.update_cell(key, column, text, update_width=True)
            else:
                self.add_row(*cells.values(), key=key)
