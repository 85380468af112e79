"""Building a large view a few widgets at a time.

Textual styles every widget a compose yields in one synchronous pass; for a view of a hundred widgets or more that
pass holds the app (keys included) for a tenth of a second or more, longer while a run trains beside it. A view built
in steps mounts a few widgets, then lets the app decide when the next step may run (`HptuneApp.build_step`): at once
for a screen being shown, in the pauses between keys for one built ahead of its first showing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from itertools import islice

from textual.widget import Widget

__all__ = ["mount_in_steps", "next_step"]


async def next_step(widget: Widget) -> None:
    """Wait for the turn of the next step of building `widget`'s screen."""
    pace = getattr(widget.app, "build_step", None)
    if pace is None:
        await asyncio.sleep(0)
    else:
        await pace(widget.screen)


async def mount_in_steps(parent: Widget, widgets: Iterable[Widget], *, step: int, before: str | None = None) -> None:
    """Mount `widgets` into `parent`, `step` at a time, each step in its turn (next_step). The widgets are taken
    from the iterable as they are mounted, so a generator builds each only when its step comes."""
    remaining = iter(widgets)
    while chunk := list(islice(remaining, step)):
        await parent.mount_all(chunk, before=before)
        await next_step(parent)
