"""hptune's widgets, one per module."""

from tui.widgets.confusion_matrix import ConfusionMatrix
from tui.widgets.digit_grid import Digit, DigitGrid
from tui.widgets.epoch_log import EpochLog
from tui.widgets.epoch_progress import EpochProgress
from tui.widgets.hyperparam_form import HyperparamForm
from tui.widgets.metric_chart import MetricChart, Series
from tui.widgets.results_panel import ResultsPanel, RunSummary
from tui.widgets.run_table import RunTable

__all__ = [
    "ConfusionMatrix",
    "Digit",
    "DigitGrid",
    "EpochLog",
    "EpochProgress",
    "HyperparamForm",
    "MetricChart",
    "ResultsPanel",
    "RunSummary",
    "RunTable",
    "Series",
]
