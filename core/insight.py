"""What a search explains: which hyperparameters mattered, and how two runs differ.

Pure reads over the store: nothing here writes, so looking at a sweep that is still running changes nothing.
Only finished (COMPLETE) trials count towards importance; running, queued, pruned and failed ones are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hptune.core.errors import InputError
from hptune.core.outcome import RunOutcome
from hptune.core.store import SWEEP_ATTR, Store

#: Evaluator names on the command line -> (name shown to people, finished trials hptune asks for).
#: Optuna's evaluators answer from two trials on, but a random forest (fANOVA, mean decrease in impurity) fitted
#: to a handful of points reports noise, and PED-ANOVA compares the top 10% of trials with the rest, so it
#: needs enough trials for that top slice to hold more than one.
EVALUATORS: dict[str, tuple[str, int]] = {
    "fanova": ("fANOVA", 5),
    "mean-decrease-impurity": ("mean decrease in impurity", 5),
    "ped-anova": ("PED-ANOVA", 20),
}
DEFAULT_EVALUATOR = "fanova"
#: Seed of the evaluators' random forests, so the command line and the TUI show the same numbers.
EVALUATOR_SEED = 0


class InsightError(InputError):
    """A study or run that cannot be explained as asked (unknown name, not a sweep, unknown evaluator)."""


@dataclass(frozen=True)
class Importance:
    """Each searched hyperparameter's share of the objective's variation, largest first, summing to 1.

    With too few finished trials `importances` is empty and `message` says how many more the evaluator wants."""

    study: str
    evaluator: str
    evaluator_name: str
    objective: str | None
    direction: str
    finished: int
    needed: int
    importances: dict[str, float] = field(default_factory=dict)
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluator": self.evaluator,
            "importances": dict(self.importances),
            "evaluator_name": self.evaluator_name,
            "study": self.study,
            "objective": self.objective,
            "direction": self.direction,
            "finished_trials": self.finished,
            "needed_trials": self.needed,
            "message": self.message,
        }


def _evaluator(name: str) -> Any:
    import optuna.importance as imp

    if name == "fanova":
        return imp.FanovaImportanceEvaluator(seed=EVALUATOR_SEED)
    if name == "mean-decrease-impurity":
        return imp.MeanDecreaseImpurityImportanceEvaluator(seed=EVALUATOR_SEED)
    return imp.PedAnovaImportanceEvaluator()


def param_importance(store: Store, study: str, evaluator: str = DEFAULT_EVALUATOR) -> Importance:
    """Importance of each searched hyperparameter of `study` for its objective, from its finished trials."""
    import warnings

    import optuna

    if evaluator not in EVALUATORS:
        raise InsightError(f"evaluator: {evaluator!r} is not one of {', '.join(EVALUATORS)}", field="evaluator")
    shown, needed = EVALUATORS[evaluator]
    with store._lock:
        frozen = next((s for s in store.storage.get_all_studies() if s.study_name == study), None)
        if frozen is None:
            raise InsightError(f"study: no study {study!r} in {store.display}; `hptune studies` lists them",
                               field="study")
        trials = store.storage.get_all_trials(frozen._study_id, deepcopy=False)
        loaded = optuna.load_study(study_name=study, storage=store.storage)
    settings = (frozen.user_attrs.get(SWEEP_ATTR) or {}).get("settings") or {}
    done = [t for t in trials if t.state.name == "COMPLETE" and t.value is not None and math.isfinite(t.value)]
    base: dict[str, Any] = {
        "study": study, "evaluator": evaluator, "evaluator_name": shown, "objective": settings.get("objective"),
        "direction": frozen.direction.name.lower(), "finished": len(done), "needed": needed,
    }
    if SWEEP_ATTR not in frozen.user_attrs and not any(t.params for t in trials):
        raise InsightError(f"study: {study!r} is not a sweep: its runs search no hyperparameters", field="study")
    if len(done) < needed:
        more = needed - len(done)
        return Importance(**base, message=(
            f"{shown} needs at least {needed} finished trials and {study} has {len(done)}:"
            f" {more} more trial{'s' if more != 1 else ''} to go"))
    if len({t.value for t in done}) == 1:
        return Importance(**base, message=(
            f"every finished trial of {study} scored {done[0].value:.4g}: no hyperparameter made a difference yet"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature and "importances will be equal" warnings
        values = optuna.importance.get_param_importances(loaded, evaluator=_evaluator(evaluator), normalize=True)
    ordered = dict(sorted(((k, float(v)) for k, v in values.items()), key=lambda kv: (-kv[1], kv[0])))
    return Importance(**base, importances=ordered)


def bars(importances: dict[str, float], width: int = 40) -> list[str]:
    """A text bar chart, one line per hyperparameter: name, bar, value."""
    if not importances:
        return []
    name_width = max(len(k) for k in importances)
    top = max(importances.values()) or 1.0
    lines = []
    for name, value in importances.items():
        eighths = round(value / top * width * 8)
        bar = "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
        lines.append(f"{name:<{name_width}}  {bar:<{width}}  {value:.3f}")
    return lines


# --- comparing two runs -------------------------------------------------------------------------------------------

#: The metrics a comparison puts side by side, in order: (key, label, higher is better; None: neither).
DIFF_METRICS: tuple[tuple[str, str, bool | None], ...] = (
    ("test_accuracy", "test accuracy", True),
    ("test_macro_f1", "test macro-F1", True),
    ("val_macro_f1", "val macro-F1", True),
    ("val_accuracy", "val accuracy (last epoch)", True),
    ("best_val_accuracy", "val accuracy (best epoch)", True),
    ("val_loss", "val loss (last epoch)", False),
    ("epochs", "epochs trained", None),
    ("train_seconds", "train time (s)", False),
    ("n_params", "parameters", None),
)


@dataclass(frozen=True)
class RunDiff:
    """Run B against run A: config fields that differ, metrics side by side, and the confusion-matrix delta."""

    a: int
    b: int
    config_changes: dict[str, dict[str, Any]]
    metrics: dict[str, dict[str, Any]]
    confusion_delta: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "config_changes": self.config_changes, "metrics": self.metrics,
                "confusion_delta": self.confusion_delta}


def _metric(record: RunOutcome, key: str) -> float | None:
    if key == "val_loss":
        value = record.epochs[-1].val_loss if record.epochs else None
    elif key == "epochs":
        return len(record.epochs)
    elif key == "n_params":
        value = record.params
    else:
        value = getattr(record, key)
    return None if value is None or not math.isfinite(float(value)) else value


def confusion_delta(a: list[list[int]] | None, b: list[list[int]] | None) -> dict[str, Any] | None:
    """Per digit, correct predictions in A and B; digits that got better or worse; off-diagonal cells that changed."""
    if not a or not b or len(a) != len(b):
        return None
    per_class, better, worse, cells = [], [], [], []
    for i, (row_a, row_b) in enumerate(zip(a, b, strict=True)):
        delta = row_b[i] - row_a[i]
        per_class.append({"digit": i, "a": row_a[i], "b": row_b[i], "delta": delta})
        if delta > 0:
            better.append(i)
        elif delta < 0:
            worse.append(i)
        for j, (va, vb) in enumerate(zip(row_a, row_b, strict=True)):
            if i != j and va != vb:
                cells.append({"true": i, "predicted": j, "a": va, "b": vb, "delta": vb - va})
    cells.sort(key=lambda c: (-abs(c["delta"]), c["true"], c["predicted"]))
    return {
        "correct": per_class,
        "better": better,
        "worse": worse,
        "total_correct": {"a": sum(c["a"] for c in per_class), "b": sum(c["b"] for c in per_class)},
        "changed_cells": cells,
    }


def diff_records(a: RunOutcome, b: RunOutcome) -> RunDiff:
    config_a, config_b = a.config.model_dump(), b.config.model_dump()
    changes = {
        key: {"a": config_a.get(key), "b": config_b.get(key)}
        for key in sorted(set(config_a) | set(config_b))
        if config_a.get(key) != config_b.get(key)
    }
    for key in ("dataset",):
        da, db = (a.dataset.name if a.dataset else None), (b.dataset.name if b.dataset else None)
        if da != db and key not in changes:
            changes[key] = {"a": da, "b": db}
    metrics = {}
    for key, _label, higher in DIFF_METRICS:
        va, vb = _metric(a, key), _metric(b, key)
        delta = None if va is None or vb is None else vb - va
        metrics[key] = {"a": va, "b": vb, "delta": delta, "higher_is_better": higher}
    return RunDiff(a.run_id, b.run_id, changes, metrics, confusion_delta(a.confusion, b.confusion))


def diff_runs(store: Store, a: int, b: int) -> RunDiff:
    """Compare two stored runs (B against A)."""
    records = []
    for run_id in (a, b):
        try:
            records.append(store.get(run_id))
        except KeyError as err:
            raise InsightError(f"run: {err.args[0]}", field="run") from None
    return diff_records(*records)


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return "x".join(map(str, value))
    return str(value)


def diff_lines(diff: RunDiff) -> list[str]:
    """The comparison as text: what the command line prints and the diff screen shows."""
    lines = [f"run {diff.b} against run {diff.a}", "", "config (only what differs):"]
    if diff.config_changes:
        width = max(len(k) for k in diff.config_changes)
        for key, change in diff.config_changes.items():
            lines.append(f"  {key:<{width}}  {format_value(change['a']):>10}  ->  {format_value(change['b'])}")
    else:
        lines.append("  (the same config)")
    lines += ["", f"  {'metric':<26} {'run ' + str(diff.a):>10} {'run ' + str(diff.b):>10} {'change':>10}"]
    labels = {key: label for key, label, _ in DIFF_METRICS}
    for key, m in diff.metrics.items():
        if m["a"] is None and m["b"] is None:
            continue  # neither run has it (a metric older runs did not record)
        delta = m["delta"]
        if delta is None:
            change = "-"
        else:
            change = (f"{delta:+,d}" if isinstance(delta, int) else f"{delta:+.4g}") if delta else "="
            if delta and m["higher_is_better"] is not None:
                change += " better" if (delta > 0) == m["higher_is_better"] else " worse"
        lines.append(f"  {labels[key]:<26} {format_value(m['a']):>10} {format_value(m['b']):>10} {change:>10}")
    cd = diff.confusion_delta
    lines.append("")
    if cd is None:
        lines.append("confusion matrix: not available for both runs")
        return lines
    lines.append(f"correct test images per digit: {cd['total_correct']['a']} -> {cd['total_correct']['b']}")
    lines.append("  digit " + " ".join(f"{c['digit']:>5}" for c in cd["correct"]))
    lines.append(f"  run {diff.a:<2}" + " ".join(f"{c['a']:>5}" for c in cd["correct"]))
    lines.append(f"  run {diff.b:<2}" + " ".join(f"{c['b']:>5}" for c in cd["correct"]))
    lines.append("  change" + " ".join(f"{c['delta']:>+5}" if c["delta"] else f"{'=':>5}" for c in cd["correct"]))
    by_digit = {c["digit"]: c["delta"] for c in cd["correct"]}
    lines.append("better: " + (", ".join(f"{d} (+{by_digit[d]})" for d in cd["better"]) or "none")
                 + "   worse: " + (", ".join(f"{d} ({by_digit[d]})" for d in cd["worse"]) or "none"))
    if cd["changed_cells"]:
        lines.append("mistakes that changed (true -> predicted: run A, run B):")
        shown = cd["changed_cells"][:10]
        lines.append("  " + "  ".join(f"{c['true']}->{c['predicted']}: {c['a']},{c['b']}" for c in shown[:5]))
        if len(shown) > 5:
            lines.append("  " + "  ".join(f"{c['true']}->{c['predicted']}: {c['a']},{c['b']}" for c in shown[5:]))
        if len(cd["changed_cells"]) > 10:
            lines.append(f"  ... and {len(cd['changed_cells']) - 10} more (--json lists them all)")
    return lines


# --- parallel coordinates -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Axis:
    """One vertical axis: a searched hyperparameter (log, linear or choices) or the objective."""

    name: str
    kind: str  # "log", "linear", "choice" or "objective"
    low: float
    high: float
    labels: tuple[str, ...] = ()  # the choices, bottom to top

    def position(self, value: Any) -> float | None:
        """Where a value sits on the axis, 0 (bottom) to 1 (top)."""
        if self.kind == "choice":
            text = format_value(value)
            if text not in self.labels:
                return None
            return self.labels.index(text) / max(1, len(self.labels) - 1) if len(self.labels) > 1 else 0.5
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None
        low, high = self.low, self.high
        if self.kind == "log":
            if x <= 0:
                return None
            x, low, high = math.log10(x), math.log10(low), math.log10(high)
        return 0.5 if high == low else min(1.0, max(0.0, (x - low) / (high - low)))

    def tick(self, where: float) -> str:
        """The value at a position (0 or 1: the axis's ends)."""
        if self.kind == "choice":
            return self.labels[round(where * (len(self.labels) - 1))] if self.labels else ""
        if self.kind == "log":
            return f"{10 ** (math.log10(self.low) + where * (math.log10(self.high) - math.log10(self.low))):.3g}"
        return f"{self.low + where * (self.high - self.low):.3g}"


@dataclass(frozen=True)
class ParallelCoordinates:
    """Every finished trial of a sweep as a line across the axes, with its score; `best` is the best trial."""

    study: str
    objective: str
    maximize: bool
    axes: tuple[Axis, ...]
    lines: tuple[tuple[int, tuple[float | None, ...], float], ...]  # (trial number, positions, score)
    best: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study, "objective": self.objective, "maximize": self.maximize, "best": self.best,
            "axes": [{"name": a.name, "kind": a.kind, "low": a.low, "high": a.high, "labels": list(a.labels)}
                     for a in self.axes],
            "lines": [{"trial": n, "positions": list(p), "score": v} for n, p, v in self.lines],
        }


