"""The footer of every screen, drawn again only when the keys it shows change (textual 8.2.8).

Textual's Footer rebuilds all of its keys whenever the screen's bindings may have changed: each focus move, each
widget mounted. Every rebuilt key restyles itself as it mounts, so a screen with many fields rebuilt its footer a dozen
times while it was being built (0.4 s of the sweep screen's first ctrl+e). This footer keeps what it last drew, each
key's key, label, action, tooltip and whether it is enabled, and rebuilds once, after the changes of one refresh,
and only when that differs. It replaces Footer's `bindings_changed` and sets its `_bindings_ready` (which Footer's
compose reads); tested against the version named above (pinned in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drawn: frozenset[Any] | None = None
        self._queued = False

    def _shown(self, screen: Screen) -> frozenset[Any]:
        """The keys the footer would show. A set: the order of a screen's bindings changes with the focused widget,
        while the keys stay where they were drawn."""
        palette = self.app.COMMAND_PALETTE_BINDING if self.show_command_palette else None
        return frozenset(
            (binding.key, binding.description, binding.action, binding.group, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        )

    def bindings_changed(self, screen: Screen) -> None:
        """As Footer's, with one rebuild queued at a time, and none when the keys shown did not change or another
        screen is on top: a screen's bindings are refreshed as it is covered too, when app-wide bindings answer for the
        screen on top (ctrl+e is off on the sweep screen), and again when it is shown, which is when they count."""
        self._bindings_ready = True
        on_top = self.is_attached and screen is self.screen and screen is self.app.screen
        if on_top and self.app.app_focus and not self._queued:
            self._queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._queued = False
        if self.is_attached and self.screen is self.app.screen and self._shown(self.screen) != self._drawn:
            await self.recompose()

    def compose(self):  # type: ignore[no-untyped-def]
        self._drawn = self._shown(self.screen) if self._bindings_ready else None
        self._fit()
        yield from super().compose()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Keys sit a cell apart when they all fit so; otherwise side by side (each key's own colour still sets it
        apart from the description before it), so every key of the main screen fits in 80 columns. Counted as
        Footer draws them: one key an action, its key, a space and its description, and the palette's hint on the
        right unless the app is narrow (then it is hidden)."""
        if not self._bindings_ready or not self.is_attached:
            return
        shown: dict[str, Any] = {}
        for _, binding, _, _ in self.screen.active_bindings.values():
            if binding.show:
                shown.setdefault(binding.action, binding)
        needed = sum(len(self.app.get_key_display(binding)) + (1 + len(binding.description) if binding.description
                                                                 else 0) + 1 for binding in shown.values())
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.show_command_palette and not self.app.has_class("-narrow"):
            needed += 1 + len(self.app.get_key_display(palette[1])) + 1 + len(palette[1].description)
        self.set_class(needed > self.app.size.width, "-tight")
