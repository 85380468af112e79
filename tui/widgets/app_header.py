"""The header every screen shows."""

from __future__ import annotations

from textual.widgets import Header

__all__ = ["AppHeader", "ICON"]

#: A block element: terminals draw it from their font, and the browser's terminal (`hptune serve`) draws block
#: elements itself, so it never shows as a missing-glyph box (Textual's default icon is not in common web fonts).
ICON = "▚"


class AppHeader(Header):
    """Textual's header with hptune's icon (clicking it still opens the command palette)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(icon=ICON, **kwargs)  # type: ignore[arg-type]
