"""Screens that keep their styles when shown again, unless something they depend on changed (textual 8.2.8).

Textual re-applies the whole stylesheet to every widget of a screen each time it is pushed (its ScreenResume
handler), in case the app's classes or theme changed while the screen was hidden or not yet shown. A freshly built
screen was styled when its widgets were registered, and a screen kept for the session (the history, sweep and
lessons screens) was styled when last shown: re-applying the stylesheet to the sweep screen's 600 nodes took 300 ms of
each ctrl+e. This mixin lets Textual restyle only when what the styles can depend on changed since the screen was
last styled: the app's classes (its size classes), its theme, its size and whether it has the focus. It relies on
Textual calling the `_on_screen_resume` of every class in the screen's MRO, subclass first, with the event Textual's
own handler reads next; tested against the version named above (pinned in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

from textual import events

__all__ = ["KeepStyles"]


def _style_inputs(app: Any) -> tuple[Any, ...]:
    return (frozenset(app.classes), app.theme, app.size, app.app_focus, app.ansi_color,
            getattr(app, "_css_update_count", None))


class KeepStyles:
    """Mixed into a Screen (before it in the bases): skip the restyle on resume when nothing it depends on changed."""

    app: Any
    _styled_for: tuple[Any, ...] | None = None

    def _on_mount(self, event: events.Mount) -> None:
        # The widgets were styled as they registered: for these inputs. A screen built ahead of its first showing
        # (HptuneApp.prebuild_screens) may be shown after they changed, and is restyled then.
        self._styled_for = _style_inputs(self.app)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        inputs = _style_inputs(self.app)
        if inputs == self._styled_for:
            event.refresh_styles = False  # Textual still lays it out if the size changed, and draws it
        self._styled_for = inputs
