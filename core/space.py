"""A sweep's search space and settings: per hyperparameter fixed, a list of choices, or an int/float range.

Read from and written to TOML; every name is a RunConfig field and every sampled point is validated through
RunConfig, so a sweep refuses the same values the form and the CLI refuse, with the same messages.

```toml
[space]
hidden_layers = [1, 2]                                  # choices
learning_rate = { low = 1e-4, high = 1e-1, log = true } # range
[fixed]
dataset = "mnist-5k"
epochs = 2
[sweep]                                                 # optional: defaults for the command-line flags
algorithm = "tpe"
```
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from hptune.core.config import ConfigError, RunConfig, _toml_value, make_config, read_toml

Algorithm = Literal["grid", "random", "tpe"]
PrunerName = Literal["none", "median", "hyperband"]
#: "test_macro_f1" is only read back from studies made before selection moved to validation metrics: choosing a
#: model on the test set leaves no unseen data to report on, so a new sweep refuses it.
Objective = Literal["val_accuracy", "val_loss", "val_macro_f1", "test_macro_f1"]
ALGORITHMS: tuple[str, ...] = Algorithm.__args__  # type: ignore[attr-defined]
PRUNERS: tuple[str, ...] = PrunerName.__args__  # type: ignore[attr-defined]
#: The objectives a new sweep may select on: validation metrics only.
OBJECTIVES: tuple[str, ...] = ("val_accuracy", "val_loss", "val_macro_f1")
#: The trial budget of a sampled search given neither a trial nor a time budget.
DEFAULT_TRIALS = 20
#: Which way each objective is better.
DIRECTIONS: dict[str, str] = {"val_accuracy": "maximize", "val_loss": "minimize", "val_macro_f1": "maximize",
                              "test_macro_f1": "maximize"}

#: RunConfig fields that hold whole numbers: a range over them samples integers.
INT_FIELDS = frozenset(
    {"hidden_layers", "hidden_units", "batch_size", "epochs", "patience", "seed", "steps_per_execution"}
)
#: RunConfig fields that hold real numbers: a range over them samples floats.
FLOAT_FIELDS = frozenset({"dropout", "learning_rate", "momentum", "validation_size", "train_fraction"})

Choice = bool | int | float | str | list[int]


class Choices(BaseModel):
    """A hyperparameter picked from a list of values."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    values: list[Choice] = Field(min_length=1)
    """The candidate values, in order; a list value (e.g. [64, 32]) is one width per hidden layer."""

    def encoded(self) -> list[Any]:
        """The values as Optuna categorical choices (which cannot be lists): lists become JSON text."""
        return [json.dumps(v) if isinstance(v, list) else v for v in self.values]

    def decode(self, value: Any) -> Any:
        lists = {json.dumps(v): v for v in self.values if isinstance(v, list)}
        return lists.get(value, value) if isinstance(value, str) else value


class Range(BaseModel):
    """A hyperparameter sampled between two bounds (integers for integer fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    low: float
    """The smallest value (inclusive)."""
    high: float
    """The largest value (inclusive)."""
    log: bool = False
    """Sample on a log scale (e.g. for the learning rate); both bounds must then be above zero."""
    step: float | None = Field(None, gt=0)
    """Spacing of the values; a grid search needs it to list the points. Not allowed with log."""

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) is above high ({self.high:g}): the range is inverted")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range must stay above zero, but low is {self.low:g}")
        if self.log and self.step is not None:
            raise ValueError("a range takes log or step, not both")
        return self

    def points(self, integer: bool) -> list[int | float]:
        """Every value of a stepped range, low first (for the grid)."""
        assert self.step is not None
        count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        values = [self.low + i * self.step for i in range(count)]
        return [int(round(v)) for v in values] if integer else [round(v, 12) for v in values]


class SweepSettings(BaseModel):
    """How to search: stored with the study so workers on other hosts need only the store and the study name."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    algorithm: Algorithm = "tpe"
    """grid runs every point once; random samples uniformly; tpe (Optuna's TPE) learns from finished trials."""
    pruner: PrunerName = "none"
    """Stop hopeless trials at an epoch end: median (below the median of earlier trials) or hyperband."""
    trials: int | None = Field(None, ge=1, le=100_000)
    """Trial budget; None runs until the time budget ends (grid: every point)."""
    timeout: float | None = Field(None, gt=0)
    """Time budget in seconds: no trial starts after it; running trials finish."""
    objective: Objective = "val_accuracy"
    """What the sweep optimizes, on the validation set only: accuracy (max), loss (min) or macro-F1 (max).
    The test set is left for reporting the chosen run."""
    seed: int | None = Field(0, ge=0, le=2**31 - 1)
    """Seed of the sampler (with the trial number), so a one-worker sweep repeats; None is random."""
    startup_trials: int = Field(5, ge=0, le=10_000)
    """Trials run in full before TPE models the results and before the median pruner prunes."""
    workers: int = Field(1, ge=1, le=256)
    """Worker processes `hptune sweep` starts on this machine."""

    @field_validator("objective")
    @classmethod
    def _validation_only(cls, value: str, info: Any) -> str:
        if value not in OBJECTIVES and not (info.context or {}).get("stored"):
            raise ValueError(f"{value} would select models on the test set; expected one of {', '.join(OBJECTIVES)}")
        return value

    @property
    def direction(self) -> str:
        return DIRECTIONS[self.objective]

    @classmethod
    def with_budget(cls, values: dict[str, Any]) -> SweepSettings:
        """Validate settings as a front end gives them: a search with neither a trial nor a time budget gets
        DEFAULT_TRIALS trials (a grid runs every point)."""
        values = dict(values)
        if values.get("algorithm", cls.model_fields["algorithm"].default) != "grid" and values.get("trials") is None \
                and values.get("timeout") is None:
            values["trials"] = DEFAULT_TRIALS
        return cls.model_validate(values)


