"""Any input gives a valid config or a clear error naming the field: never a traceback, a hang or a crash."""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hptune.core.cli import RUN_FLAGS, build_parser, config_from_args
from hptune.core.config import ConfigError, RunConfig, load_config

FLAGS = sorted(RUN_FLAGS) + ["--dataset", "--preset", "--raw-pixels", "--normalize"]
FIELDS = sorted(RunConfig.model_fields)

values = st.one_of(
    st.integers(-10**9, 10**9).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
    st.sampled_from(["relu", "adam", "sgd", "1,2,3", "-1", "0", "1e309", "nan", "inf", "auto", "0.5", "mnist-5k"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FLAGS), values), max_size=4))
def test_cli_flags_give_a_config_or_exit_2_naming_the_option(pairs: list[tuple[str, str]]) -> None:
    argv = ["run"]
    for flag, value in pairs:
        argv += [flag] if flag in ("--raw-pixels", "--normalize") else [flag, value]
    err = io.StringIO()
    try:
        with redirect_stderr(err):
            args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        assert exit_.code == 2
        message = err.getvalue()
        assert "Traceback" not in message and "error:" in message
        assert any(flag in message for flag, _ in pairs) or "argument" in message or "expected" in message
        return
    try:
        config = config_from_args(args)
    except ConfigError as error:
        message = str(error)
        named = message.split(":", 1)[0]
        assert named in set(FIELDS) | {"config", "preset"}, message
    else:
        assert isinstance(config, RunConfig)
        assert math.isfinite(config.learning_rate) and math.isfinite(config.dropout)


toml_scalars = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: repr(float(f))),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10).map(json.dumps),
    st.sampled_from(["true", "false", "[1, 2]", "[64, 32, 16]", "{ low = 1 }", "nan", "inf"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(FIELDS + ["units", "lr", "model"]), toml_scalars, max_size=6))
def test_toml_files_give_a_config_or_an_error_naming_file_and_field(tmp_path: Path, body: dict[str, str]) -> None:
    path = tmp_path / "run.toml"
    path.write_text("".join(f"{key} = {value}\n" for key, value in body.items()), encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as error:
        message = str(error)
        assert message.startswith(f"config file {path}: ")
        rest = message.removeprefix(f"config file {path}: ")
        named = rest.split(":", 1)[0]
        in_section = named.startswith("model.") and named.removeprefix("model.") not in FIELDS  # [model] low = 1
        assert named in set(FIELDS) | set(body) | {"config", "model"} or in_section or "not valid TOML" in rest
    else:
        assert isinstance(config, RunConfig)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_as_a_config_file(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "junk.toml"
    path.write_bytes(blob)
    try:
        load_config(path)
    except ConfigError as error:
        assert str(path) in str(error)


@pytest.mark.parametrize("text", ["hidden_units = [0]\nhidden_layers = 1\n", "[model]\nunits = 5\n"])
def test_examples(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
