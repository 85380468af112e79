"""The search-space editor: per RunConfig field fixed, choices, a range or a log range, validated by the core.

Every field of RunConfig has a row, and the rows start from RunConfig's defaults (what `hptune sweep` uses for a
field a space file leaves out), never from whatever the main form holds: the same space scores the same here and
from the command line."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from hptune.core.config import ConfigError, RunConfig
from hptune.core.space import FLOAT_FIELDS, INT_FIELDS, Choices, Range, SearchSpace, space_from_data
from hptune.tui.widgets.dropdown import Dropdown

__all__ = ["SpaceEditor", "EDITABLE"]

#: The fields the editor shows: every RunConfig field, in the model's order.
EDITABLE: tuple[str, ...] = tuple(RunConfig.model_fields)
#: Fields that take a range (numbers); the others (names, switches) take fixed or choices.
NUMERIC = INT_FIELDS | FLOAT_FIELDS
MODES = ("fixed", "choices", "range", "log")
HINTS = {"fixed": "one value", "choices": "a, b, c", "range": "low, high[, step]", "log": "low, high"}
#: A first space worth searching, used where the main form gives no reason to do otherwise.
DEFAULT_SEARCH: dict[str, tuple[str, str]] = {
    "hidden_layers": ("choices", "1, 2"),
    "hidden_units": ("choices", "32, 64, 128"),
    "learning_rate": ("log", "0.0001, 0.1"),
}


def _scalar(text: str) -> Any:
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _show(value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return str(value)


def _value(name: str, text: str) -> Any:
    """A typed value: hidden_units also takes per-layer widths written 64x32."""
    if name == "hidden_units" and "x" in text:
        return [int(p) for p in text.split("x") if p.strip()]
    if RunConfig.model_fields[name].default is None and text.strip().lower() in ("", "off", "none"):
        return None  # e.g. patience: off
    return _scalar(text)


class SpaceEditor(VerticalScroll):
    """One row per hyperparameter: a mode and its values. Posts Changed with the core's verdict."""

    class Changed(Message):
        """The space was edited: `space` is valid, or None and `error` is the core's message."""

        def __init__(self, editor: SpaceEditor, space: SearchSpace | None, error: str | None) -> None:
            super().__init__()
            self.editor = editor
            self.space = space
            self.error = error

        @property
        def control(self) -> SpaceEditor:
            return self.editor

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.base = RunConfig()
        self.space: SearchSpace | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        for name in EDITABLE:
            mode, text = DEFAULT_SEARCH.get(name, ("fixed", _show(getattr(self.base, name))))
            modes = MODES if name in NUMERIC else ("fixed", "choices")
            with Horizontal(classes="space-row", id=f"space-row-{name}"):
                yield Label(name, classes="space-label")
                yield Dropdown([(m, m) for m in modes], value=mode, allow_blank=False, compact=True,
                             id=f"mode-{name}", classes="space-mode")
                yield Input(text, placeholder=HINTS[mode], compact=True, id=f"values-{name}", classes="space-values")
        yield Static("", id="space-error")

    def on_mount(self) -> None:
        self.validate()

    def load(self, space: SearchSpace) -> None:
        """Show a stored space (e.g. of a sweep being watched)."""
        for name in EDITABLE:
            spec = space.space.get(name)
            if isinstance(spec, Choices):
                mode, text = "choices", ", ".join(_show(v) for v in spec.values)
            elif isinstance(spec, Range):
                mode = "log" if spec.log else "range"
                text = ", ".join(_show(v) for v in (spec.low, spec.high, *([spec.step] if spec.step else [])))
            else:
                mode, text = "fixed", _show(space.fixed.get(name, getattr(self.base, name)))
            self.query_one(f"#mode-{name}", Select).value = mode
            self.query_one(f"#values-{name}", Input).value = text
        self.validate()

    def data(self) -> dict[str, Any]:
        """The editor's contents as the TOML shape the core reads."""
        searched: dict[str, Any] = {}
        fixed: dict[str, Any] = {}
        for name in EDITABLE:
            mode = self.query_one(f"#mode-{name}", Select).value
            text = self.query_one(f"#values-{name}", Input).value
            parts = [p for p in text.split(",") if p.strip()]
            if mode == "fixed":
                value = _value(name, text)
                if value != RunConfig.model_fields[name].default:  # the defaults go without saying, as in a file
                    fixed[name] = value
            elif mode == "choices":
                searched[name] = [_value(name, p) for p in parts]
            else:
                numbers = [_scalar(p) for p in parts]
                spec: dict[str, Any] = {"low": numbers[0] if numbers else None,
                                        "high": numbers[1] if len(numbers) > 1 else None}
                if mode == "log":
                    spec["log"] = True
                elif len(numbers) > 2:
                    spec["step"] = numbers[2]
                searched[name] = spec
        return {"space": searched, "fixed": fixed}

    def validate(self) -> None:
        try:
            self.space, self.error = space_from_data(self.data()), None
        except ConfigError as err:
            self.space, self.error = None, str(err)
        self.query_one("#space-error", Static).update(self.error or "")
        self.post_message(self.Changed(self, self.space, self.error))

    @on(Select.Changed, ".space-mode")
    def _mode(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("mode-")
        self.query_one(f"#values-{name}", Input).placeholder = HINTS.get(str(event.value), "")
        self.validate()

    @on(Input.Changed, ".space-values")
    def _values(self, event: Input.Changed) -> None:
        self.validate()
