from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hptune.core.config import (
    EXECUTION_FIELDS,
    FIELD_GROUPS,
    PRESETS,
    ConfigError,
    RunConfig,
    load_config,
    make_config,
    save_config,
)

CONFIGS = Path(__file__).resolve().parent.parent / "data" / "configs"


def test_defaults_follow_the_tutorial_network() -> None:
    config = RunConfig()
    assert (config.hidden_layers, config.hidden_units, config.optimizer, config.batch_size) == (2, 100, "adam", 256)
    assert config.dataset == "mnist" and config.normalize is True and config.patience is None
    assert config.widths == [100, 100]
    # 784*100+100 + 100*100+100 + 100*10+10
    assert config.param_count() == 89_610


def test_every_field_has_a_docstring_and_a_pane() -> None:
    grouped = {name for names in FIELD_GROUPS.values() for name in names}
    for name, info in RunConfig.model_fields.items():
        assert info.description, f"{name} has no docstring"
        if name not in EXECUTION_FIELDS:
            assert name in grouped


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        ({"hidden_units": -5}, "hidden_units", "between 1 and 4096"),
        ({"hidden_units": [10, 5000], "hidden_layers": 2}, "hidden_units", "between 1 and 4096"),
        ({"hidden_layers": 65}, "hidden_layers", "less than or equal to 64"),
        ({"activation": "swish"}, "activation", "'relu'"),
        ({"dropout": 1.5}, "dropout", "less than 1"),
        ({"dropout": -0.1}, "dropout", "greater than or equal to 0"),
        ({"optimizer": "lbfgs"}, "optimizer", "'adam'"),
        ({"learning_rate": 0}, "learning_rate", "greater than 0"),
        ({"learning_rate": 11}, "learning_rate", "less than or equal to 10"),
        ({"learning_rate": "abc"}, "learning_rate", "valid number"),
        ({"momentum": 1.0}, "momentum", "less than 1"),
        ({"batch_size": 0}, "batch_size", "greater than or equal to 1"),
        ({"epochs": 10_001}, "epochs", "less than or equal to 10000"),
        ({"patience": 0}, "patience", "greater than or equal to 1"),
        ({"validation_size": 0}, "validation_size", "at least 1"),
        ({"validation_size": 1.5}, "validation_size", "a fraction must be between 0 and 1"),
        ({"validation_size": -0.5}, "validation_size", "fraction"),
        ({"dataset": "  "}, "dataset", "expected a dataset name"),
        ({"colour": "red"}, "colour", "unknown key"),
    ],
)
def test_bad_values_name_the_field(values: dict, field: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_config(values)
    message = str(info.value)
    assert message.startswith(f"{field}:") or f"\n{field}:" in message, message
    assert expected in message


def test_unit_list_must_match_layers() -> None:
    with pytest.raises(ConfigError, match="hidden_units lists 3 widths but hidden_layers is 2"):
        make_config({"hidden_units": [10, 20, 30]})
    assert make_config({"hidden_layers": 3, "hidden_units": [10, 20, 30]}).widths == [10, 20, 30]


def test_model_too_large_is_refused_with_its_size() -> None:
    with pytest.raises(ConfigError) as info:
        make_config({"hidden_layers": 64, "hidden_units": 4096})
    message = str(info.value)
    assert "model too large" in message and "parameters" in message and "GiB" in message


def test_presets_are_the_tutorial_runs_and_take_overrides() -> None:
    config = make_config(preset="seed-10x10")
    assert (config.hidden_layers, config.hidden_units, config.normalize, config.epochs) == (10, 10, False, 10)
    assert make_config(preset="overfit-500").epochs == 500
    assert make_config({"epochs": 3, "dataset": "digits"}, preset="seed-2x100").epochs == 3
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config(preset="nope")
    assert set(PRESETS) == {"seed-2x10", "seed-2x100", "seed-10x10", "overfit-500"}


def test_toml_round_trip(tmp_path: Path) -> None:
    config = make_config({"hidden_layers": 3, "hidden_units": [64, 32, 16], "patience": 4, "dropout": 0.25})
    path = tmp_path / "run.toml"
    save_config(config, path)
    assert load_config(path) == config


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("good-*.toml")), ids=lambda p: p.name)
def test_good_config_files_load(path: Path) -> None:
    assert isinstance(load_config(path), RunConfig)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("bad-*.toml")), ids=lambda p: p.name)
def test_bad_config_files_name_the_file_and_field(path: Path) -> None:
    expected_field = path.stem.removeprefix("bad-").split("--")[0]
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected_field in message


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(list(RunConfig.model_fields) + ["bogus"]),
        st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=8), st.booleans(),
                  st.lists(st.integers(-10, 5000), max_size=4), st.none()),
        max_size=5,
    )
)
def test_any_input_gives_a_config_or_a_named_error(values: dict) -> None:
    try:
        config = make_config(values)
    except ConfigError as err:
        message = str(err)
        assert message and "Traceback" not in message
        first_field = message.split(":", 1)[0]
        assert first_field in set(RunConfig.model_fields) | set(values) | {"config"}, message
    else:
        assert isinstance(config, RunConfig)


def test_an_unknown_key_in_a_section_is_named_with_its_section(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text("[model]\nhidden_layers = 2\nlr = 0.1\n[data]\nnormalize = true\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"config file {path}: model.lr: unknown key; expected one of: ")
    assert info.value.field == "model.lr"
    path.write_text("[model]\ndropout = 2\n", encoding="utf-8")  # a known field keeps its own name
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"config file {path}: dropout: " in str(info.value) and info.value.field == "dropout"