def _kind(value: Any) -> str:
    if isinstance(value, Choices) or (isinstance(value, dict) and "values" in value):
        return "choices"
    return "range"


Spec = Annotated[Annotated[Choices, Tag("choices")] | Annotated[Range, Tag("range")], Discriminator(_kind)]


class SearchSpace(BaseModel):
    """Which RunConfig fields a sweep searches, how, and the values it keeps fixed."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    space: dict[str, Spec] = Field(min_length=1)
    """Searched fields: a list of choices or a range."""
    fixed: dict[str, Any] = Field(default_factory=dict)
    """Fields held at one value in every trial; the rest keep RunConfig's defaults."""
    sweep: SweepSettings = Field(default_factory=SweepSettings)
    """Defaults for the sweep's settings; command-line flags override them."""

    @field_validator("space", mode="before")
    @classmethod
    def _shapes(cls, value: Any) -> Any:
        """TOML shapes to models: a list is choices, a table is a range; anything else is refused by name."""
        if not isinstance(value, dict):
            return value
        shaped = {}
        for name, spec in value.items():
            if isinstance(spec, list):
                spec = {"values": spec}
            elif not isinstance(spec, dict | Choices | Range):
                raise ValueError(
                    f"space.{name}: expected a list of choices or a range table such as"
                    " { low = 1e-4, high = 0.1, log = true }; put single values under [fixed]"
                )
            shaped[name] = spec
        return shaped

    @model_validator(mode="after")
    def _fields_exist(self) -> SearchSpace:
        for section in ("space", "fixed"):
            for name in getattr(self, section):
                if name not in RunConfig.model_fields:
                    raise ConfigError(
                        f"{section}.{name}: unknown hyperparameter;"
                        f" expected one of: {', '.join(RunConfig.model_fields)}",
                        name,
                    )
        both = sorted(set(self.space) & set(self.fixed))
        if both:
            raise ConfigError(
                f"space.{both[0]}: is both searched and fixed; keep it in one of [space] or [fixed]", both[0]
            )
        for name, spec in self.space.items():
            if isinstance(spec, Range):
                if name not in INT_FIELDS and name not in FLOAT_FIELDS:
                    raise ConfigError(f"space.{name}: a range needs a numeric field; give a list of choices", name)
                if name in INT_FIELDS and not all(float(v).is_integer() for v in (spec.low, spec.high, spec.step or 1)):
                    raise ConfigError(f"space.{name}: is a whole number, so low, high and step must be integers", name)
        self._check_values()
        return self

    def _check_values(self) -> None:
        """Each choice and each bound must be a value RunConfig accepts, with the fixed values around it."""
        try:
            make_config(base=self.fixed)
        except ConfigError as err:
            raise ConfigError(f"fixed.{err}", err.field) from None
        for name, spec in self.space.items():
            if isinstance(spec, Choices):
                values = spec.values
            else:
                values = [self._cast(name, spec.low), self._cast(name, spec.high)]
            for value in values:
                try:
                    make_config({name: value}, base=self.fixed)
                except ConfigError as err:
                    if err.field == name:
                        raise ConfigError(f"space.{err}", name) from None
                    # a value valid alone but not with the defaults of another field is checked per trial

    @staticmethod
    def _cast(name: str, value: float) -> int | float:
        return int(value) if name in INT_FIELDS else float(value)

    # --- sampling ---------------------------------------------------------------------------------------------
    def suggest(self, trial: Any) -> dict[str, Any]:
        """Ask an Optuna trial for a value of every searched field; returns RunConfig values (lists decoded)."""
        values: dict[str, Any] = {}
        for name, spec in self.space.items():
            if isinstance(spec, Choices):
                values[name] = spec.decode(trial.suggest_categorical(name, spec.encoded()))
            elif name in INT_FIELDS:
                values[name] = trial.suggest_int(name, int(spec.low), int(spec.high), step=int(spec.step or 1),
                                                 log=spec.log)
            else:
                values[name] = trial.suggest_float(name, spec.low, spec.high, step=spec.step, log=spec.log)
        return values

    def decode(self, params: dict[str, Any]) -> dict[str, Any]:
        """Optuna's stored params as RunConfig values."""
        return {k: self.space[k].decode(v) if isinstance(self.space.get(k), Choices) else v for k, v in params.items()}

    def config(self, values: dict[str, Any]) -> RunConfig:
        """The run config of one point: RunConfig validates the whole combination (raises ConfigError)."""
        return make_config(values, base=self.fixed)

    def grid(self) -> list[dict[str, Any]]:
        """Every point of the space, as Optuna params (choices encoded), in a stable order."""
        axes = []
        for name, spec in self.space.items():
            if isinstance(spec, Choices):
                axes.append(spec.encoded())
            elif spec.log:
                raise ConfigError(
                    f"space.{name}: a grid search cannot list the points of a log range; give a list of choices"
                    f" (e.g. [{spec.low:g}, {math.sqrt(spec.low * spec.high):.2g}, {spec.high:g}])",
                    name,
                )
            elif spec.step is None:
                hint = "step = 1" if name in INT_FIELDS else f"step = {(spec.high - spec.low) / 4:g}"
                raise ConfigError(
                    f"space.{name}: a grid search needs a step for a range to list its points (e.g. {hint}),"
                    " or a list of choices",
                    name,
                )
            else:
                axes.append(spec.points(name in INT_FIELDS))
        return [dict(zip(self.space, combo, strict=True)) for combo in itertools.product(*axes)]

    @property
    def max_epochs(self) -> int:
        spec = self.space.get("epochs")
        if isinstance(spec, Range):
            return int(spec.high)
        if isinstance(spec, Choices):
            return int(max(spec.values))  # type: ignore[type-var]
        return int(self.fixed.get("epochs", RunConfig.model_fields["epochs"].default))

    # --- TOML -------------------------------------------------------------------------------------------------
    def to_toml(self) -> str:
        lines = ["[space]"]
        for name, spec in self.space.items():
            if isinstance(spec, Choices):
                lines.append(f"{name} = {_toml_value(spec.values)}")
            else:
                parts = [f"low = {_number(name, spec.low)}", f"high = {_number(name, spec.high)}"]
                if spec.log:
                    parts.append("log = true")
                if spec.step is not None:
                    parts.append(f"step = {_number(name, spec.step)}")
                lines.append(f"{name} = {{ {', '.join(parts)} }}")
        if self.fixed:
            lines += ["", "[fixed]"] + [f"{k} = {_toml_value(v)}" for k, v in self.fixed.items() if v is not None]
        settings = self.sweep.model_dump(exclude_defaults=True)
        if settings:
            lines += ["", "[sweep]"] + [f"{k} = {_toml_value(v)}" for k, v in settings.items() if v is not None]
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")


