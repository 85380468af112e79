"""The table of stored runs: sortable, with a multi-selection for overlaying curves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from hptune.core.config import RunConfig
from hptune.core.fit import Column, fit_cell, fit_widths
from hptune.core.labels import changes_label

__all__ = ["RunTable", "SORT_COLUMNS"]

#: (column key, heading, value used for sorting)
_COLUMNS: list[tuple[str, str]] = [
    ("sel", " "),
    ("id", "id"),
    ("status", "status"),
    ("model", "model"),
    ("opt", "opt"),
    ("lr", "lr"),
    ("bs", "batch"),
    ("ep", "epochs"),
    ("val", "val acc"),
    ("test", "test acc"),
    ("time", "time"),
    ("started", "started"),
    ("dataset", "dataset"),
    ("changes", "changes"),
]
#: Columns left out when the terminal is narrower than 100 columns.
_WIDE_ONLY = frozenset({"opt", "bs", "started", "dataset", "time"})
#: Own columns, left out of the non-default fields' column.
_IN_COLUMNS = ("epochs", "dataset")
#: The widest a dataset name or folder gets before it shortens in the middle.
DATASET_WIDTH = 24
SORT_COLUMNS = ("id", "val", "test", "time", "status", "model")
_DESCENDING = frozenset({"val", "test"})
_STATUS_STYLE = {"completed": "green", "early-stopped": "green", "stopped": "yellow", "diverged": "red",
                 "failed": "red", "interrupted": "yellow", "running": "cyan"}


def _model(config: RunConfig) -> str:
    widths = "x".join(map(str, config.hidden_units)) if isinstance(config.hidden_units, list) else config.hidden_units
    return f"{config.hidden_layers}x{widths} {config.activation}"


def _acc(value: float | None) -> Text:
    return Text("-" if value is None or not math.isfinite(value) else f"{value:.4f}", justify="right")


class RunTable(DataTable):
    """Rows are runs; space marks runs for the overlay, `s` cycles the sort column."""

    BINDINGS = [
        Binding("space", "toggle_select", "Mark", tooltip="Mark or unmark the run for the overlay"),
        Binding("s", "cycle_sort", "Sort"),
    ]

    class SelectionChanged(Message):
        def __init__(self, table: RunTable, run_ids: list[int]) -> None:
            super().__init__()
            self.table = table
            self.run_ids = run_ids

        @property
        def control(self) -> RunTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.records: dict[int, Any] = {}
        self.selected: list[int] = []
        self.sort_column = "id"
        self.sort_reverse = False
        self.compact = False

    def _columns(self) -> None:
        """(Re)build the columns: a narrow terminal gets the essential ones, so none is cut off."""
        self.compact = self.app.size.width < 100
        self.clear(columns=True)
        for key, heading in _COLUMNS:
            if not (self.compact and key in _WIDE_ONLY):
                self.add_column(heading, key=key)

    def set_records(self, records: Sequence[Any]) -> None:
        """Show these runs, keeping the cursor on the same run where it still exists."""
        current = self.current_run_id
        self.records = {r.run_id: r for r in records}
        self.selected = [i for i in self.selected if i in self.records]
        self._columns()
        rows: list[tuple[str, list[Any]]] = []
        for r in records:
            c = r.config
            cells = {
                "sel": self._mark(r.run_id),
                "id": Text(str(r.run_id), justify="right"),
                "status": Text(r.status, style=_STATUS_STYLE.get(r.status, "")),
                "model": _model(c) if not self.compact else f"{_model(c)} {c.optimizer}",
                "opt": c.optimizer,
                "lr": Text(f"{c.learning_rate:.2g}", justify="right"),
                "bs": Text(str(c.batch_size), justify="right"),
                "ep": Text(f"{len(r.epochs)}/{c.epochs}", justify="right"),
                "val": _acc(r.val_accuracy),
                "test": _acc(r.test_accuracy),
                "time": Text("-" if r.train_seconds is None else f"{r.train_seconds:.1f}s", justify="right"),
                "started": r.started_at.strftime("%m-%d %H:%M") if r.started_at else "-",
                "dataset": fit_cell(r.dataset.name if r.dataset else c.dataset, DATASET_WIDTH, "path"),
                "changes": changes_label(c, leave_out=_IN_COLUMNS) or "-",
            }
            rows.append((str(r.run_id), [cells[key] for key, _ in _COLUMNS if key in self.columns]))
        self._add_fitted(rows)
        self._sort()
        if current is not None and current in self.records:
            self.move_cursor(row=self.get_row_index(str(current)))

    def _add_fitted(self, rows: list[tuple[str, list[Any]]]) -> None:
        """Add the rows with the non-default fields' column fitted to the room the others leave (core.fit's rule:
        the numbers keep their width, that text shortens with an ellipsis)."""
        keys = [str(k.value) for k in self.columns]
        def plain(cell: Any) -> str:
            return cell.plain if isinstance(cell, Text) else str(cell)
        naturals = [max([len(col.label.plain)] + [len(plain(cells[i])) for _, cells in rows])
                    for i, col in enumerate(self.columns.values())]
        fitted = [Column(n, "text" if key == "changes" else "number", minimum=len("changes"))
                  for key, n in zip(keys, naturals, strict=True)]
        room = self.app.size.width - 5  # the table spans the screen (its region may still be the old size here)
        widths = fit_widths(fitted, room, gap=2 * self.cell_padding)
        where = keys.index("changes")
        for key, cells in rows:
            cells[where] = fit_cell(plain(cells[where]), widths[where])
            self.add_row(*cells, key=key)

    def _mark(self, run_id: int) -> Text:
        if run_id in self.selected:
            return Text(f"{self.selected.index(run_id) + 1}", style="bold reverse")
        return Text(" ")

    @property
    def current_run_id(self) -> int | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - an empty or resetting table has no cursor row
            return None
        return int(key.value) if key.value is not None else None

    def action_toggle_select(self) -> None:
        run_id = self.current_run_id
        if run_id is None:
            return
        if run_id in self.selected:
            self.selected.remove(run_id)
        else:
            self.selected.append(run_id)
        for rid in self.records:
            self.update_cell(str(rid), "sel", self._mark(rid))
        self.post_message(self.SelectionChanged(self, list(self.selected)))

    def action_cycle_sort(self) -> None:
        index = SORT_COLUMNS.index(self.sort_column) if self.sort_column in SORT_COLUMNS else -1
        self.sort_column = SORT_COLUMNS[(index + 1) % len(SORT_COLUMNS)]
        self.sort_reverse = self.sort_column in _DESCENDING
        self._sort()

    @property
    def sort_text(self) -> str:
        return f"sorted by {dict(_COLUMNS)[self.sort_column]} ({'descending' if self.sort_reverse else 'ascending'})"

    def sort_by(self, column: str) -> None:
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, column in _DESCENDING
        self._sort()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key != "sel":
            self.sort_by(key)

    def _sort(self) -> None:
        missing = -1 if self.sort_reverse else 1  # runs without a value go last either way

        def value(cell: Any) -> Any:
            text = cell.plain if isinstance(cell, Text) else str(cell)
            if text == "-":
                return (missing, 0.0, "")
            try:
                number = float(text.rstrip("s").split("/")[0])
            except ValueError:
                return (0, 0.0, text)
            return (0, number, "") if math.isfinite(number) else (missing, 0.0, "")

        if self.row_count and self.sort_column in self.columns:
            self.sort(self.sort_column, key=value, reverse=self.sort_reverse)
        self.border_title = f"Runs ({len(self.records)}) · {self.sort_text}"
