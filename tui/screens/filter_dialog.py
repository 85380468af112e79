"""Ask for a run filter (`lr<0.01 and val_acc>0.9`, `tag:baseline`); a bad one is named before the dialog closes."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from hptune.core.filters import FilterError, parse_filter
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles

__all__ = ["FilterDialog"]


class FilterDialog(LayoutOnce, KeepStyles, ModalScreen[str | None]):
    """Dismisses with the expression ("" shows every run), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str = "") -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("[b]Filter runs[/]  e.g. [i]lr<0.01 and val_acc>0.9[/], [i]tag:baseline[/],"
                         " [i]study:NAME[/]; empty shows all", id="dialog-title")
            yield Input(self.current, placeholder="lr<0.01 and val_acc>0.9", id="filter-input")
            yield Static("", id="filter-error")

    @on(Input.Submitted, "#filter-input")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            try:
                parse_filter(text)
            except FilterError as err:
                self.query_one("#filter-error", Static).update(f"[$error]{escape(err.message)}[/]")
                return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
