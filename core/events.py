"""Frozen events the trainer emits: plain copies, never live Keras objects, safe to hand to another thread."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["completed", "early-stopped", "stopped", "diverged", "failed", "interrupted", "pruned", "running"]
#: Statuses that end a run with its finished epochs usable (exit code 0 on the command line).
OK_STATUSES: frozenset[str] = frozenset({"completed", "early-stopped", "stopped"})


@dataclass(frozen=True)
class DatasetInfo:
    """What data a run actually used; `fallback` says why it differs from what was asked for."""

    name: str
    requested: str
    n_train: int
    n_val: int
    n_test: int
    image_shape: tuple[int, ...]
    num_classes: int = 10
    fallback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["image_shape"] = list(self.image_shape)
        return data


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Diagnosis:
    """A verdict over the curves and one line of advice."""

    label: Literal["underfitting", "train longer", "good fit", "overfitting", "diverged", "too short"]
    advice: str
    since_epoch: int | None = None

    @property
    def line(self) -> str:
        head = self.label if self.since_epoch is None else f"{self.label} since epoch {self.since_epoch}"
        return f"{head}: {self.advice}"

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "advice": self.advice, "since_epoch": self.since_epoch, "line": self.line}


@dataclass(frozen=True)
class DataLoading:
    """Data is being read (and maybe downloaded); sent before RunStarted."""

    dataset: str


@dataclass(frozen=True)
class RunStarted:
    config: Any  # RunConfig (frozen pydantic model)
    params: int
    device: str
    backend: str
    dataset: DatasetInfo
    steps_per_epoch: int


@dataclass(frozen=True)
class BatchProgress:
    """Progress inside an epoch; throttled by the trainer, and replaceable in a UI queue."""

    epoch: int
    step: int
    steps: int
    loss: float
    samples_per_second: float
    eta_seconds: float


@dataclass(frozen=True)
class EpochEnded:
    metrics: EpochMetrics
    epochs: int  # planned total


@dataclass(frozen=True)
class RunFinished:
    status: Status
    message: str | None
    test_accuracy: float | None
    test_macro_f1: float | None
    confusion: tuple[tuple[int, ...], ...] | None
    train_seconds: float
    best_epoch: int | None
    diagnosis: Diagnosis | None
    #: Up to 100 misclassified test images: (index into the test set, true label, predicted label).
    mistakes: tuple[tuple[int, int, int], ...] = field(default=())
    val_macro_f1: float | None = None


Event = DataLoading | RunStarted | BatchProgress | EpochEnded | RunFinished
