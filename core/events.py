"""Frozen events the trainer emits: plain copies, never live Keras objects, safe to hand to another thread."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["completed", "early-stopped", "stopped", "diverged", "failed", "interrupted", "pruned", "running"]


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


DiagnosisLabel = Literal["underfitting", "train longer", "good fit", "overfitting", "diverged", "too short"]
#: Which error a label blames: bias (the network cannot fit even its training images) or variance (it fits them
#: but not new ones).
SOURCES: dict[str, str] = {"underfitting": "bias", "overfitting": "variance"}


@dataclass(frozen=True)
class Diagnosis:
    """A verdict over the curves and one line of advice, with the figures it rests on.

    `train_accuracy` and `val_accuracy` are those of the weights the run kept (the last epoch, or the best one
    when early stopping restored it); `gap` is their difference, the variance a teacher points at; `bias` is the
    training error, how far the network is from fitting even the images it learns from.
    """

    label: DiagnosisLabel
    advice: str
    since_epoch: int | None = None
    train_accuracy: float | None = None
    val_accuracy: float | None = None

    @property
    def gap(self) -> float | None:
        if self.train_accuracy is None or self.val_accuracy is None:
            return None
        return self.train_accuracy - self.val_accuracy

    @property
    def bias(self) -> float | None:
        return None if self.train_accuracy is None else 1.0 - self.train_accuracy

    @property
    def source(self) -> str | None:
        """"bias", "variance" or None (a good fit, a run to continue, or one that could not be judged)."""
        return SOURCES.get(self.label)

    @property
    def figures(self) -> str:
        """The numbers behind the verdict, e.g. "train 0.992 · val 0.853 · gap 0.139 (variance)"."""
        if self.gap is None or self.bias is None:
            return ""
        return (f"train {self.train_accuracy:.3f} · val {self.val_accuracy:.3f} · gap {self.gap:.3f} (variance)"
                f" · train error {self.bias:.3f} (bias)")

    @property
    def line(self) -> str:
        head = self.label if self.source is None else f"{self.label} ({self.source})"
        head = head if self.since_epoch is None else f"{head} since epoch {self.since_epoch}"
        return f"{head}: {self.advice}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "advice": self.advice,
            "since_epoch": self.since_epoch,
            "train_accuracy": self.train_accuracy,
            "val_accuracy": self.val_accuracy,
            "gap": self.gap,
            "bias": self.bias,
            "variance": self.gap,
            "line": self.line,
            "figures": self.figures,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        """Read back what `to_dict` wrote (runs stored before the figures existed have none)."""
        return cls(data["label"], data["advice"], data.get("since_epoch"), data.get("train_accuracy"),
                   data.get("val_accuracy"))


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
    """The run has ended; `outcome` is the same RunOutcome that `train()` returns (core.outcome)."""

    outcome: Any  # RunOutcome: typed loosely here, as RunStarted's config is, so events import nothing of the model


Event = DataLoading | RunStarted | BatchProgress | EpochEnded | RunFinished
