"""Messages that carry the trainer's frozen core events from the worker thread into the UI, and those a screen
sends the app to ask for a change elsewhere (screens never reach into each other).

The worker posts them with `post_message` (thread-safe); widgets are never touched from the thread.
"""

from __future__ import annotations

from textual.message import Message

from hptune.core.config import RunConfig
from hptune.core.events import BatchProgress, DataLoading, EpochEnded, Event, RunFinished, RunStarted
from hptune.core.outcome import RunOutcome

__all__ = ["TrainingMessage", "Loading", "Started", "Progress", "EpochDone", "Finished", "RepeatsDone", "UseConfig",
           "OpenRun", "wrap"]


class TrainingMessage(Message, bubble=False):
    """A core event from the training worker, for the screen that started it (it does not bubble)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class Loading(TrainingMessage, bubble=False):
    event: DataLoading


class Started(TrainingMessage, bubble=False):
    event: RunStarted


class Progress(TrainingMessage, bubble=False):
    """Progress inside an epoch. Queued ones collapse into the newest, so a busy UI never falls behind."""

    event: BatchProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress)


class EpochDone(TrainingMessage, bubble=False):
    event: EpochEnded


class Finished(TrainingMessage, bubble=False):
    event: RunFinished


class RepeatsDone(Message, bubble=False):
    """Every seed of a repeated config has finished: `text` gives the mean ± std over them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


_BY_EVENT: dict[type, type[TrainingMessage]] = {
    DataLoading: Loading,
    RunStarted: Started,
    BatchProgress: Progress,
    EpochEnded: EpochDone,
    RunFinished: Finished,
}


def wrap(event: Event) -> TrainingMessage:
    """The message class that carries `event`."""
    return _BY_EVENT[type(event)](event)


class UseConfig(Message):
    """A screen asks the app to put `config` in the main form and show it; `what` names it in the notice."""

    def __init__(self, config: RunConfig, what: str) -> None:
        super().__init__()
        self.config = config
        self.what = what


class OpenRun(Message):
    """A screen asks the app to show a stored run on the main screen: its config in the form, its curves and
    results, with every screen above the main one closed."""

    def __init__(self, record: RunOutcome) -> None:
        super().__init__()
        self.record = record
