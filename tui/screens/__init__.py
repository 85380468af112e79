"""hptune's screens, one per module.

Names are imported on first use (PEP 562): the first frame loads the main screen only, and each other screen loads
when it is first opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hptune.tui.lazy import lazy_getattr

_MODULES = {
    "ConfirmDialog": "confirm_dialog",
    "ErrorDialog": "error_dialog",
    "HistoryScreen": "history",
    "LessonsScreen": "lessons",
    "MainScreen": "main",
    "RunDetailScreen": "run_detail",
}

__all__ = [
    "ConfirmDialog",
    "ErrorDialog",
    "HistoryScreen",
    "LessonsScreen",
    "MainScreen",
    "RunDetailScreen",
]


__getattr__ = lazy_getattr(__name__, _MODULES)


if TYPE_CHECKING:
    from hptune.tui.screens.confirm_dialog import ConfirmDialog
    from hptune.tui.screens.error_dialog import ErrorDialog
    from hptune.tui.screens.history import HistoryScreen
    from hptune.tui.screens.lessons import LessonsScreen
    from hptune.tui.screens.main import MainScreen
    from hptune.tui.screens.run_detail import RunDetailScreen
