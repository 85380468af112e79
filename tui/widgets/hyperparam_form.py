"""The run form: every RunConfig field, validated by the core's pydantic model as it is edited."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select, Static

from hptune.core.config import (
    ACTIVATIONS,
    BACKENDS,
    ENGINES,
    FIELD_GROUPS,
    MOMENTUM_OPTIMIZERS,
    OPTIMIZERS,
    PRESET_HELP,
    PRESETS,
    ConfigError,
    RunConfig,
    field_help,
    format_bytes,
    make_config,
)
from hptune.core.dataset_names import NAMES, validate_name
from hptune.tui.widgets.dropdown import Dropdown
from hptune.tui.widgets.path_input import PathInput
from hptune.tui.widgets.text import show_text

__all__ = ["HyperparamForm", "FIELD_LABELS"]

FIELD_LABELS: dict[str, str] = {
    "hidden_layers": "Layers",
    "hidden_units": "Units",
    "activation": "Activation",
    "dropout": "Dropout",
    "optimizer": "Optimizer",
    "learning_rate": "Learn rate",
    "momentum": "Momentum",
    "batch_size": "Batch size",
    "epochs": "Epochs",
    "patience": "Patience",
    "seed": "Seed",
    "repeats": "Repeats",
    "dataset": "Dataset",
    "validation_size": "Validation",
    "train_fraction": "Data share",
    "normalize": "Normalize",
    "engine": "Engine",
    "backend": "Backend",
    "keep_model": "Keep model",
}
#: Yes/no fields, with the words beside their box.
_CHECKBOXES = {"normalize": "0-1 scale", "keep_model": "save weights"}
_SELECTS = {"activation": ACTIVATIONS, "optimizer": OPTIMIZERS, "engine": ENGINES, "backend": BACKENDS}
_PLACEHOLDERS = {"hidden_units": "100 or 128,64", "patience": "off", "validation_size": "auto, 5000 or 0.2"}
#: Config keys the form does not show; they are carried over from the loaded config unchanged.
_HIDDEN = tuple(name for name in RunConfig.model_fields if not any(name in g for g in FIELD_GROUPS.values()))


def _text(name: str, value: Any) -> str:
    """A config value as the form shows it."""
    if value is None:
        return ""
    if name == "hidden_units" and isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class HyperparamForm(VerticalScroll):
    """Form panes for Model, Optimization and Data, plus a preset picker and the model's size."""

    class Changed(Message):
        """The form was edited: `config` is the valid config, or None while any field is invalid."""

        def __init__(self, form: HyperparamForm, config: RunConfig | None, errors: dict[str, str]) -> None:
            super().__init__()
            self.form = form
            self.config = config
            self.errors = errors

        @property
        def control(self) -> HyperparamForm:
            return self.form

    def __init__(self, config: RunConfig, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._initial = config
        self._hidden = {name: getattr(config, name) for name in _HIDDEN}
        self.config: RunConfig | None = config
        self.errors: dict[str, str] = {}
        self._loading = False

    # --- layout -------------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Dropdown(
            [(name, name) for name in PRESETS], prompt="Preset (tutorial)…", id="preset", compact=True,
            tooltip="\n".join(f"{k}: {v}" for k, v in PRESET_HELP.items()),
        )
        for group, names in FIELD_GROUPS.items():
            with Vertical(classes="form-group", id=f"group-{group.lower()}") as pane:
                pane.border_title = group
                for name in names:
                    yield from self._field(name)
                if group == "Model":
                    yield Static("", id="config-error", classes="field-error")
        yield Static("", id="model-size")

    def _field(self, name: str) -> ComposeResult:
        value = getattr(self._initial, name)
        with Horizontal(classes="field-row", id=f"row-{name}"):
            yield Label(FIELD_LABELS[name], classes="field-label", id=f"label-{name}").with_tooltip(field_help(name))
            if name in _SELECTS:
                yield Dropdown([(v, v) for v in _SELECTS[name]], value=value, allow_blank=False, compact=True,
                             id=f"field-{name}", tooltip=field_help(name))
            elif name in _CHECKBOXES:
                yield Checkbox(_CHECKBOXES[name], value=bool(value), compact=True, id=f"field-{name}",
                               tooltip=field_help(name))
            else:
                suggester = SuggestFromList(list(NAMES), case_sensitive=False) if name == "dataset" else None
                kind = PathInput if name == "dataset" else Input
                yield kind(_text(name, value), placeholder=_PLACEHOLDERS.get(name, ""), compact=True,
                            id=f"field-{name}", tooltip=field_help(name), suggester=suggester, select_on_focus=False)
        yield Static("", id=f"error-{name}", classes="field-error")

    def on_mount(self) -> None:
        self.validate_fields()

    # --- reading and writing the widgets ------------------------------------------------------------------------
    def raw_values(self) -> dict[str, Any]:
        """What the person typed, shaped for the model: text goes to pydantic as is, so its rules decide."""
        values: dict[str, Any] = dict(self._hidden)
        for names in FIELD_GROUPS.values():
            for name in names:
                widget = self.query_one(f"#field-{name}")
                if isinstance(widget, Select):
                    values[name] = widget.value
                elif isinstance(widget, Checkbox):
                    values[name] = widget.value
                else:
                    text = widget.value.strip()
                    if name == "patience" and text.lower() in ("", "off", "none"):
                        values[name] = None
                    elif name == "hidden_units" and "," in text:
                        values[name] = [part.strip() for part in text.split(",") if part.strip()]
                    else:
                        values[name] = text
        return values

    def load(self, values: dict[str, Any], preset: str | None = None) -> None:
        """Fill the form from config values (a preset, a stored run, a sweep's best trial), then validate once. The
        preset picker names `preset`, or nothing: it never names a preset the form no longer holds."""
        picker = self.query_one("#preset", Select)
        if preset is None and picker.value is not Select.NULL:
            with picker.prevent(Select.Changed):
                picker.clear()
        self._loading = True
        try:
            for key, value in values.items():
                if key in _HIDDEN:
                    self._hidden[key] = value
                    continue
                if key not in FIELD_LABELS:
                    continue
                widget = self.query_one(f"#field-{key}")
                if isinstance(widget, (Select, Checkbox)):
                    widget.value = value if isinstance(widget, Select) else bool(value)
                else:
                    widget.value = _text(key, value)
        finally:
            self._loading = False
        self.validate_fields()

    # --- validation ---------------------------------------------------------------------------------------------
    def validate_fields(self) -> None:
        """Validate through `make_config` and show each message at its field."""
        if self._loading:
            return
        values = self.raw_values()
        errors: dict[str, list[str]] = {}
        config: RunConfig | None = None
        try:
            config = make_config(values)
        except ConfigError as err:
            for line in str(err).splitlines():
                field, _, text = line.partition(": ")
                key = field if field in FIELD_LABELS else "config"
                errors.setdefault(key, []).append(text if key != "config" else line.removeprefix("config: "))
        problem = validate_name(str(values.get("dataset", ""))) if "dataset" not in errors else None
        if problem:
            errors.setdefault("dataset", []).append(problem)
            config = None
        self.config = config
        self.errors = {k: "\n".join(v) for k, v in errors.items()}
        # Touch only what changed: this runs on every key press, perhaps while a run trains.
        for name in FIELD_LABELS:
            self._show_error(f"#error-{name}", self.errors.get(name, ""))
            self.query_one(f"#field-{name}").set_class(name in self.errors, "-invalid")
        self._show_error("#config-error", self.errors.get("config", ""))
        optimizer = values.get("optimizer")
        self.query_one("#field-momentum").disabled = optimizer not in MOMENTUM_OPTIMIZERS
        if config is not None:
            size_text = f"[b]{config.param_count():,}[/b] params · ~{format_bytes(config.memory_bytes())} memory"
        else:
            size_text = f"[$error]{len(self.errors)} field(s) need attention[/]"
        # Touched only when it changed, and without a layout pass: a layout of the whole screen is the dearest
        # thing a key press can cost while a run trains.
        show_text(self.query_one("#model-size", Static), size_text, layout=False)
        self.post_message(self.Changed(self, config, dict(self.errors)))

    def _show_error(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        was_shown = widget.display
        # Toggling display lays the screen out anyway; a message replacing another may change its height.
        show_text(widget, text, layout=was_shown and bool(text))
        if was_shown != bool(text):  # an empty message takes no row
            widget.display = bool(text)

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Message) -> None:
        event.stop()
        self.validate_fields()

    @on(Select.Changed)
    def _selected(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "preset":
            if event.value is not Select.NULL:  # cleared: nothing to apply
                self.apply_preset(str(event.value))
            return
        self.validate_fields()

    def apply_preset(self, name: str) -> None:
        """A tutorial experiment on top of the defaults; the dataset choice stays as it is."""
        keep = {k: v for k, v in self.raw_values().items() if k in FIELD_GROUPS["Data"] and k != "normalize"}
        values = {**RunConfig().model_dump(), **PRESETS[name], **keep}
        self.load(values, preset=name)
        self.notify(PRESET_HELP[name], title=f"Preset {name}")

    def blocking(self) -> str:
        """What keeps the form from being a config, naming the field, as one line (empty when it is valid)."""
        names = [name for name in (*FIELD_LABELS, "config") if name in self.errors]
        if not names:
            return ""
        first = names[0]
        label = FIELD_LABELS.get(first, "The config")
        more = f" (and {len(names) - 1} more field(s))" if len(names) > 1 else ""
        return f"{label} ({first}): {self.errors[first].splitlines()[0]}{more}"

    def focus_first_error(self) -> bool:
        for name in FIELD_LABELS:
            if name in self.errors:
                self.query_one(f"#field-{name}").focus()
                return True
        return False
