"""hptune's widgets, one per module."""

from hptune.tui.widgets.confusion_matrix import ConfusionMatrix
from hptune.tui.widgets.digit_grid import Digit, DigitGrid
from hptune.tui.widgets.epoch_log import EpochLog
from hptune.tui.widgets.epoch_progress import EpochProgress
from hptune.tui.widgets.hyperparam_form import HyperparamForm
from hptune.tui.widgets.lesson_chart import LessonChart
from hptune.tui.widgets.metric_chart import MetricChart, Series
from hptune.tui.widgets.results_panel import ResultsPanel
from hptune.tui.widgets.run_table import RunTable

__all__ = [
    "ConfusionMatrix",
    "Digit",
    "DigitGrid",
    "EpochLog",
    "EpochProgress",
    "HyperparamForm",
    "LessonChart",
    "MetricChart",
    "ResultsPanel",
    "RunTable",
    "Series",
]
