"""A yes/no question before something that cannot be undone."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles

__all__ = ["ConfirmDialog"]


class ConfirmDialog(LayoutOnce, KeepStyles, ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(escape(self.question), id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.action_answer(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.action_answer(False)

    def action_answer(self, answer: bool) -> None:
        if self.is_active:  # answered already: a second key queued on a button must not pop the screen below
            self.dismiss(answer)
