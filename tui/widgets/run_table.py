"""The table of stored runs: sortable, with a multi-selection for overlaying curves.

Only a page of rows is built at a time (`PAGE` of them), whatever the number of runs: sorting orders the runs
themselves, and moving the cursor past either end of the page builds the next page, so ten thousand runs cost
what a hundred do."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from hptune.core.config import RunConfig
from hptune.core.fit import Column, fit_cell, fit_widths, narrowest
from hptune.core.labels import changes_label

__all__ = ["RunTable", "SORT_COLUMNS"]

#: (column key, heading, value used for sorting)
_COLUMNS: list[tuple[str, str]] = [
    ("sel", " "),
    ("id", "id"),
    ("study", "study"),
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
_HEADINGS = dict(_COLUMNS)
#: Optional columns, in the order they give way when the table with its text shortened is still wider than the
#: terminal: the least needed first (the optimizer then joins the model's cell). The others are always shown. A
#: study column no run has a value in goes first of all. Nothing is cut and the table never scrolls sideways.
_GIVE_WAY = ("started", "opt", "bs", "time", "dataset", "ep", "study")
SORT_COLUMNS = ("id", "val", "test", "time", "status", "model", "study")
#: Rows built at once: a few screens' worth, so paging is rare and cheap.
PAGE = 60
#: Own columns, left out of the non-default fields' column.
_IN_COLUMNS = ("epochs", "dataset")
#: The widest a dataset name or folder gets before it shortens in the middle.
DATASET_WIDTH = 24
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
        #: Every run shown, in the table's order; rows exist for `ordered[page_start:page_start + PAGE]` only.
        self.ordered: list[Any] = []
        self.page_start = 0
        self.selected: list[int] = []
        self.sort_column = "id"
        self.sort_reverse = False
        #: Whether any run shown has a study (the study column is left out when none has).
        self._studies = False
        #: The terminal width the columns were last chosen for.
        self.fitted_width = 0

    def set_records(self, records: Sequence[Any]) -> None:
        """Show these runs, keeping the cursor on the same run where it still exists."""
        current = self.current_run_id
        self.records = {r.run_id: r for r in records}
        self.selected = [i for i in self.selected if i in self.records]
        self._studies = any(r.study for r in self.records.values())
        self._order(keep=current)

    def refit(self) -> None:
        """Choose the columns again for the terminal's width (after a resize), keeping the page and the cursor."""
        if self.ordered:
            self._show_page(self.page_start, self.cursor_index)

    def _cells(self, r: Any) -> dict[str, Any]:
        c = r.config
        return {
            "sel": self._mark(r.run_id),
            "id": Text(str(r.run_id), justify="right"),
            "study": r.study or "",  # whole: it is what `--study` and `study:NAME` take
            "status": Text(r.status, style=_STATUS_STYLE.get(r.status, "")),
            "model": _model(c),
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

    def _show_page(self, start: int, cursor: int) -> None:
        """Build the rows of the page from `start`, with the cursor on `ordered[cursor]`."""
        total = len(self.ordered)
        start = max(0, min(start, total - PAGE))
        self.page_start = start
        page = self.ordered[start:start + PAGE]
        rows = [self._cells(r) for r in page]
        widths = self._fit(rows)
        keys = list(widths)
        if [str(k.value) for k in self.columns] != keys:
            self.clear(columns=True)  # another set of columns: lays the screen out again, so only when it changes
            for key in keys:
                self.add_column(_HEADINGS[key], key=key)
        else:
            self.clear()
            for column in self.columns.values():  # clear() keeps the widths the old runs gave: start from the headings
                column.content_width = column.label.cell_len
        for r, cells in zip(page, rows, strict=True):
            if "opt" not in widths:
                cells["model"] = f"{cells['model']} {cells['opt']}"
            cells["changes"] = fit_cell(cells["changes"], widths["changes"])
            cells["dataset"] = fit_cell(cells["dataset"], widths.get("dataset", DATASET_WIDTH), "path")
            self.add_row(*[cells[key] for key in keys], key=str(r.run_id))
        self._measure_now()
        if total:
            self.move_cursor(row=max(0, min(cursor, total - 1)) - start, animate=False)
        self._title()

    def _measure_now(self) -> None:
        """Measure the new rows now rather than on idle. DataTable measures rows it was given when its queue next
        empties, and then invalidates every rendered cell: a page drawn before that is drawn twice."""
        if getattr(self, "_require_update_dimensions", False) and hasattr(self, "_new_rows"):
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def _title(self) -> None:
        total = len(self.ordered)
        shown = "" if total <= PAGE else f" · rows {self.page_start + 1}-{min(total, self.page_start + PAGE)}"
        self.border_title = f"Runs ({total}){shown} · {self.sort_text}"

    def _place(self, index: int) -> None:
        """Put the cursor on `ordered[index]`, building another page when it is not on this one."""
        index = max(0, min(index, len(self.ordered) - 1))
        if self.page_start <= index < self.page_start + self.row_count:
            self.move_cursor(row=index - self.page_start)
        else:
            self._show_page(index - PAGE // 2, index)

    @property
    def cursor_index(self) -> int:
        """The cursor's place among all the runs shown (not just this page)."""
        return self.page_start + self.cursor_row

    # DataTable's moves, carried over the page's ends
    def action_cursor_down(self) -> None:
        if self.cursor_row >= self.row_count - 1 and self.cursor_index + 1 < len(self.ordered):
            self._place(self.cursor_index + 1)
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.page_start > 0:
            self._place(self.cursor_index - 1)
        else:
            super().action_cursor_up()

    def _screenful(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        self._place(self.cursor_index + self._screenful())

    def action_page_up(self) -> None:
        self._place(self.cursor_index - self._screenful())

    def action_scroll_top(self) -> None:
        self._place(0)

    def action_scroll_bottom(self) -> None:
        self._place(len(self.ordered) - 1)

    def _fit(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """The columns to show for these rows and the width of each (core.fit's rule: numbers and names keep their
        width, the changes and the dataset shorten with an ellipsis). While even the shortened table is wider than
        the terminal, the optional columns give way in `_GIVE_WAY`'s order: nothing is cut, nothing scrolls."""
        def plain(cell: Any) -> str:
            return cell.plain if isinstance(cell, Text) else str(cell)

        gap = 2 * self.cell_padding  # every column is padded on both sides
        scrollbar = self.styles.scrollbar_size_vertical if len(self.ordered) > 1 else 0
        room = self.app.size.width - 2 - scrollbar - gap  # the table spans the screen, inside its border
        self.fitted_width = self.app.size.width
        keys = [key for key, _ in _COLUMNS if key != "study" or self._studies]
        naturals = {key: max([len(_HEADINGS[key])] + [len(plain(cells[key])) for cells in rows]) for key in keys}
        with_optimizer = max([naturals["model"]] + [len(f"{plain(c['model'])} {plain(c['opt'])}") for c in rows])
        shrinks = {"changes": ("text", len("changes")), "dataset": ("path", 10)}
        for leaving in (None, *_GIVE_WAY):
            if leaving is not None:
                if leaving not in keys:
                    continue
                keys.remove(leaving)
            columns = [Column(with_optimizer if key == "model" and "opt" not in keys else naturals[key],
                              *shrinks.get(key, ("number", 0))) for key in keys]
            if narrowest(columns, gap) <= room:
                break
        return dict(zip(keys, fit_widths(columns, room, gap), strict=True))

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
        for r in self.ordered[self.page_start:self.page_start + self.row_count]:
            self.update_cell(str(r.run_id), "sel", self._mark(r.run_id))
        self.post_message(self.SelectionChanged(self, list(self.selected)))

    def action_cycle_sort(self) -> None:
        index = SORT_COLUMNS.index(self.sort_column) if self.sort_column in SORT_COLUMNS else -1
        self.sort_column = SORT_COLUMNS[(index + 1) % len(SORT_COLUMNS)]
        self.sort_reverse = self.sort_column in _DESCENDING
        self._order(keep=self.current_run_id)

    @property
    def sort_text(self) -> str:
        return f"sorted by {_HEADINGS[self.sort_column]} ({'descending' if self.sort_reverse else 'ascending'})"

    def sort_by(self, column: str) -> None:
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, column in _DESCENDING
        self._order(keep=self.current_run_id)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in _SORT_VALUES:
            self.sort_by(key)

    def _order(self, keep: int | None) -> None:
        """Sort every run (not the rows) and show the page holding run `keep`, or the first."""
        read = _SORT_VALUES.get(self.sort_column, _SORT_VALUES["id"])
        missing = -1 if self.sort_reverse else 1  # runs without a value go last either way

        def key(r: Any) -> Any:
            value = read(r)
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                return (missing, 0.0, "", r.run_id)
            return (0, value, "", r.run_id) if not isinstance(value, str) else (0, 0.0, value, r.run_id)

        self.ordered = sorted(self.records.values(), key=key, reverse=self.sort_reverse)
        index = next((i for i, r in enumerate(self.ordered) if r.run_id == keep), 0) if keep is not None else 0
        self._show_page(index - PAGE // 2, index)


#: Column -> the value runs are sorted by.
_SORT_VALUES: dict[str, Any] = {
    "id": lambda r: r.run_id,
    "study": lambda r: r.study or "",
    "status": lambda r: r.status,
    "model": lambda r: _model(r.config),
    "opt": lambda r: r.config.optimizer,
    "lr": lambda r: r.config.learning_rate,
    "bs": lambda r: r.config.batch_size,
    "ep": lambda r: len(r.epochs),
    "val": lambda r: r.val_accuracy,
    "test": lambda r: r.test_accuracy,
    "time": lambda r: r.train_seconds,
    "started": lambda r: r.started_at.timestamp() if r.started_at else None,
    "dataset": lambda r: r.dataset.name if r.dataset else r.config.dataset,
}
