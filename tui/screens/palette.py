"""Textual's command palette, deaf once it has closed, and closable by the app.

Keys reach the palette's input before it handles the first of them: with two enters queued, the second chose again
after the first had closed the palette, and the second close popped the screen below it (with only the main screen
left, Textual raises ScreenStackError). A choice now counts only while the palette is the screen on top.

When an app-wide key closes the palette (tui.app's make_room), its search must stop too: a search still running
after the palette left wrote to its removed list (NoMatches in a worker, which ends the app).
"""

from __future__ import annotations

from textual import on
from textual.command import CommandPalette
from textual.message import Message
from textual.widgets import Button, Input, OptionList

__all__ = ["Palette"]


class Palette(CommandPalette):
    def close(self) -> None:
        """Close as escape does: stop the search, say so, leave the stack."""
        self.workers.cancel_node(self)
        self.app.post_message(CommandPalette.Closed(option_selected=False))
        self.dismiss()

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _closed_already(self, event: Message) -> None:
        if not self.is_active:
            event.stop()
            event.prevent_default()  # CommandPalette's own handlers (a base class's) do not run
