"""Lessons: the tutorial's experiments as small studies that show bias and variance, each with seed spread.

A lesson is a list of steps (configs), each trained with `repeats` seeds. Every run is an ordinary run in the
store, in a study of its own (`lesson-capacity-20261128-031500`), tagged with the lesson, its step and its repeat
group, so history, overlay, inspect and diff work on it. `report()` turns whatever runs have finished into rows, chart
data and a conclusion computed from the numbers; front ends call it after every run to draw the lesson live.
A lesson stopped half-way keeps its finished runs; running it again on the same study skips them.

- capacity: networks from 2x10 to a wide and a deep one: train and validation accuracy against parameters.
- data-size: one network on 1/16 to all of the training images: train and validation error against data.
- overfit: a long run, the same with dropout and with early stopping: where validation loss turns up, and the cure.
- scaling: the tutorial's three networks on raw 0-255 pixels and on 0-1 inputs.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hptune.core.config import ConfigError, RunConfig, make_config
from hptune.core.diagnosis import best_epoch
from hptune.core.events import Diagnosis, EpochMetrics, Event
from hptune.core.repeats import GROUP_ATTR, REPEAT_ATTR, Band, Spread, band, compare, seeded, separated

#: User attributes of a lesson run (with the repeat group and index of core.repeats), and of the lesson's study.
LESSON_ATTR = "hptune_lesson"
STEP_ATTR = "hptune_step"
#: Statuses of a run that a resumed lesson keeps (a stopped run is cut short: it is trained again).
DONE_STATUSES = frozenset({"completed", "early-stopped"})
DEFAULT_REPEATS = 3


@dataclass(frozen=True)
class Step:
    """One config of a lesson, trained once per seed."""

    key: str
    label: str
    config: RunConfig


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    question: str
    steps: tuple[Step, ...]
    dataset: str
    repeats: int
    epochs: int

    @property
    def total_runs(self) -> int:
        return len(self.steps) * self.repeats

    def settings(self) -> dict[str, Any]:
        """What re-creates this lesson's plan on resume (kept on its study)."""
        return {"name": self.name, "dataset": self.dataset, "repeats": self.repeats, "epochs": self.epochs}


@dataclass(frozen=True)
class RunView:
    """What a lesson needs of a finished run, from a live result or a stored record alike."""

    step: str
    seed: int
    status: str
    run_id: int | None
    epochs: tuple[EpochMetrics, ...]
    test_accuracy: float | None
    diagnosis: Diagnosis | None
    params: int | None
    n_train: int | None

    @classmethod
    def from_result(cls, step: str, result: Any) -> RunView:
        return cls(step, result.config.seed, result.status, result.run_id, tuple(result.epochs), result.test_accuracy,
                   result.diagnosis, result.params, result.dataset.n_train if result.dataset else None)

    @classmethod
    def from_record(cls, record: Any) -> RunView:
        return cls(record.attrs.get(STEP_ATTR, ""), record.config.seed, record.status, record.run_id,
                   tuple(record.epochs), record.test_accuracy, record.diagnosis, record.params,
                   record.dataset.n_train if record.dataset else None)

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES


# --- the plans ------------------------------------------------------------------------------------------------------

#: Lesson -> (title, question, default epochs).
LESSONS: dict[str, tuple[str, str, int]] = {
    "capacity": ("Capacity: from bias to variance",
                 "How does a network's size move it from underfitting (bias) to overfitting (variance)?", 15),
    "data-size": ("Data size: would more data help?",
                  "Does the train-validation gap close as the network sees more images, or is the model too small?",
                  15),
    "overfit": ("Overfitting and its cures",
                "The tutorial's 2x100 trained long (on 0-1 inputs): where does validation loss turn up, and what do"
                " dropout and early stopping do about it?", 40),
    "scaling": ("Raw pixels vs normalized inputs",
                "How much do the tutorial's networks lose by learning from raw 0-255 pixels?", 10),
}
CAPACITY_LADDER = (("2x10", 2, 10), ("10x10", 10, 10), ("2x100", 2, 100), ("2x512 (wider)", 2, 512),
                   ("6x100 (deeper)", 6, 100))
FRACTIONS = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
TUTORIAL_NETWORKS = (("2x10", 2, 10), ("2x100", 2, 100), ("10x10", 10, 10))
OVERFIT_DROPOUT = 0.3
#: Small enough for 1/16 of a 5,000-image sample (about 200 images), and the same for every share.
DATA_SIZE_BATCH = 64
OVERFIT_PATIENCE = 5