def parallel_coordinates(store: Store, study: str) -> ParallelCoordinates:
    """One axis per searched hyperparameter plus the objective, one line per finished trial."""
    from hptune.core.space import Choices, SearchSpace, SweepSettings

    with store._lock:
        frozen = next((s for s in store.storage.get_all_studies() if s.study_name == study), None)
        if frozen is None or SWEEP_ATTR not in frozen.user_attrs:
            raise InsightError(f"study: no sweep {study!r} in {store.display}; `hptune studies` lists them",
                               field="study")
        trials = store.storage.get_all_trials(frozen._study_id, deepcopy=False)
    meta = frozen.user_attrs[SWEEP_ATTR]
    space = SearchSpace.model_validate(meta["space"])
    settings = SweepSettings.model_validate(meta["settings"], context={"stored": True})
    done = [t for t in trials if t.state.name == "COMPLETE" and t.value is not None and math.isfinite(t.value)]
    axes = []
    for name, spec in space.space.items():
        if isinstance(spec, Choices):
            axes.append(Axis(name, "choice", 0, 1, tuple(format_value(v) for v in spec.values)))
        else:
            axes.append(Axis(name, "log" if spec.log else "linear", spec.low, spec.high))
    scores = [t.value for t in done]
    axes.append(Axis(settings.objective, "objective", min(scores, default=0.0), max(scores, default=1.0)))
    maximize = settings.direction == "maximize"
    lines = []
    for t in sorted(done, key=lambda t: t.number):
        params = space.decode(dict(t.params))
        positions = tuple(axis.position(params.get(axis.name)) for axis in axes[:-1]) + (axes[-1].position(t.value),)
        lines.append((t.number, positions, float(t.value)))
    best = None
    if done:
        best = (max if maximize else min)(done, key=lambda t: (t.value, -t.number) if maximize else (t.value, t.number))
    return ParallelCoordinates(study, settings.objective, maximize, tuple(axes), tuple(lines),
                               best.number if best else None)


