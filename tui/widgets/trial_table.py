"""A live table of a sweep's trials: state, value, epochs so far, params, and why a trial ended early."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from hptune.core.labels import field_heading
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
    """One row per trial, keyed by trial number; rows update in place as the store changes.

    Params are headed by their short names (lr, units, layers: the words of a run's label). The score comes right
    after the state, so a narrow pane shows it before the params. Every column is as wide as
    its widest cell, set here rather than measured later by the table: when a cell outgrows its column the table is
    rebuilt with the new widths, so the header and every row always agree and no value is cut.
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.params: tuple[str, ...] = ()
        self.widths: dict[str, int] = {}
        self.border_title = "Trials"

    def _headings(self) -> dict[str, str]:
        return {"number": "#", "state": "state", "value": "value", "epochs": "epochs",
                **{name: field_heading(name) for name in self.params}, "note": "note"}

    def _cells(self, trial: TrialRow, planned_epochs: int) -> dict[str, str | Text]:
        return {
            "number": str(trial.number),
            "state": Text(trial.status, style=STATE_STYLE.get(trial.state, "")),
            "value": "-" if trial.value is None else f"{trial.value:.4f}",
            "epochs": f"{len(trial.epochs)}/{planned_epochs}",
            **{name: _fmt(trial.params.get(name, "")) for name in self.params},
            "note": (f"retry of #{trial.retry_of} " if trial.retry_of is not None else "") + (trial.message or ""),
        }

    def set_trials(self, trials: Sequence[TrialRow], params: Sequence[str], planned_epochs: int) -> None:
        """Show exactly these trials: rows of trials not among them (another sweep's) go."""
        headings = self._headings() if tuple(params) == self.params else None
        self.params = tuple(params)
        headings = headings or self._headings()
        rows = {str(t.number): self._cells(t, planned_epochs) for t in trials}
        widths = {key: max([len(heading), *(len(str(cells[key])) for cells in rows.values())])
                  for key, heading in headings.items()}
        if list(widths) != list(self.widths) or any(widths[k] > self.widths[k] for k in widths):
            self._rebuild(headings, widths, rows)
            return
        for key in [k.value for k in self.rows if k.value not in rows]:
            self.remove_row(key)
        for key, cells in rows.items():
            if key in self.rows:
                for column, text in cells.items():
                    if str(self.get_cell(key, column)) != str(text):
                        self.update_cell(key, column, text)
            else:
                self.add_row(*cells.values(), key=key)

    def _rebuild(self, headings: dict[str, str], widths: dict[str, int], rows: dict[str, dict]) -> None:
        """All columns anew at these widths, the cursor kept on the same trial where it still exists."""
        current = None
        if self.row_count and self.is_valid_row_index(self.cursor_row):
            current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.clear(columns=True)
        self.widths = widths
        for key, heading in headings.items():
            self.add_column(heading, key=key, width=widths[key])
        for key, cells in rows.items():
            self.add_row(*cells.values(), key=key)
        if current in rows:
            self.move_cursor(row=list(rows).index(current), animate=False)
