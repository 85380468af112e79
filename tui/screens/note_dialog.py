"""Edit a run's note and tags (kept in the store; the same as `hptune note` and `hptune tag`)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from hptune.tui.screens.layout import LayoutOnce
from hptune.tui.screens.resume import KeepStyles

__all__ = ["NoteDialog", "NoteEdit"]


@dataclass(frozen=True)
class NoteEdit:
    note: str
    tags: list[str]


class NoteDialog(LayoutOnce, KeepStyles, ModalScreen[NoteEdit | None]):
    """Enter in either field saves both; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, note: str = "", tags: list[str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.note, self.tags = note, list(tags or [])

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"[b]{escape(self.title_text)}[/]", id="dialog-title")
            yield Static("Note", classes="note-label")
            yield Input(self.note, placeholder="what this run tried", id="note-input")
            yield Static("Tags (separated by spaces or commas)", classes="note-label")
            yield Input(" ".join(self.tags), placeholder="baseline", id="tags-input")

    @on(Input.Submitted)
    def _save(self) -> None:
        raw = self.query_one("#tags-input", Input).value.replace(",", " ")
        self.dismiss(NoteEdit(self.query_one("#note-input", Input).value.strip(), raw.split()))

    def action_cancel(self) -> None:
        self.dismiss(None)