def fraction_label(fraction: float) -> str:
    return "all" if fraction >= 1 else f"1/{round(1 / fraction)}"


def plan(name: str, dataset: str = "mnist-5k", repeats: int = DEFAULT_REPEATS, epochs: int | None = None,
         seed: int = 0) -> Lesson:
    """The steps of lesson `name`; raise ConfigError naming what is wrong."""
    if name not in LESSONS:
        raise ConfigError(f"lesson: unknown lesson {name!r}; expected one of: {', '.join(LESSONS)}", "lesson")
    if not 1 <= repeats <= 20:
        raise ConfigError(f"repeats: expected 1 to 20, got {repeats}", "repeats")
    from hptune.core.dataset_names import validate_name

    problem = validate_name(dataset)
    if problem is not None:
        raise ConfigError(f"dataset: {problem}", "dataset")
    title, question, default_epochs = LESSONS[name]
    epochs = default_epochs if epochs is None else epochs
    base = {"dataset": dataset, "epochs": epochs, "seed": seed, "repeats": repeats, "optimizer": "adam",
            "batch_size": 256, "activation": "relu"}

    def config(**values: Any) -> RunConfig:
        return make_config({**base, **values})

    steps: list[Step] = []
    if name == "capacity":
        steps = [Step(label.split()[0], label, config(hidden_layers=layers, hidden_units=units))
                 for label, layers, units in CAPACITY_LADDER]
    elif name == "data-size":
        steps = [Step(f"fraction-{fraction_label(f)}", f"{fraction_label(f)} of the data",
                      config(hidden_layers=2, hidden_units=100, train_fraction=f, batch_size=DATA_SIZE_BATCH))
                 for f in FRACTIONS]
    elif name == "overfit":
        net = {"hidden_layers": 2, "hidden_units": 100}
        steps = [Step("long", "no cure", config(**net)),
                 Step("dropout", f"dropout {OVERFIT_DROPOUT:g}", config(**net, dropout=OVERFIT_DROPOUT)),
                 Step("early-stop", f"early stopping (patience {OVERFIT_PATIENCE})",
                      config(**net, patience=OVERFIT_PATIENCE))]
    elif name == "scaling":
        for label, layers, units in TUTORIAL_NETWORKS:
            for normalize in (False, True):
                scale = "0-1" if normalize else "raw"
                steps.append(Step(f"{label}-{scale}", f"{label} on {scale} pixels",
                                  config(hidden_layers=layers, hidden_units=units, normalize=normalize)))
    return Lesson(name, title, question, tuple(steps), dataset, repeats, epochs)


def new_study_name(name: str) -> str:
    return f"lesson-{name}-{datetime.now():%Y%m%d-%H%M%S}"


# --- running --------------------------------------------------------------------------------------------------------

def lesson_settings(store: Any, study: str) -> dict[str, Any] | None:
    """The settings a lesson study was started with (None when there is no such lesson study); reads only."""
    for summary in store.studies():
        if summary["name"] == study:
            return summary["user_attrs"].get(LESSON_ATTR)
    return None


def finished_runs(store: Any, study: str) -> list[RunView]:
    """The runs of a lesson study that are done (completed or early-stopped), oldest first."""
    return [v for v in (RunView.from_record(r) for r in store.runs(study=study)) if v.done]


def run_lesson(lesson: Lesson, train: Callable[..., Any], store: Any, study: str, *,
               on_event: Callable[[Event], None] | None = None, stop: threading.Event | None = None,
               on_run: Callable[[RunView, list[RunView]], None] | None = None) -> list[RunView]:
    """Train every step and seed of `lesson` not already done in `study`; returns all done runs. `on_run(view,
    views)` hears each run as it ends, with every run so far (call `report(lesson, views)` to draw it)."""
    views = finished_runs(store, study)
    done = {(v.step, v.seed) for v in views}
    store.ensure_open_for_writing()  # a writer: the store is checked and repaired before anything trains
    store.study(study).set_user_attr(LESSON_ATTR, lesson.settings())
    for step in lesson.steps:
        for index, config in enumerate(seeded(step.config)):
            if (step.key, config.seed) in done:
                continue
            if stop is not None and stop.is_set():
                return views
            tags = {LESSON_ATTR: lesson.name, STEP_ATTR: step.key, GROUP_ATTR: f"{study}/{step.key}",
                    REPEAT_ATTR: index}
            recorder = store.recorder(study, attrs=tags)
            result = train(config, on_event=on_event, stop=stop, record=recorder)
            result.run_id = recorder.run_id
            view = RunView.from_result(step.key, result)
            if view.done:
                views.append(view)
            if on_run is not None:
                on_run(view, list(views))
    return views


