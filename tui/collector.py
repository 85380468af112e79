"""When Python's cycle collector may walk the app's long-lived objects.

A full pass of the cycle collector walks every tracked object: with the app's modules, its screens and Optuna
imported that is 150,000-250,000 objects and 80-140 ms (twice that while training shares the cores), a pause that
lands on whatever key happens to be pressed. What is loaded to stay (modules, classes, the screens kept for the whole
session) is frozen out of the collector's way once it is loaded; a screen that reads many records freezes them while
it is open and thaws them when it closes, and the next quiet moment collects the cycles it left and freezes the rest
again. Frozen objects are still freed when their last reference goes; only unreachable cycles wait for the thaw.
"""

from __future__ import annotations

import gc
from typing import Any

__all__ = ["freeze_long_lived", "thaw"]

#: Seconds after a thaw before the collector runs over everything once and what survives is frozen again.
REFREEZE_AFTER = 2.0


def freeze_long_lived() -> None:
    """Everything tracked now stays for the session: keep it out of the collector's full passes."""
    gc.freeze()


def thaw(app: Any) -> None:
    """What a closing screen froze goes back to the collector; a timer on `app` collects the cycles it left and
    freezes the survivors again, away from the key press that closed it."""
    gc.unfreeze()

    def refreeze() -> None:
        gc.collect()
        gc.freeze()

    app.set_timer(REFREEZE_AFTER, refreeze, name="hptune-refreeze")
