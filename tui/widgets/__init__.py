"""hptune's widgets, one per module.

Names are imported on first use (PEP 562), so a screen that needs two widgets does not load every other widget's
dependencies (numpy for the digit grid, the lesson charts) before the first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hptune.tui.lazy import lazy_getattr

_MODULES = {
    "ConfusionMatrix": "confusion_matrix",
    "Digit": "digit_grid",
    "DigitGrid": "digit_grid",
    "EpochLog": "epoch_log",
    "EpochProgress": "epoch_progress",
    "HyperparamForm": "hyperparam_form",
    "LessonChart": "lesson_chart",
    "MetricChart": "metric_chart",
    "ResultsPanel": "results_panel",
    "RunTable": "run_table",
    "Series": "metric_chart",
}

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


__getattr__ = lazy_getattr(__name__, _MODULES)


if TYPE_CHECKING:
    from hptune.tui.widgets.confusion_matrix import ConfusionMatrix
    from hptune.tui.widgets.digit_grid import Digit, DigitGrid
    from hptune.tui.widgets.epoch_log import EpochLog
    from hptune.tui.widgets.epoch_progress import EpochProgress
    from hptune.tui.widgets.hyperparam_form import HyperparamForm
    from hptune.tui.widgets.lesson_chart import LessonChart
    from hptune.tui.widgets.metric_chart import MetricChart, Series
    from hptune.tui.widgets.results_panel import ResultsPanel
    from hptune.tui.widgets.run_table import RunTable
