"""One config, several seeds: the spread that tells a real difference between configs from seed noise.

`train_repeats` trains a config with seeds seed, seed+1, ... (`config.repeats` of them); each repeat is an ordinary
stored run that carries its group id and index as user attributes, so any front end can gather a group back from
the store (`group_records`). `Spread` summarises a number over the repeats (mean, standard deviation, min, max) and
`band` a curve (the mean with a min-max band).
"""

from __future__ import annotations

import math
import secrets
import statistics
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hptune.core.config import RunConfig
from hptune.core.events import Event
from hptune.core.outcome import OK_STATUSES

#: User attribute naming the group a repeated run belongs to, and its index in the group.
GROUP_ATTR = "hptune_group"
REPEAT_ATTR = "hptune_repeat"
MAX_SEED = 2**31 - 1

#: `trainer.train` or `isolated.TrainingHost.train`: (config, on_event, stop, record=...) -> RunOutcome.
TrainFn = Callable[..., Any]


def seeded(config: RunConfig) -> list[RunConfig]:
    """The configs of the repeats: the same config with seeds seed, seed+1, ... (each with repeats=1)."""
    return [config.model_copy(update={"seed": (config.seed + i) % (MAX_SEED + 1), "repeats": 1})
            for i in range(config.repeats)]


def new_group(prefix: str = "repeat") -> str:
    """A group id that sorts by time and does not collide between processes."""
    return f"{prefix}-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class Spread:
    """A number over the repeats: mean, sample standard deviation (0 for one repeat), min and max."""

    mean: float
    std: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Spread | None:
        finite = [float(v) for v in values if v is not None and math.isfinite(v)]
        if not finite:
            return None
        std = statistics.stdev(finite) if len(finite) > 1 else 0.0
        return cls(statistics.fmean(finite), std, min(finite), max(finite), len(finite))

    def text(self, spec: str = ".3f") -> str:
        """"0.858 ± 0.010" (just the value for a single repeat)."""
        if self.n == 1:
            return format(self.mean, spec)
        return f"{self.mean:{spec}} ± {self.std:{spec}}"

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "min": self.low, "max": self.high, "n": self.n}


def separated(a: Spread, b: Spread) -> bool:
    """True when no repeat of one reaches any repeat of the other: a difference larger than the seed spread."""
    return a.high < b.low or b.high < a.low


def compare(a: Spread, b: Spread, name_a: str, name_b: str, what: str = "accuracy") -> str:
    """One sentence saying which is higher and whether the difference is larger than the seed spread."""
    if a.mean == b.mean:
        return f"{name_a} and {name_b} have the same mean {what} ({a.text()})"
    hi, lo, hi_name, lo_name = (a, b, name_a, name_b) if a.mean > b.mean else (b, a, name_b, name_a)
    diff = hi.mean - lo.mean
    head = f"{hi_name} beats {lo_name} by {diff:.3f} {what} ({hi.text()} vs {lo.text()})"
    if min(a.n, b.n) < 2:
        return head + ": one seed each, so the seed spread is unknown"
    if separated(a, b):
        return head + ": larger than the seed spread (every seed of one beats every seed of the other)"
    return head + ": within the seed spread (the seeds overlap), so not a real difference at this many repeats"


@dataclass(frozen=True)
class Band:
    """A curve over the repeats: per epoch, the mean and the min-max band (epochs some repeats lack use the rest)."""

    epochs: list[int]
    mean: list[float]
    low: list[float]
    high: list[float]


def band(curves: Sequence[Sequence[float]]) -> Band:
    longest = max((len(c) for c in curves), default=0)
    epochs, mean, low, high = [], [], [], []
    for i in range(longest):
        values = [c[i] for c in curves if i < len(c) and math.isfinite(c[i])]
        if not values:
            continue
        epochs.append(i + 1)
        mean.append(statistics.fmean(values))
        low.append(min(values))
        high.append(max(values))
    return Band(epochs, mean, low, high)


def final(values: Sequence[float]) -> float | None:
    return values[-1] if values else None


@dataclass
class RepeatOutcome:
    """The runs of one group and what they add up to."""

    group: str
    config: RunConfig
    results: list[Any] = field(default_factory=list)  # RunOutcome, in seed order

    @property
    def finished(self) -> list[Any]:
        return [r for r in self.results if r.status in OK_STATUSES]

    def spread(self, name: str) -> Spread | None:
        """test_accuracy, or the kept epoch's train_accuracy / val_accuracy / gap, over the finished repeats."""
        if name == "test_accuracy":
            return Spread.of(r.test_accuracy for r in self.finished)
        figures = [r.diagnosis for r in self.finished if r.diagnosis is not None]
        return Spread.of(getattr(d, name) for d in figures)

    def to_dict(self) -> dict[str, Any]:
        spreads = {name: self.spread(name) for name in ("test_accuracy", "train_accuracy", "val_accuracy", "gap")}
        return {
            "group": self.group,
            "repeats": len(self.results),
            "seeds": [r.config.seed for r in self.results],
            "runs": [r.to_dict() for r in self.results],
            **{name: s.to_dict() if s else None for name, s in spreads.items()},
        }


def train_repeats(config: RunConfig, train: TrainFn, store: Any = None, *, study: str | None = None,
                  group: str | None = None, attrs: dict[str, Any] | None = None,
                  on_event: Callable[[Event], None] | None = None, stop: threading.Event | None = None,
                  on_start: Callable[[int, Any], None] | None = None,
                  on_result: Callable[[int, Any], None] | None = None) -> RepeatOutcome:
    """Train `config` once per seed. With a store, each repeat is saved as a run in `study` (default: the store's
    runs study) tagged with the group; `on_start(index, recorder)` hears each repeat before it trains (its recorder
    knows the run id once the run starts), `on_result(index, result)` as it ends. A stop request
    ends the current repeat and starts no more."""
    from hptune.core.store import RUNS_STUDY

    outcome = RepeatOutcome(group or new_group(), config)
    for index, one in enumerate(seeded(config)):
        if stop is not None and stop.is_set():
            break
        recorder = None
        if store is not None:
            tags = {GROUP_ATTR: outcome.group, REPEAT_ATTR: index, **(attrs or {})}
            recorder = store.recorder(study or RUNS_STUDY, attrs=tags)
        if on_start is not None:
            on_start(index, recorder)
        result = train(one, on_event=on_event, stop=stop, record=recorder)
        if recorder is not None:
            result.run_id = recorder.run_id
        outcome.results.append(result)
        if on_result is not None:
            on_result(index, result)
    return outcome


def group_records(records: Iterable[Any]) -> dict[str, list[Any]]:
    """Stored runs by repeat group, each group in repeat order; runs without a group are left out."""
    groups: dict[str, list[Any]] = {}
    for record in records:
        gid = record.attrs.get(GROUP_ATTR)
        if gid is not None:
            groups.setdefault(gid, []).append(record)
    for members in groups.values():
        members.sort(key=lambda r: r.attrs.get(REPEAT_ATTR, 0))
    return groups
