"""A live table of a sweep's trials: state, value, epochs so far, params, and why a trial ended early."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from hptune.core.fit import wrap_parts
from hptune.core.labels import field_heading
from hptune.core.sweeps import TrialRow

__all__ = ["TrialTable"]

STATE_STYLE = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red", "RUNNING": "bold cyan", "WAITING": "dim"}
#: Always shown, each as wide as its widest value.
_FIXED = ("number", "state", "value", "epochs")
#: The narrowest the note gets before its words wrap no further (a longer word sets its own floor).
NOTE_MIN = 12


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "x".join(map(str, value))
    return str(value)


#: The columns chosen for a width: (key, heading, width) each; the params share one column keyed "params".
_Layout = tuple[tuple[str, str, int], ...]


class TrialTable(DataTable):
    """One row per trial, keyed by trial number; rows update in place as the store changes.

    Params are headed by their short names (lr, units, layers: the words of a run's label). The score comes right
    after the state, so a narrow pane shows it before the params. The table follows core.fit's rule and never
    scrolls sideways: numbers are never cut, every column is as wide as its widest value where the pane allows (a
    long note wraps between words), and where it does not, the params share one column ("lr 0.001  units 32 ...")
    with the note below them, wrapping between params and words onto more lines of the row. When a value outgrows
    its column, or the pane's width changes, the table is built again with new widths, so the header and every row
    always agree.
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.params: tuple[str, ...] = ()
        self.border_title = "Trials"
        self._layout: _Layout | None = None
        self._heights: dict[str, int] = {}
        #: What was last shown, to lay it out again when the pane's width changes.
        self._shown: tuple[list[TrialRow], tuple[str, ...], int] | None = None
        self._room = 0

    @property
    def widths(self) -> dict[str, int]:
        """Each shown column's width, by key."""
        return {key: width for key, _, width in self._layout or ()}

    def _cells(self, trial: TrialRow, planned_epochs: int) -> dict[str, str]:
        return {
            "number": str(trial.number),
            "state": trial.status,
            "value": "-" if trial.value is None else f"{trial.value:.4f}",
            "epochs": f"{len(trial.epochs)}/{planned_epochs}",
            **{name: _fmt(trial.params.get(name, "")) for name in self.params},
            "note": (f"retry of #{trial.retry_of} " if trial.retry_of is not None else "") + (trial.message or ""),
        }

    def room(self) -> int:
        """The columns' room: the pane inside its border, less the vertical scrollbar and the last cell's padding
        (every cell is padded on both sides)."""
        width = self.size.width - self.styles.gutter.width - self.styles.scrollbar_size_vertical
        return width - 2 * self.cell_padding

    def _choose(self, rows: dict[str, dict[str, str]], room: int) -> _Layout:
        """Each param in a column of its own when everything fits (a note, where a trial has one, at least NOTE_MIN
        wide); else the params share one column, with the note on the lines below them, taking all the room left."""
        gap = 2 * self.cell_padding
        headings = {"number": "#", "state": "state", "value": "value", "epochs": "epochs",
                    **{name: field_heading(name) for name in self.params}, "note": "note"}

        def natural(key: str) -> int:
            return max([len(headings[key]), *(len(cells[key]) for cells in rows.values())])

        def longest_word(texts: list[str]) -> int:
            return max([len(word) for text in texts for word in text.split()] or [0])

        notes = [cells["note"] for cells in rows.values()]
        noted = any(notes)  # a note column only when a trial has one
        note_floor = max(len("note"), min(natural("note"), NOTE_MIN), longest_word(notes)) if noted else -gap
        fixed = [(key, headings[key], natural(key)) for key in _FIXED]
        own = [(name, headings[name], natural(name)) for name in self.params]
        used = sum(w for *_, w in fixed + own) + gap * len(fixed + own)
        if room <= 0 or not own or used + note_floor <= room:
            note = natural("note") if room <= 0 else max(note_floor, min(natural("note"), room - used))
            return (*fixed, *own, *([("note", "note", note)] if noted else []))
        parts = [self._param_parts(cells) for cells in rows.values()]
        heading = "params · note" if noted else "params"
        widest = max([len(heading), *(len("  ".join(p)) for p in parts), *(len(note) for note in notes)])
        floor = max(len(heading), longest_word(notes), *(len(part) for p in parts for part in p))
        left = room - sum(w for *_, w in fixed) - gap * len(fixed)
        return (*fixed, ("params", heading, max(floor, min(widest, left))))

    def _param_parts(self, cells: dict[str, str]) -> list[str]:
        return [f"{field_heading(name)} {cells[name]}" for name in self.params if cells[name] != ""]

    def _row(self, layout: _Layout, trial: TrialRow, cells: dict[str, str]) -> tuple[list[Text], int]:
        """A row's cells for this layout, and its height in lines."""
        out: list[Text] = []
        for key, _, width in layout:
            style = STATE_STYLE.get(trial.state, "") if key == "state" else ""
            justify = "right" if key in ("number", "value", "epochs") else "left"
            text = Text(style=style, justify=justify, end="")
            if key == "params":
                text.append("\n".join(wrap_parts(self._param_parts(cells), width, indent="")))
                if cells["note"]:  # below the params, set apart
                    note = wrap_parts(cells["note"].split(), width, sep=" ", indent="")
                    text.append("\n" + "\n".join(note), style="italic")
            elif key == "note":
                text.append("\n".join(wrap_parts(cells["note"].split(), width, sep=" ", indent="")))
            else:
                text.append(cells[key])
            out.append(text)
        return out, max(len(text.plain.split("\n")) for text in out)

    def set_trials(self, trials: Sequence[TrialRow], params: Sequence[str], planned_epochs: int) -> None:
        """Show exactly these trials: rows of trials not among them (another sweep's) go."""
        self._shown = (list(trials), tuple(params), planned_epochs)
        self.params = tuple(params)
        rows = {str(t.number): self._cells(t, planned_epochs) for t in trials}
        self._room = self.room()
        layout = self._choose(rows, self._room)
        built = {str(t.number): self._row(layout, t, rows[str(t.number)]) for t in trials}
        if layout != self._layout or any(key in self._heights and self._heights[key] != height
                                         for key, (_, height) in built.items()):
            self._rebuild(layout, built)
            return
        for key in [k.value for k in self.rows if k.value not in built]:
            self.remove_row(key)
            self._heights.pop(key, None)
        for key, (cells, height) in built.items():
            if key in self.rows:
                for (column, *_), text in zip(layout, cells, strict=True):
                    if self.get_cell(key, column) != text:
                        self.update_cell(key, column, text)
            else:
                self.add_row(*cells, key=key, height=height)
                self._heights[key] = height

    def _rebuild(self, layout: _Layout, built: dict[str, tuple[list[Text], int]]) -> None:
        """All columns anew at these widths, the cursor kept on the same trial where it still exists."""
        current = None
        if self.row_count and self.is_valid_row_index(self.cursor_row):
            current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.clear(columns=True)
        self._layout = layout
        for key, heading, width in layout:
            self.add_column(heading, key=key, width=width)
        self._heights = {}
        for key, (cells, height) in built.items():
            self.add_row(*cells, key=key, height=height)
            self._heights[key] = height
        if current in built:
            self.move_cursor(row=list(built).index(current), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        """Lay the trials out again for the pane's new width."""
        if self._shown is not None and self.room() != self._room:
            self.set_trials(*self._shown)
