"""The run configuration: every value a person can set, its default, its range and why it exists.

One pydantic model validates the TUI form, the CLI flags, TOML files and sweep trials alike, so a rule lives
here once and every front end shows the same message.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hptune.core.errors import InputError

Activation = Literal["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "linear"]
Optimizer = Literal["adam", "sgd", "rmsprop", "adamw", "nadam", "adagrad"]
Engine = Literal["auto", "compiled", "keras"]
Backend = Literal["auto", "jax", "tensorflow", "torch"]

ACTIVATIONS: tuple[str, ...] = Activation.__args__  # type: ignore[attr-defined]
OPTIMIZERS: tuple[str, ...] = Optimizer.__args__  # type: ignore[attr-defined]
ENGINES: tuple[str, ...] = Engine.__args__  # type: ignore[attr-defined]
BACKENDS: tuple[str, ...] = Backend.__args__  # type: ignore[attr-defined]
#: Keras backends the compiled engine runs on.
COMPILED_BACKENDS: frozenset[str] = frozenset({"jax"})
#: Optimizers whose Keras implementation takes a momentum argument.
MOMENTUM_OPTIMIZERS: frozenset[str] = frozenset({"sgd", "rmsprop"})

#: Input size assumed before a dataset is loaded (28x28 MNIST-style images); the trainer re-checks with the real one.
DEFAULT_INPUT_SIZE = 28 * 28
NUM_CLASSES = 10
#: steps_per_execution=auto: at most this many steps per call (the fastest measured for small models) ...
AUTO_MAX_STEPS = 32
#: ... and no more than about this much work per call, so Stop and the progress bar stay responsive on big models.
AUTO_EXECUTION_SECONDS = 0.15
#: Dense-layer training throughput assumed for that estimate (measured 50-130 GFLOP/s on 2 CPU cores).
ASSUMED_FLOPS = 50e9
#: Share of physical memory a single model may claim before it is refused.
MEMORY_FRACTION = 0.5


class ConfigError(InputError):
    """Bad user input, already worded for a person: names the field and what was expected."""

    def __init__(self, message: str, field: str | None = None, *, file: str | None = None) -> None:
        super().__init__(message, field=field, file=file)


class RunConfig(BaseModel):
    """Hyperparameters and data choices for one training run."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    # --- model ---
    hidden_layers: int = Field(2, ge=0, le=64)
    """Number of hidden Dense layers between the flattened image and the 10-way softmax."""
    hidden_units: int | list[int] = 100
    """Width of each hidden layer (1-4096): one number for all layers, or a list with one width per layer."""
    activation: Activation = "relu"
    """Activation after each hidden Dense layer."""
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    """Dropout rate after each hidden layer; 0 adds no Dropout layer."""

    # --- optimization ---
    optimizer: Optimizer = "adam"
    """Keras optimizer used to fit the weights."""
    learning_rate: float = Field(1e-3, gt=0.0, le=10.0)
    """Step size of the optimizer."""
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    """Momentum for sgd and rmsprop; the other optimizers ignore it."""
    batch_size: int = Field(256, ge=1, le=1_000_000)
    """Images per gradient step (at most the number of training images)."""
    epochs: int = Field(10, ge=1, le=10_000)
    """Passes over the training images."""
    patience: int | None = Field(None, ge=1, le=10_000)
    """Stop early after this many epochs without a better val_loss, restoring the best weights; None is off."""
    seed: int = Field(0, ge=0, le=2**31 - 1)
    """Seed for weight initialisation, shuffling and dropout: the same seed and config give the same curves."""
    repeats: int = Field(1, ge=1, le=20)
    """Train this config with this many seeds (seed, seed+1, ...), each an ordinary stored run, and report the
    mean and standard deviation: the spread tells a real difference between configs from seed noise."""

    # --- data ---
    dataset: str = Field("mnist", min_length=1)
    """A registered dataset name (mnist, fashion-mnist, mnist-5k, digits) or a path to IDX files or an .npz."""
    validation_size: Literal["auto"] | int | float = "auto"
    """Images held out of training for validation: a count, a fraction in (0, 1), or auto (10,000 of MNIST's
    60,000 as in the reference tutorial; one sixth of smaller sets)."""
    normalize: bool = True
    """Scale pixels to [0, 1]; false feeds raw 0-255 pixels as the reference tutorial did."""
    train_fraction: float = Field(1.0, gt=0.0, le=1.0)
    """Share of the training images to train on (the first ones), in (0, 1]; validation and test images stay the
    same, so runs on growing shares show what more data would do."""

    # --- execution ---
    steps_per_execution: Literal["auto"] | int = "auto"
    """Training steps Keras runs per call into the backend (1-1024). Larger is faster for small models; progress
    updates and Stop are honoured between calls. auto: up to 32, fewer for big models, so one call takes about
    0.15 s (bench/steps_per_execution.py measured 32 as the fastest for the tutorial's models). Only the keras
    engine uses it; the compiled engine sizes its calls from the measured step time."""
    engine: Engine = "auto"
    """How the training steps run. compiled: many steps per call in one compiled loop through Keras' stateless API
    (JAX backend; several times faster for small networks); keras: Keras' own model.fit, the reference path;
    auto: compiled where the backend has it, else keras."""
    keep_model: bool = False
    """Keep the trained weights as a Keras model file beside the store (`hptune export RUN` writes it out): the
    final weights, or the best epoch's where early stopping restored them. A sweep keeps its best trials' models
    whatever this says."""
    backend: Backend = "auto"
    """The Keras backend that trains: jax, tensorflow or torch (each must be installed); auto: $KERAS_BACKEND if
    set, else jax when installed (the fastest here), else tensorflow. Keras fixes its backend per process, so a
    process that already trained on one backend refuses another."""

    @field_validator("hidden_units")
    @classmethod
    def _units_in_range(cls, value: int | list[int]) -> int | list[int]:
        widths = value if isinstance(value, list) else [value]
        for width in widths:
            if not 1 <= width <= 4096:
                raise ValueError(f"each width must be between 1 and 4096, got {width}")
        return value

    @field_validator("validation_size")
    @classmethod
    def _validation_size(cls, value: str | int | float) -> str | int | float:
        if value == "auto":
            return value
        if isinstance(value, bool):
            raise ValueError("expected a count, a fraction in (0, 1) or auto")
        if isinstance(value, float) and value.is_integer() and value >= 1:
            value = int(value)
        if isinstance(value, int):
            if value < 1:
                raise ValueError(f"a count must be at least 1, got {value}")
        elif not 0.0 < value < 1.0:
            raise ValueError(f"a fraction must be between 0 and 1 (exclusive), got {value}")
        return value

    @field_validator("steps_per_execution")
    @classmethod
    def _steps_per_execution(cls, value: str | int) -> str | int:
        if value != "auto" and not 1 <= value <= 1024:
            raise ValueError(f"expected auto or 1 to 1024, got {value}")
        return value

    @field_validator("dataset")
    @classmethod
    def _dataset_named(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("expected a dataset name or a path")
        return value

    @model_validator(mode="after")
    def _engine_on_backend(self) -> RunConfig:
        if self.engine == "compiled" and self.backend not in ("auto", *COMPILED_BACKENDS):
            raise ValueError(
                f"engine compiled runs on the {' or '.join(sorted(COMPILED_BACKENDS))} backend, not {self.backend};"
                " choose engine keras or auto for it"
            )
        return self

    @model_validator(mode="after")
    def _layers_and_size(self) -> RunConfig:
        if isinstance(self.hidden_units, list) and self.hidden_layers != len(self.hidden_units):
            raise ValueError(
                f"hidden_units lists {len(self.hidden_units)} widths but hidden_layers is {self.hidden_layers}:"
                " give one width per hidden layer"
            )
        check_fits_memory(self, DEFAULT_INPUT_SIZE)
        return self

    # --- derived values ---
    @property
    def widths(self) -> list[int]:
        """The width of every hidden layer."""
        if isinstance(self.hidden_units, list):
            return list(self.hidden_units)
        return [self.hidden_units] * self.hidden_layers

    def param_count(self, input_size: int = DEFAULT_INPUT_SIZE) -> int:
        """Trainable parameters of the Dense stack for an input of `input_size` features."""
        total, fan_in = 0, input_size
        for width in [*self.widths, NUM_CLASSES]:
            total += fan_in * width + width
            fan_in = width
        return total

    def effective_steps_per_execution(self, input_size: int = DEFAULT_INPUT_SIZE) -> int:
        """The steps per backend call this run uses: as set, or for auto about AUTO_EXECUTION_SECONDS of work."""
        if self.steps_per_execution != "auto":
            return int(self.steps_per_execution)
        flops_per_step = 6 * self.param_count(input_size) * self.batch_size
        steps = int(AUTO_EXECUTION_SECONDS * ASSUMED_FLOPS / max(1, flops_per_step))
        return max(1, min(AUTO_MAX_STEPS, steps))

    def memory_bytes(self, input_size: int = DEFAULT_INPUT_SIZE) -> int:
        """Estimated training memory: weights, gradients and two optimizer slots, plus a batch's activations."""
        params = self.param_count(input_size)
        activations = self.batch_size * (input_size + 3 * sum(self.widths) + 2 * NUM_CLASSES)
        return 4 * (4 * params + 2 * activations)

    def to_toml(self) -> str:
        """The config as a TOML document that `load_config` reads back unchanged."""
        lines = []
        for key, value in self.model_dump().items():
            if value is None:
                continue  # TOML has no null: an absent key means the default (None)
            lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def physical_memory() -> int:
    """Bytes of physical memory on this machine (a generous fallback where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16 * 2**30


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def check_fits_memory(config: RunConfig, input_size: int) -> None:
    """Refuse, before anything is built, a model that would not fit comfortably in memory."""
    need = config.memory_bytes(input_size)
    limit = int(physical_memory() * MEMORY_FRACTION)
    if need > limit:
        raise ConfigError(
            f"model too large: {config.param_count(input_size):,} parameters need about {format_bytes(need)} to"
            f" train, more than the {format_bytes(limit)} allowed ({MEMORY_FRACTION:.0%} of this machine's memory);"
            " use fewer hidden_layers or hidden_units, or a smaller batch_size",
            field="hidden_units",
        )


# --- presets: the reference tutorial's experiments ---
_TUTORIAL = dict(
    optimizer="adam", batch_size=256, epochs=10, normalize=False, activation="relu"
)
PRESETS: dict[str, dict[str, Any]] = {
    "seed-2x10": dict(_TUTORIAL, hidden_layers=2, hidden_units=10),
    "seed-2x100": dict(_TUTORIAL, hidden_layers=2, hidden_units=100),
    "seed-10x10": dict(_TUTORIAL, hidden_layers=10, hidden_units=10),
    "overfit-500": dict(_TUTORIAL, hidden_layers=2, hidden_units=100, epochs=500),
}
PRESET_HELP: dict[str, str] = {
    "seed-2x10": "tutorial: 2 hidden layers of 10 units, raw pixels, adam, batch 256, 10 epochs",
    "seed-2x100": "tutorial: 2 hidden layers of 100 units, raw pixels, adam, batch 256, 10 epochs",
    "seed-10x10": "tutorial: 10 hidden layers of 10 units, raw pixels, adam, batch 256, 10 epochs",
    "overfit-500": "tutorial: 2x100 for 500 epochs, to watch validation turn while training keeps improving",
}


#: What a union-typed field accepts, said once instead of one pydantic message per union member.
UNION_EXPECTED = {
    "hidden_units": "a width from 1 to 4096, or one width per layer such as 128,64",
    "validation_size": "a count, a fraction between 0 and 1, or auto",
    "steps_per_execution": "auto or a whole number from 1 to 1024",
    "patience": "off (empty) or a whole number of epochs from 1",
}


def format_validation_error(err: ValidationError) -> str:
    """One line per problem, each naming the field, what was given and what is expected."""
    lines = []
    for problem in err.errors():
        # The first part is the field; pydantic appends union members ("int", "literal['auto']") a person never typed.
        loc = str(problem["loc"][0]) if problem["loc"] else "config"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = f"unknown key; expected one of: {', '.join(RunConfig.model_fields)}"
        elif "ctx" in problem and "error" in problem["ctx"]:
            message = str(problem["ctx"]["error"])
        elif len(problem["loc"]) > 1 and loc in UNION_EXPECTED:
            message = f"expected {UNION_EXPECTED[loc]}"  # a type mismatch on every member of the union
        given = problem.get("input")
        quiet = problem["type"] in ("extra_forbidden", "missing") or isinstance(given, dict) or "got " in message
        shown = "" if quiet else f" (got {given!r})"
        lines.append(f"{loc}: {message}{shown}")
    return "\n".join(dict.fromkeys(lines))


def field_names_in(err: ValidationError) -> list[str]:
    names = []
    for problem in err.errors():
        loc = [str(p) for p in problem["loc"] if not isinstance(p, int)]
        names.append(loc[0] if loc else "config")
    return list(dict.fromkeys(names))


def make_config(values: dict[str, Any] | None = None, preset: str | None = None,
                base: dict[str, Any] | None = None) -> RunConfig:
    """Build a config from a preset, then a base (e.g. a TOML file), then explicit values; raise ConfigError."""
    merged: dict[str, Any] = {}
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"preset: unknown preset {preset!r}; expected one of: {', '.join(PRESETS)}", "preset")
        merged.update(PRESETS[preset])
    merged.update(base or {})
    merged.update(values or {})
    try:
        return RunConfig.model_validate(merged)
    except ValidationError as err:
        names = field_names_in(err)
        raise ConfigError(format_validation_error(err), names[0] if names else None) from None


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """Parse a TOML file as plain data, with errors that name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{what} {path}: cannot be read ({err})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{what} {path}: not valid TOML ({err})") from None


def load_config(path: str | Path, overrides: dict[str, Any] | None = None, preset: str | None = None) -> RunConfig:
    """Load a run config from TOML; unknown keys are rejected with the key named."""
    data = read_toml(path)
    # Accept the sections the form shows ([model], [optimization], [data]) as well as a flat file.
    flat: dict[str, Any] = {}
    section_of: dict[str, str] = {}
    for key, value in data.items():
        if key in _SECTIONS and isinstance(value, dict):
            flat.update(value)
            section_of.update(dict.fromkeys(value, key))
        else:
            flat[key] = value
    try:
        return make_config(overrides, preset=preset, base=flat)
    except ConfigError as err:
        def placed(key: str | None) -> str | None:
            """A key no config has, named where the file has it: "model.lr", not "lr" (a field keeps its name)."""
            known = key is None or key not in section_of or key in RunConfig.model_fields
            return key if known else f"{section_of[key]}.{key}"

        lines = []
        for line in str(err).splitlines():
            key, sep, rest = line.partition(": ")
            lines.append(f"{placed(key)}: {rest}" if sep else line)
        raise ConfigError(f"config file {path}: " + "\n".join(lines), placed(err.field)) from None


def save_config(config: RunConfig, path: str | Path) -> None:
    Path(path).write_text(config.to_toml(), encoding="utf-8")


_SECTIONS = ("model", "optimization", "data")

#: Which form pane each field belongs to (for front ends).
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "Model": ("hidden_layers", "hidden_units", "activation", "dropout"),
    "Optimization": ("optimizer", "learning_rate", "momentum", "batch_size", "epochs", "patience", "seed", "repeats"),
    "Data": ("dataset", "validation_size", "train_fraction", "normalize"),
    "Engine": ("engine", "backend", "keep_model"),
}
#: Fields the form does not show (a CLI flag and TOML files set them); the form keeps them as loaded.
EXECUTION_FIELDS: tuple[str, ...] = ("steps_per_execution",)


def field_help(name: str) -> str:
    """The docstring of a config field, for help texts and tooltips."""
    info = RunConfig.model_fields[name]
    return info.description or ""
