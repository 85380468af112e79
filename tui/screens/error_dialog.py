"""A modal that says what went wrong, in the core's words; and the one place the TUI turns an error into words."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from hptune.core.errors import HptuneError
from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles

__all__ = ["ErrorDialog", "describe_error"]

#: The dialog's title for each kind of the core's errors (HptuneError.kind).
TITLES = {"invalid input": "Invalid config", "dataset": "Dataset problem", "store": "Store problem",
          "diverged": "Diverged"}


def describe_error(error: BaseException | None, failed: str) -> tuple[str, str]:
    """A title and a message for what went wrong: the core's own words for its errors; anything else is a bug,
    shown with its type under `failed`."""
    if isinstance(error, HptuneError):
        return TITLES.get(error.kind, failed), error.message
    return failed, f"{type(error).__name__}: {error}"


class ErrorDialog(LayoutOnce, KeepStyles, ModalScreen[None]):
    """Says what went wrong; closes with escape, enter or OK."""

    BINDINGS = [Binding("escape,enter", "dismiss_dialog", "Close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    @classmethod
    def about(cls, error: BaseException | None, failed: str) -> ErrorDialog:
        """The dialog for an error, worded by `describe_error`."""
        return cls(*describe_error(error, failed))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="error"):
            yield Static(f"[b]{escape(self.title_text)}[/]", id="dialog-title")
            yield Static(escape(self.message), id="dialog-message")
            yield Button("OK", variant="error", id="ok")

    @on(Button.Pressed, "#ok")
    def action_dismiss_dialog(self) -> None:
        if self.is_active:  # closed already: a second enter queued on the button must not pop the screen below
            self.dismiss(None)
