"""hptune's screens, one per module."""

from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.error_dialog import ErrorDialog
from tui.screens.history import HistoryScreen
from tui.screens.main import MainScreen
from tui.screens.run_detail import RunDetailScreen

__all__ = ["ConfirmDialog", "ErrorDialog", "HistoryScreen", "MainScreen", "RunDetailScreen"]
