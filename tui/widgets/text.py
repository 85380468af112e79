"""Setting a line of text without laying the screen out for nothing.

`Static.update` asks for a layout of the whole screen every time (tens of milliseconds on the busier screens), even
when the text is the one already shown, or when the widget's size is fixed by its style and so cannot change with
the text. Views that set their text on every epoch, keystroke or refresh go through `show_text`."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static

__all__ = ["show_text"]


def show_text(widget: Static, content: VisualType, *, layout: bool | None = None) -> bool:
    """Show `content` in `widget` unless it shows it already. Lay the screen out where `layout` says, by default
    only where the widget's size follows its content (an `auto` width or height). Whether anything changed."""
    if widget.content == content:
        return False
    widget.update(content, layout=widget.styles.auto_dimensions if layout is None else layout)
    return True