def _number(name: str, value: float) -> str:
    return str(int(value)) if name in INT_FIELDS else repr(float(value))


def space_from_data(data: dict[str, Any]) -> SearchSpace:
    """Validate plain data (as read from TOML); raises ConfigError naming the field."""
    unknown = sorted(set(data) - {"space", "fixed", "sweep"})
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: unknown section; expected [space], [fixed] and optionally [sweep]", unknown[0]
        )
    if not isinstance(data.get("space"), dict) or not data["space"]:
        raise ConfigError("space: expected a [space] table with at least one searched hyperparameter", "space")
    try:
        return SearchSpace.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err), _field(err)) from None


def _format(err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        loc = [str(p) for p in problem["loc"]]
        # pydantic names the union member (space.x.Choices.values); show the path a person wrote
        loc = [p for p in loc if p not in ("choices", "range", "values")]
        if len(loc) >= 2 and loc[0] == "space" and problem["type"] == "extra_forbidden":
            message = "unknown key in a range; expected low, high, log and step"
            loc = loc[:2]
        elif problem["type"] == "extra_forbidden":
            message = "unknown key"
        elif problem["type"] == "too_short" and loc[:1] == ["space"] and len(loc) == 2:
            message = "the list of choices is empty; give at least one value"
        else:
            message = problem["msg"].removeprefix("Value error, ")
        where = ".".join(p for p in loc if not p.isdigit())
        lines.append(f"{where}: {message}" if where and not message.startswith(f"{where}.") else message)
    return "\n".join(dict.fromkeys(lines))


def _field(err: ValidationError) -> str | None:
    for problem in err.errors():
        loc = [str(p) for p in problem["loc"]]
        if len(loc) >= 2 and loc[0] in ("space", "fixed", "sweep"):
            return loc[1]
        named = re.match(r"(?:Value error, )?(?:space|fixed|sweep)\.(\w+)", problem["msg"])
        if named:
            return named.group(1)
    return None


def load_space(path: str | Path) -> SearchSpace:
    """Read a search space from TOML; every error names the file and the field (ConfigError: exit 2)."""
    data = read_toml(path, "space file")
    try:
        return space_from_data(data)
    except ConfigError as err:
        raise ConfigError(f"space file {path}: {err}", err.field) from None
