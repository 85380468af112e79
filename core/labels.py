"""The words every front end uses for a run: a config's short label, a Keras-style epoch line, a run's result lines.

Kept in the library so that the command line, the TUI and the sweep views say the same thing the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hptune.core.config import RunConfig
    from hptune.core.events import EpochMetrics
    from hptune.core.outcome import RunOutcome

#: Fields the label always shows, in this order; every other field appears only where it differs from its default.
_ALWAYS = ("hidden_layers", "hidden_units", "activation", "optimizer", "learning_rate", "batch_size")


def config_label(config: RunConfig) -> str:
    """A one-line description, e.g. `2x100 relu adam lr 0.001 bs 256 raw pixels ep 8 seed 1 mnist-5k`.

    Two configs that differ in any field get different labels: after the model and the optimizer, every field
    that differs from its default follows, in the config's order (raw pixels, drop(out), mom(entum), ep(ochs),
    pat(ience), seed, the dataset, val(idation size), spe (steps per execution))."""
    widths = config.widths
    if not config.hidden_layers:
        model = "no hidden layer"
    elif isinstance(config.hidden_units, int):
        model = f"{config.hidden_layers}x{config.hidden_units}"
    else:
        model = f"{config.hidden_layers}x" + "x".join(str(w) for w in widths)
    parts = [model, config.activation, config.optimizer, f"lr {config.learning_rate:g}", f"bs {config.batch_size}"]
    defaults = {name: info.default for name, info in type(config).model_fields.items()}
    for name, default in defaults.items():
        value = getattr(config, name)
        if name in _ALWAYS or value == default:
            continue
        parts.append(_changed(name, value))
    return " ".join(parts)


#: Short names for the fields shown only when they differ from their defaults.
_SHORT = {"dropout": "drop", "momentum": "mom", "epochs": "ep", "patience": "pat", "validation_size": "val",
          "steps_per_execution": "spe"}


def _changed(name: str, value: Any) -> str:
    if name == "normalize":
        return "normalized" if value else "raw pixels"
    if name == "dataset":
        return str(value)
    if name == "keep_model":
        return "keep model" if value else "no kept model"
    if isinstance(value, float):
        return f"{_SHORT.get(name, name)} {value:g}"
    return f"{_SHORT.get(name, name)} {value}"


def epoch_line(m: EpochMetrics, epochs: int) -> str:
    """One finished epoch, in Keras' words (fits 80 columns up to epoch 9/9)."""
    return (
        f"Epoch {m.epoch}/{epochs}  {m.seconds:.2f}s  loss: {m.loss:.4f}  acc: {m.accuracy:.4f}"
        f"  val_loss: {m.val_loss:.4f}  val_acc: {m.val_accuracy:.4f}"
    )


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
