"""Screens whose panes take turns on a small terminal: a row of tabs picks the pane shown (CSS does the rest)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Tabs

__all__ = ["PaneSwitcher"]


class PaneSwitcher:
    """Mixed into a Screen: tabs with ids `pane-NAME` in the Tabs `#PANE_TABS` set the class `-show-NAME` on the
    container `#PANE_BODY`; under 100 columns or 32 rows the stylesheet shows only that pane, on a larger terminal
    all of them. ctrl+n (`next_pane`) moves to the next tab."""

    #: The panes, in the tabs' order.
    PANES: tuple[str, ...] = ()
    #: The id of the Tabs widget and of the container whose class picks the pane.
    PANE_TABS = ""
    PANE_BODY = ""

    query_one: Any

    def show_pane(self, name: str) -> None:
        """Make `name` the pane shown on a small terminal."""
        self.query_one(f"#{self.PANE_TABS}", Tabs).active = f"pane-{name}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tabs.id != self.PANE_TABS:
            return
        body = self.query_one(f"#{self.PANE_BODY}")
        for pane in self.PANES:
            body.set_class(event.tab.id == f"pane-{pane}", f"-show-{pane}")

    def action_next_pane(self) -> None:
        self.query_one(f"#{self.PANE_TABS}", Tabs).action_next_tab()
