"""hptune's screens, one per module."""

from hptune.tui.screens.confirm_dialog import ConfirmDialog
from hptune.tui.screens.error_dialog import ErrorDialog
from hptune.tui.screens.history import HistoryScreen
from hptune.tui.screens.lessons import LessonsScreen
from hptune.tui.screens.main import MainScreen
from hptune.tui.screens.run_detail import RunDetailScreen

__all__ = ["ConfirmDialog", "ErrorDialog", "HistoryScreen", "LessonsScreen", "MainScreen", "RunDetailScreen"]
