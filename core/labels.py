"""The words every front end uses for a run: a config's short label, a Keras-style epoch line, a run's result lines.

Kept in the library so that the command line, the TUI and the sweep views say the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hptune.core.config import RunConfig
    from hptune.core.events import EpochMetrics
    from hptune.core.outcome import RunOutcome

#: Fields the label always shows, in this order; every other field appears only where it differs from its default.
_ALWAYS = ("hidden_layers", "hidden_units", "activation", "optimizer", "learning_rate", "batch_size")


def config_label(config: RunConfig, also: Iterable[str] = ()) -> str:
    """A one-line description, e.g. `2x100 relu adam lr 0.001 bs 256 raw pixels ep 8 seed 1 mnist-5k`.

    Two configs that differ in any field get different labels: after the model and the optimizer, every field
    that differs from its default follows, in the config's order (raw pixels, drop(out), mom(entum), ep(ochs),
    pat(ience), seed, the dataset, val(idation size), spe (steps per execution)). The fields named in `also` (a
    sweep's searched ones) are shown even at their defaults, so `normalized` is said where it was a choice."""
    parts = [_model(config), config.activation, config.optimizer, f"lr {config.learning_rate:g}",
             f"bs {config.batch_size}"]
    shown = set(also)
    for name, default in _defaults(config).items():
        value = getattr(config, name)
        if name in _ALWAYS or (value == default and name not in shown):
            continue
        parts.append(_changed(name, value))
    return " ".join(parts)


def changes_label(config: RunConfig, leave_out: Iterable[str] = ()) -> str:
    """The fields that differ from their defaults, as config_label words them, less those in `leave_out` (a
    table's own columns), raw pixels first: `raw pixels drop 0.1 seed 1`; "" for a config at its defaults."""
    skip = set(_ALWAYS) | set(leave_out)
    names = sorted(_defaults(config), key=lambda n: n != "normalize")  # raw pixels first: it fits a narrow column
    defaults = _defaults(config)
    return " ".join(_changed(name, getattr(config, name)) for name in names
                    if name not in skip and getattr(config, name) != defaults[name])


def distinct_labels(configs: Sequence[RunConfig]) -> list[str]:
    """For several runs shown together (a chart's legend): each config's values of only the fields in which the
    configs differ, so two runs that differ only in normalize read `normalized` and `raw pixels`. One config, or
    configs that are all alike, get their full config_label."""
    if len(configs) < 2:
        return [config_label(c) for c in configs]
    names = ["model", *(n for n in _defaults(configs[0]) if n not in ("hidden_layers", "hidden_units"))]
    differing = [n for n in names if len({_field_text(c, n) for c in configs}) > 1]
    if not differing:
        return [config_label(c) for c in configs]
    return [" ".join(_field_text(c, n) for n in differing) for c in configs]


def _defaults(config: RunConfig) -> dict[str, Any]:
    return {name: info.default for name, info in type(config).model_fields.items()}


def _model(config: RunConfig) -> str:
    if not config.hidden_layers:
        return "no hidden layer"
    if isinstance(config.hidden_units, int):
        return f"{config.hidden_layers}x{config.hidden_units}"
    return f"{config.hidden_layers}x" + "x".join(str(w) for w in config.widths)


def _field_text(config: RunConfig, name: str) -> str:
    """One field as a label says it, whatever its value (hidden_layers and hidden_units are said as the model)."""
    if name in ("model", "hidden_layers", "hidden_units"):
        return _model(config)
    value = getattr(config, name)
    if name == "learning_rate":
        return f"lr {value:g}"
    if name == "batch_size":
        return f"bs {value}"
    if name in ("activation", "optimizer"):
        return str(value)
    return _changed(name, value)


#: Short names for the fields shown only when they differ from their defaults.
_SHORT = {"dropout": "drop", "momentum": "mom", "epochs": "ep", "patience": "pat", "validation_size": "val",
          "steps_per_execution": "spe"}


#: A table column's heading for each field: the words of a run's label, so a narrow table fits its numbers.
_HEADINGS = {"hidden_layers": "layers", "hidden_units": "units", "activation": "act", "optimizer": "opt",
             "learning_rate": "lr", "batch_size": "bs", "normalize": "norm", "train_fraction": "share",
             "keep_model": "keep", **_SHORT}


def field_heading(name: str) -> str:
    """A short column heading for a RunConfig field, e.g. `lr` for learning_rate (the name itself if none)."""
    return _HEADINGS.get(name, name)


def _changed(name: str, value: Any) -> str:
    if name == "normalize":
        return "normalized" if value else "raw pixels"
    if value is None:
        return f"{_SHORT.get(name, name)} off"
    if name == "dataset":
        return str(value)
    if name == "keep_model":
        return "keep model" if value else "no kept model"
    if isinstance(value, float):
        return f"{_SHORT.get(name, name)} {value:g}"
    return f"{_SHORT.get(name, name)} {value}"


def epoch_parts(m: EpochMetrics, epochs: int) -> list[str]:
    """One finished epoch as the parts of its line, in Keras' words; a narrow view wraps between them."""
    return [f"Epoch {m.epoch}/{epochs}", f"{m.seconds:.2f}s", f"loss: {m.loss:.4f}", f"acc: {m.accuracy:.4f}",
            f"val_loss: {m.val_loss:.4f}", f"val_acc: {m.val_accuracy:.4f}"]


def epoch_line(m: EpochMetrics, epochs: int) -> str:
    """One finished epoch on one line (fits 80 columns up to epoch 9/9)."""
    return "  ".join(epoch_parts(m, epochs))


def status_line(outcome: RunOutcome) -> str:
    return f"status: {outcome.status}" + (f" ({outcome.message})" if outcome.message else "")


def scores_line(outcome: RunOutcome) -> str | None:
    """Test accuracy, macro-F1, training time and best epoch; None when the run has no test scores."""
    if outcome.test_accuracy is None:
        return None
    f1 = "-" if outcome.test_macro_f1 is None else f"{outcome.test_macro_f1:.4f}"
    seconds = "-" if outcome.train_seconds is None else f"{outcome.train_seconds:.1f}s"
    return (f"test accuracy: {outcome.test_accuracy:.4f}  macro-F1: {f1}  train time: {seconds}"
            f"  best epoch: {outcome.best_epoch if outcome.best_epoch else '-'}")


def model_line(outcome: RunOutcome) -> str:
    """Whether the run kept its trained network, where, and how large it is."""
    if not outcome.model_file:
        return "model: not kept (train with --keep-model, or tick Keep model in the form, to keep it)"
    from hptune.core.config import format_bytes

    size = f"{format_bytes(outcome.model_bytes)}, " if outcome.model_bytes is not None else ""
    return f"model: kept ({size}{outcome.model_file}); `hptune export {outcome.run_id} --out FILE.keras` writes it"


def result_lines(outcome: RunOutcome) -> list[str]:
    """What a finished run says under its epoch lines: status, test scores, diagnosis."""
    lines = [status_line(outcome)]
    scores = scores_line(outcome)
    if scores:
        lines.append(scores)
    if outcome.diagnosis:
        lines.append(f"diagnosis: {outcome.diagnosis.line}")
    return lines