# --- reading the runs -----------------------------------------------------------------------------------------------

@dataclass
class StepSummary:
    """One step's runs summed up over the seeds."""

    step: Step
    runs: list[RunView]

    def spread(self, what: Callable[[RunView], float | None]) -> Spread | None:
        return Spread.of(what(r) for r in self.runs)

    @property
    def train_accuracy(self) -> Spread | None:
        return self.spread(lambda r: r.diagnosis.train_accuracy if r.diagnosis else None)

    @property
    def val_accuracy(self) -> Spread | None:
        return self.spread(lambda r: r.diagnosis.val_accuracy if r.diagnosis else None)

    @property
    def test_accuracy(self) -> Spread | None:
        return self.spread(lambda r: r.test_accuracy)

    @property
    def gap(self) -> Spread | None:
        return self.spread(lambda r: r.diagnosis.gap if r.diagnosis else None)

    @property
    def params(self) -> int:
        known = [r.params for r in self.runs if r.params]
        return known[0] if known else self.step.config.param_count()

    def diagnosis(self) -> Diagnosis | None:
        """The verdict most repeats share (the first such repeat's words)."""
        found = [r.diagnosis for r in self.runs if r.diagnosis is not None]
        if not found:
            return None
        label, _ = Counter(d.label for d in found).most_common(1)[0]
        return next(d for d in found if d.label == label)

    def curve(self, metric: str) -> Band:
        return band([[getattr(e, metric) for e in r.epochs] for r in self.runs])


def _spread(s: Spread | None) -> dict[str, Any] | None:
    return s.to_dict() if s else None


def _error(s: Spread | None) -> Spread | None:
    return None if s is None else Spread(1 - s.mean, s.std, 1 - s.high, 1 - s.low, s.n)


@dataclass
class LessonReport:
    """Rows for a table and --json, the curves to draw, and the conclusion (None until every step has runs)."""

    lesson: Lesson
    steps: list[StepSummary]
    rows: list[dict[str, Any]]
    conclusion: str | None
    runs_done: int
    marks: dict[str, int] = field(default_factory=dict)  # step key -> epoch to mark (overfit: the turn)

    @property
    def complete(self) -> bool:
        return self.runs_done >= self.lesson.total_runs

    def to_dict(self) -> dict[str, Any]:
        return {
            "lesson": self.lesson.name,
            "title": self.lesson.title,
            "question": self.lesson.question,
            "dataset": self.lesson.dataset,
            "repeats": self.lesson.repeats,
            "epochs": self.lesson.epochs,
            "runs_done": self.runs_done,
            "runs_planned": self.lesson.total_runs,
            "rows": self.rows,
            "conclusion": self.conclusion,
        }


def report(lesson: Lesson, views: Sequence[RunView]) -> LessonReport:
    by_step: dict[str, list[RunView]] = {}
    for view in views:
        if view.done:
            by_step.setdefault(view.step, []).append(view)
    steps = [StepSummary(step, sorted(by_step.get(step.key, []), key=lambda v: v.seed)) for step in lesson.steps]
    runs_done = sum(len(s.runs) for s in steps)
    builder = {"capacity": _capacity, "data-size": _data_size, "overfit": _overfit, "scaling": _scaling}[lesson.name]
    rows, conclusion, marks = builder(steps)
    ready = all(s.runs for s in steps)
    return LessonReport(lesson, steps, rows, conclusion if ready else None, runs_done, marks)