# --- the run a sweep chose -------------------------------------------------------------------------------------

def chosen_run(store: Store, snap: Any) -> dict[str, Any] | None:
    """The best trial of a sweep snapshot (chosen on a validation metric) with its test metrics, which are
    reported for this run alone: no other trial's test score is looked at."""
    best = snap.best
    if best is None:
        return None
    record = store.get(best.run_id)
    return {"run_id": best.run_id, "trial": best.number, "objective": snap.sweep.settings.objective,
            "value": best.value, "test_accuracy": record.test_accuracy, "test_macro_f1": record.test_macro_f1}


def chosen_run_line(chosen: dict[str, Any]) -> str:
    return (f"chosen run {chosen['run_id']} on {chosen['objective']}: test accuracy"
            f" {format_value(chosen['test_accuracy'])}, test macro-F1 {format_value(chosen['test_macro_f1'])}"
            " (the test set played no part in choosing it)")


__all__ = [
    "Axis", "DEFAULT_EVALUATOR", "DIFF_METRICS", "EVALUATORS", "Importance", "InsightError", "ParallelCoordinates",
    "RunDiff", "bars", "chosen_run", "chosen_run_line", "parallel_coordinates",
    "confusion_delta", "diff_lines", "diff_records", "diff_runs", "format_value", "param_importance",
]
