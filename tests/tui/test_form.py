"""The form validates through the core's model: messages at the field, Train disabled while anything is invalid."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from textual.widgets import Button, Input, Select, Static

from hptune.core.config import ConfigError, make_config
from hptune.tui.app import make_app
from hptune.tui.widgets import HyperparamForm
from tests.tui.conftest import history_loaded


def _config():
    return make_config({"dataset": "mnist-5k", "epochs": 2})


def _field_error(app, name: str) -> str:
    widget = app.screen.query_one(f"#error-{name}", Static)
    return str(widget.render()) if widget.display else ""


async def test_invalid_values_show_the_models_message_and_disable_train(store) -> None:
    app = make_app(store, _config())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert not screen.query_one("#train", Button).disabled
        lr = screen.query_one("#field-learning_rate", Input)
        lr.value = "-1"
        await pilot.pause()
        with pytest.raises(ConfigError) as err:
            make_config({"learning_rate": "-1"})
        expected = str(err.value).partition(": ")[2]
        assert _field_error(app, "learning_rate") == expected
        assert screen.query_one("#train", Button).disabled
        assert screen.check_action("train", ()) is True  # ctrl+r still answers: it names the blocking field
        assert "need attention" in str(screen.query_one("#model-size", Static).render())

        screen.query_one("#field-hidden_units", Input).value = "100,0"
        await pilot.pause()
        assert "between 1 and 4096" in _field_error(app, "hidden_units")

        lr.value = "0.01"
        screen.query_one("#field-hidden_units", Input).value = "100,50"
        await pilot.pause()
        assert _field_error(app, "learning_rate") == ""
        assert _field_error(app, "hidden_units") == ""
        assert screen.query_one(HyperparamForm).config is not None
        assert not screen.query_one("#train", Button).disabled

        screen.query_one("#field-dataset", Input).value = "no-such-set"
        await pilot.pause()
        assert "not a dataset name" in _field_error(app, "dataset")
        assert screen.query_one("#train", Button).disabled


async def test_typing_into_a_field_validates_as_you_go(store) -> None:
    app = make_app(store, _config())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.query_one("#field-epochs", Input).focus()
        await pilot.press("end", "backspace", "x")
        await pilot.pause()
        assert "valid integer" in _field_error(app, "epochs")
        await pilot.press("backspace", "3")
        await pilot.pause()
        assert _field_error(app, "epochs") == ""
        assert screen.query_one(HyperparamForm).config.epochs == 3


async def test_momentum_is_disabled_for_optimizers_that_ignore_it(store) -> None:
    app = make_app(store, _config())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        momentum = screen.query_one("#field-momentum", Input)
        assert momentum.disabled  # adam
        screen.query_one("#field-optimizer", Select).value = "sgd"
        await pilot.pause()
        assert not momentum.disabled
        screen.query_one("#field-optimizer", Select).value = "rmsprop"
        await pilot.pause()
        assert not momentum.disabled
        screen.query_one("#field-optimizer", Select).value = "adamw"
        await pilot.pause()
        assert momentum.disabled


async def test_preset_and_size_update(store) -> None:
    app = make_app(store, _config())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        size = screen.query_one("#model-size", Static)
        assert "89,610 params" in str(size.render())
        screen.query_one("#preset", Select).value = "seed-10x10"
        await pilot.pause()
        form = screen.query_one(HyperparamForm)
        assert form.config.hidden_layers == 10 and form.config.hidden_units == 10
        assert form.config.normalize is False
        assert form.config.dataset == "mnist-5k"  # the dataset choice survives a preset
        assert f"{form.config.param_count():,} params" in str(size.render())


def test_first_screen_appears_before_tensorflow_is_imported(tmp_path) -> None:
    """Importing and starting the app must not import TensorFlow or Keras (the worker does, when training)."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from hptune.core.store import Store
        from hptune.core.config import make_config
        from hptune.tui.app import make_app

        async def main():
            app = make_app(Store({str(tmp_path / 'runs.journal')!r}), make_config({{"dataset": "mnist-5k"}}))
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                assert app.screen.query_one("#form") is not None
                print("loaded:", sorted(m for m in ("tensorflow", "keras") if m in sys.modules))

        asyncio.run(main())
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "loaded: []" in out.stdout


async def test_ctrl_r_on_an_invalid_form_says_which_field_blocks_it(store) -> None:
    app = make_app(store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(120, 40)) as pilot:
        units = app.screen.query_one("#field-hidden_units", Input)
        units.value = "lots"
        await pilot.pause()
        app.screen.query_one("#field-epochs", Input).focus()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.main_screen.running
        [note] = [n.message for n in app._notifications]
        assert note.startswith("Cannot train yet: Units (hidden_units): ")
        assert app.focused is units


async def test_every_key_of_every_screen_is_in_the_footer_at_80_columns(fixture_store) -> None:
    """Every key of every screen is in its footer at 80 columns: a cell apart where they all fit so, side by side
    only where they do not (the main screen's nine)."""
    from textual.widgets._footer import FooterKey

    app = make_app(fixture_store, make_config({"dataset": "mnist-5k"}))
    async with app.run_test(size=(80, 24)) as pilot:
        for key, screen_id in (("", "main"), ("ctrl+o", "history"), ("enter", "run-detail"), ("ctrl+e", "sweep")):
            if key:
                await pilot.press(key)
            await pilot.pause()
            await history_loaded(pilot)
            await pilot.pause()
            assert app.screen.id == screen_id
            keys = [k for k in app.screen.query(FooterKey) if k.display]
            shown = {k.description for k in keys}
            assert "Quit" in shown and ("Sweep" in shown) == (screen_id != "sweep"), (screen_id, shown)
            assert {b.description for b in app.screen.BINDINGS if b.show} <= shown
            assert all(k.region.right <= 80 for k in keys), [(k.description, k.region) for k in keys]
            keys.sort(key=lambda k: k.region.x)
            gaps = {b.region.x - a.region.right for a, b in zip(keys, keys[1:], strict=False)}
            fits_apart = sum(k.region.width for k in keys) + len(keys) <= 80
            assert gaps == ({1} if fits_apart else {0}), (screen_id, gaps)
            assert fits_apart is (screen_id != "main")


async def test_clearing_the_preset_picker_leaves_the_form_as_it_is(store) -> None:
    app = make_app(store, make_config({"dataset": "mnist-5k", "hidden_units": 48}))
    async with app.run_test(size=(120, 40)) as pilot:
        preset = app.screen.query_one("#preset", Select)
        await pilot.press("ctrl+l")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert preset.value is not Select.NULL
        preset.clear()  # backspace on the picker: no preset chosen
        await pilot.pause()
        assert preset.value is Select.NULL
        assert app._exception is None and app.screen.query_one(HyperparamForm).config is not None