def _capacity(steps: list[StepSummary]) -> tuple[list[dict[str, Any]], str, dict[str, int]]:
    trained = [s for s in steps if s.runs]
    best_train = max((s.train_accuracy.mean for s in trained if s.train_accuracy), default=None)
    rows = []
    for s in steps:
        d = s.diagnosis()
        train, val = s.train_accuracy, s.val_accuracy
        rows.append({
            "network": s.step.label,
            "params": s.params,
            "runs": len(s.runs),
            "train_accuracy": _spread(train),
            "val_accuracy": _spread(val),
            "test_accuracy": _spread(s.test_accuracy),
            "gap": _spread(s.gap),
            "variance": s.gap.mean if s.gap else None,
            "bias": (best_train - train.mean) if train and best_train is not None else None,
            "diagnosis": d.label if d else None,
            "diagnosis_line": d.line if d else None,
        })
    if len(trained) < 2:
        return rows, "", {}
    by_params = sorted(trained, key=lambda s: s.params)
    best = max(trained, key=lambda s: s.val_accuracy.mean if s.val_accuracy else -1)
    runner_up = max((s for s in trained if s is not best), key=lambda s: s.val_accuracy.mean if s.val_accuracy else -1)
    small, large = by_params[0], by_params[-1]
    widest_gap = max(trained, key=lambda s: s.gap.mean if s.gap else -1)
    lowest_train = min(trained, key=lambda s: s.train_accuracy.mean if s.train_accuracy else 2)
    parts = [
        f"{lowest_train.step.key} fits its own training images worst (train accuracy"
        f" {lowest_train.train_accuracy.text()}, {best_train - lowest_train.train_accuracy.mean:.3f} below the best"
        f" reached): that distance is bias",
        (f"{widest_gap.step.key} has the widest train-validation gap ({widest_gap.gap.text()}): that is variance"
         if widest_gap.gap.mean > 0.01 else
         f"no network opens a train-validation gap above 0.01 (widest: {widest_gap.gap.text()}): little variance"),
        f"validation accuracy peaks at {best.step.key} ({best.val_accuracy.text()}, {best.params:,} parameters); "
        + compare(best.val_accuracy, runner_up.val_accuracy, best.step.key, runner_up.step.key, "validation accuracy"),
    ]
    if large is not best and large.val_accuracy and best.val_accuracy:
        more = "buys no validation accuracy" if not separated(large.val_accuracy, best.val_accuracy) or \
            large.val_accuracy.mean < best.val_accuracy.mean else "still helps"
        parts.append(f"going from {best.params:,} to {large.params:,} parameters ({large.step.key}) {more}")
    elif small is not best and separated(best.val_accuracy, runner_up.val_accuracy):
        parts.append("the largest network is clearly the best here: capacity is still the limit")
    elif small is not best:
        parts.append("the largest network is on top but within the seed spread of the next: more capacity no"
                     " longer clearly helps")
    return rows, "; ".join(parts) + ".", {}


def _data_size(steps: list[StepSummary]) -> tuple[list[dict[str, Any]], str, dict[str, int]]:
    rows = []
    for s in steps:
        sizes = [r.n_train for r in s.runs if r.n_train]
        rows.append({
            "fraction": s.step.config.train_fraction,
            "label": fraction_label(s.step.config.train_fraction),
            "n_train": sizes[0] if sizes else None,
            "runs": len(s.runs),
            "train_error": _spread(_error(s.train_accuracy)),
            "val_error": _spread(_error(s.val_accuracy)),
            "gap": _spread(s.gap),
            "diagnosis": (s.diagnosis().label if s.diagnosis() else None),
        })
    trained = [s for s in steps if s.runs and s.train_accuracy and s.val_accuracy]
    if len(trained) < 2:
        return rows, "", {}
    first, prev, last = trained[0], trained[-2], trained[-1]
    val_first, val_prev, val_last = (_error(s.val_accuracy) for s in (first, prev, last))
    train_last = _error(last.train_accuracy)
    gap_first, gap_last = first.gap.mean, last.gap.mean
    still_falling = val_last.mean < val_prev.mean and separated(val_last, val_prev)
    head = (f"validation error falls from {val_first.text()} on {first.step.label} to {val_last.text()} on"
            f" {last.step.label}, and the gap goes from {gap_first:.3f} to {gap_last:.3f}")
    if train_last.mean > 0.10 and not still_falling:
        verdict = (f"both errors stay high (training error {train_last.text()}) and flat: the model is too small"
                   " for these images (bias), so a bigger model is needed before more data pays")
    elif still_falling and gap_last < gap_first:
        verdict = (f"the last doubling still lowered validation error by more than the seed spread"
                   f" ({val_prev.text()} -> {val_last.text()}) and the gap is closing: more data would help")
    elif gap_last < gap_first:
        verdict = (f"the gap is closing but the last doubling moved validation error within the seed spread"
                   f" ({val_prev.text()} -> {val_last.text()}): more data helps slowly now; the remaining gap"
                   f" ({gap_last:.3f}) is variance that regularisation can also attack")
    else:
        verdict = "the gap does not close with more data: regularise the model (dropout, early stopping) instead"
    return rows, f"{head}; {verdict}.", {}


