"""The search space: the file formats it reads and refuses, grid points, and sampling through real Optuna."""

from __future__ import annotations

import io
from pathlib import Path

import optuna
import pytest

from hptune.core.cli import main
from hptune.core.config import ConfigError, RunConfig
from hptune.core.errors import EXIT_INPUT
from hptune.core.space import Choices, Range, SearchSpace, SweepSettings, load_space, space_from_data
from hptune.core.sweeps import make_pruner, make_sampler

SPACES = Path(__file__).resolve().parent.parent / "data" / "spaces"
BAD = sorted(SPACES.glob("bad-*.toml"))


def test_the_issue_example_loads_as_written() -> None:
    space = load_space(SPACES / "good-tutorial.toml")
    assert space.space["hidden_layers"] == Choices(values=[1, 2])
    assert space.space["learning_rate"] == Range(low=1e-4, high=1e-1, log=True)
    assert space.fixed == {"dataset": "mnist-5k", "epochs": 2}
    assert space.sweep.objective == "val_accuracy" and space.sweep.direction == "maximize"


def test_toml_round_trip(tmp_path: Path) -> None:
    space = space_from_data({
        "space": {"hidden_units": [[64, 32], [16, 16]], "dropout": {"low": 0, "high": 0.5, "step": 0.25},
                  "batch_size": {"low": 32, "high": 256, "log": True}},
        "fixed": {"hidden_layers": 2, "dataset": "mnist-5k"},
        "sweep": {"algorithm": "random", "pruner": "median", "objective": "val_loss", "trials": 7},
    })
    space.save(tmp_path / "s.toml")
    assert load_space(tmp_path / "s.toml") == space


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_space_files_name_the_file_and_the_field(path: Path) -> None:
    where, expected = path.stem.removeprefix("bad-").split("--")
    with pytest.raises(ConfigError) as caught:
        load_space(path)
    message = str(caught.value)
    assert message.startswith(f"space file {path}: {where}"), message
    assert expected.replace("-", " ") in message
    if "." in where:
        assert caught.value.field == where.split(".")[1]


@pytest.mark.parametrize("path", BAD[:3], ids=[p.stem for p in BAD[:3]])
def test_the_sweep_command_refuses_a_bad_space_with_exit_2(path: Path, tmp_path: Path) -> None:
    err = io.StringIO()
    code = main(["sweep", "--space", str(path), "--store", str(tmp_path / "s.journal")], out=io.StringIO(), err=err)
    assert code == EXIT_INPUT
    assert str(path) in err.getvalue()
    assert not (tmp_path / "s.journal").exists()  # refused before the store was touched


def test_grid_needs_a_step_for_a_range() -> None:
    space = load_space(SPACES / "good-tutorial.toml")
    with pytest.raises(ConfigError, match=r"space\.learning_rate: a grid search cannot list the points of a log range"):
        space.grid()
    linear = space_from_data({"space": {"dropout": {"low": 0.0, "high": 0.4}}})
    with pytest.raises(ConfigError, match=r"space\.dropout: a grid search needs a step") as caught:
        linear.grid()
    assert caught.value.field == "dropout"


def test_grid_lists_every_point_once() -> None:
    space = space_from_data({
        "space": {"hidden_layers": [1, 2], "hidden_units": {"low": 16, "high": 48, "step": 16},
                  "dropout": {"low": 0.0, "high": 0.2, "step": 0.1}},
    })
    points = space.grid()
    assert len(points) == 2 * 3 * 3
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)
    assert {p["hidden_units"] for p in points} == {16, 32, 48}
    assert sorted({p["dropout"] for p in points}) == [0.0, 0.1, 0.2]


def test_an_integer_field_refuses_fractional_bounds() -> None:
    with pytest.raises(ConfigError, match="hidden_layers: is a whole number"):
        space_from_data({"space": {"hidden_layers": {"low": 1, "high": 2.5}}})


def test_a_field_cannot_be_both_searched_and_fixed() -> None:
    with pytest.raises(ConfigError, match="epochs: is both searched and fixed"):
        space_from_data({"space": {"epochs": [1, 2]}, "fixed": {"epochs": 3}})


def test_sampled_points_are_run_configs_within_the_space() -> None:
    space = load_space(SPACES / "good-tutorial.toml")
    study = optuna.create_study(sampler=make_sampler(SweepSettings(algorithm="random"), 0), direction="maximize")
    for _ in range(20):
        trial = study.ask()
        values = space.suggest(trial)
        config = space.config(values)
        assert isinstance(config, RunConfig)
        assert config.hidden_layers in (1, 2) and config.hidden_units in (32, 64, 128)
        assert 1e-4 <= config.learning_rate <= 1e-1
        assert config.dataset == "mnist-5k" and config.epochs == 2
        study.tell(trial, 0.5)


def test_list_choices_survive_optuna_and_bad_combinations_are_refused_by_run_config() -> None:
    space = space_from_data({"space": {"hidden_layers": [1, 2], "hidden_units": [[8], [16, 8]]}})
    study = optuna.create_study()
    seen = set()
    for params in space.grid():
        study.enqueue_trial(params)
        trial = study.ask()
        values = space.suggest(trial)
        assert isinstance(values["hidden_units"], list)
        seen.add((values["hidden_layers"], tuple(values["hidden_units"])))
        if values["hidden_layers"] == len(values["hidden_units"]):
            assert space.config(values).widths == values["hidden_units"]
        else:
            with pytest.raises(ConfigError, match="give one width per hidden layer"):
                space.config(values)
        study.tell(trial, 0.0)
    assert seen == {(1, (8,)), (1, (16, 8)), (2, (8,)), (2, (16, 8))}


def test_pruners_follow_the_settings() -> None:
    space = load_space(SPACES / "good-tutorial.toml")
    assert isinstance(make_pruner(SweepSettings(pruner="median"), space), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner(SweepSettings(pruner="hyperband"), space), optuna.pruners.HyperbandPruner)
    assert isinstance(make_pruner(SweepSettings(pruner="none"), space), optuna.pruners.NopPruner)
    assert isinstance(make_sampler(SweepSettings(algorithm="tpe"), 3), optuna.samplers.TPESampler)


def test_space_fields_have_docstrings() -> None:
    for model in (SearchSpace, SweepSettings, Choices, Range):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no docstring"
