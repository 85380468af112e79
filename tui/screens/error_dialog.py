"""A modal that says what went wrong, in the core's words."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

__all__ = ["ErrorDialog"]


class ErrorDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter", "dismiss_dialog", "Close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="error"):
            yield Static(f"[b]{escape(self.title_text)}[/]", id="dialog-title")
            yield Static(escape(self.message), id="dialog-message")
            yield Button("OK", variant="error", id="ok")

    @on(Button.Pressed, "#ok")
    def action_dismiss_dialog(self) -> None:
        if self.is_active:  # closed already: a second enter queued on the button must not pop the screen below
            self.dismiss(None)