def _turn(s: StepSummary) -> int | None:
    """The epoch where mean validation loss is lowest, when it ends clearly above it (it turned up)."""
    curve = s.curve("val_loss")
    if len(curve.mean) < 3:
        return None
    i = min(range(len(curve.mean)), key=lambda k: curve.mean[k])
    return curve.epochs[i] if curve.mean[-1] > curve.mean[i] * 1.05 and i < len(curve.mean) - 1 else None


def _overfit(steps: list[StepSummary]) -> tuple[list[dict[str, Any]], str, dict[str, int]]:
    rows, marks = [], {}
    for s in steps:
        turn = _turn(s)
        if turn is not None:
            marks[s.step.key] = turn
        kept = [best_epoch(list(r.epochs)) for r in s.runs]
        lengths = [len(r.epochs) for r in s.runs]
        d = s.diagnosis()
        rows.append({
            "variant": s.step.label,
            "runs": len(s.runs),
            "val_loss_turns_at": turn,
            "epochs_trained": _spread(Spread.of(lengths)),
            "best_epoch": _spread(Spread.of(k for k in kept if k is not None)),
            "train_accuracy": _spread(s.train_accuracy),
            "val_accuracy": _spread(s.val_accuracy),
            "test_accuracy": _spread(s.test_accuracy),
            "gap": _spread(s.gap),
            "diagnosis": d.label if d else None,
        })
    by_key = {s.step.key: s for s in steps}
    plain, dropout, early = by_key["long"], by_key["dropout"], by_key["early-stop"]
    if not (plain.runs and dropout.runs and early.runs):
        return rows, "", marks
    turn = marks.get("long")
    loss = plain.curve("val_loss")
    if turn is not None:
        head = (f"without a cure validation loss is lowest at epoch {turn} ({loss.mean[loss.epochs.index(turn)]:.3f})"
                f" and climbs to {loss.mean[-1]:.3f} by epoch {loss.epochs[-1]} while training goes on improving;"
                f" the gap ends at {plain.gap.text()}")
    else:
        head = f"validation loss did not turn up within {loss.epochs[-1]} epochs; the gap ends at {plain.gap.text()}"
    cures = [
        f"dropout {OVERFIT_DROPOUT:g} ends with a gap of {dropout.gap.text()}; "
        + compare(dropout.test_accuracy, plain.test_accuracy, "dropout", "no cure", "test accuracy"),
        f"early stopping trains {Spread.of(len(r.epochs) for r in early.runs).text('.0f')} epochs instead of"
        f" {loss.epochs[-1]}; " + compare(early.test_accuracy, plain.test_accuracy, "early stopping", "no cure",
                                          "test accuracy"),
    ]
    return rows, head + ". " + ". ".join(c[0].upper() + c[1:] for c in cures) + ".", marks


def _scaling(steps: list[StepSummary]) -> tuple[list[dict[str, Any]], str, dict[str, int]]:
    by_key = {s.step.key: s for s in steps}
    rows, parts = [], []
    for label, _, _ in TUTORIAL_NETWORKS:
        raw, scaled = by_key[f"{label}-raw"], by_key[f"{label}-0-1"]
        row = {"network": label, "params": raw.params, "raw_test_accuracy": _spread(raw.test_accuracy),
               "normalized_test_accuracy": _spread(scaled.test_accuracy),
               "raw_diagnosis": (raw.diagnosis().label if raw.diagnosis() else None),
               "normalized_diagnosis": (scaled.diagnosis().label if scaled.diagnosis() else None)}
        if raw.test_accuracy and scaled.test_accuracy:
            row["difference"] = scaled.test_accuracy.mean - raw.test_accuracy.mean
            row["larger_than_spread"] = separated(raw.test_accuracy, scaled.test_accuracy)
            parts.append(compare(scaled.test_accuracy, raw.test_accuracy, f"{label} on 0-1", f"{label} on raw pixels",
                                 "test accuracy"))
        rows.append(row)
    raw_std = [r["raw_test_accuracy"]["std"] for r in rows if r["raw_test_accuracy"]]
    scaled_std = [r["normalized_test_accuracy"]["std"] for r in rows if r["normalized_test_accuracy"]]
    if raw_std and scaled_std and min(len(s.runs) for s in steps) > 1:
        raw_mean, scaled_mean = sum(raw_std) / len(raw_std), sum(scaled_std) / len(scaled_std)
        more = "more" if raw_mean > scaled_mean else "less"
        parts.append(f"the seeds disagree {more} on raw pixels (mean std of test accuracy {raw_mean:.3f} raw vs"
                     f" {scaled_mean:.3f} on 0-1)")
    return rows, "; ".join(parts) + "." if parts else "", {}
