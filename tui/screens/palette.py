"""Textual's command palette (textual 8.2), made safe for keys that arrive faster than it handles them.

- Deaf once closed: keys reach the palette's input before it handles the first of them. With two enters queued,
  the second chose again after the first had closed the palette, and the second close popped the screen below it
  (with only the main screen left, ScreenStackError). Text typed just before an app-wide key closed the palette
  started a new search after it had closed, which then wrote to the removed list (NoMatches in a worker). Choices
  and edits now count only while the palette is the screen on top.
- Closable by the app: an app-wide key that opens a screen closes the palette as escape does, stopping its search
  (tui.app's make_room).
- Page keys move the highlight through the list's public `highlighted`: Textual's own page move looks up line
  positions the list has not laid out yet right after its options change (KeyError in OptionList._move_page).
"""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.message import Message
from textual.widgets import Button, Input, OptionList

from hptune.tui.screens.resume import KeepStyles

__all__ = ["Palette"]


class Palette(KeepStyles, CommandPalette):
    BINDINGS = [
        Binding("pagedown", "page(1)", "Next page", show=False),
        Binding("pageup", "page(-1)", "Previous page", show=False),
    ]

    def close(self) -> None:
        """Close as escape does: stop the search, say so, leave the stack."""
        self.workers.cancel_node(self)
        self.app.post_message(CommandPalette.Closed(option_selected=False))
        self.dismiss()

    @on(Input.Changed)
    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _closed_already(self, event: Message) -> None:
        if not self.is_active:
            event.stop()
            event.prevent_default()  # CommandPalette's own handlers (a base class's) do not run

    def action_page(self, direction: int) -> None:
        commands = self.query_one(CommandList)
        if not commands.option_count:
            return
        page = max(1, commands.scrollable_content_region.height - 1)
        current = commands.highlighted if commands.highlighted is not None else 0
        commands.highlighted = min(max(current + direction * page, 0), commands.option_count - 1)
