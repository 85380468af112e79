"""The search-space editor: per RunConfig field fixed, choices, a range or a log range, validated by the core.

Every field of RunConfig has a row, and the rows start from RunConfig's defaults (what `hptune sweep` uses for a
field a space file leaves out), never from whatever the main form holds: the same space scores the same here and
from the command line."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from hptune.core.config import ConfigError, RunConfig
from hptune.core.space import FLOAT_FIELDS, INT_FIELDS, Choices, Range, SearchSpace, space_from_data
from hptune.tui.steps import mount_in_steps
from hptune.tui.widgets.dropdown import Dropdown
from hptune.tui.widgets.text import show_text

__all__ = ["SpaceEditor", "EDITABLE"]

#: The fields the editor shows: every RunConfig field, in the model's order.
EDITABLE: tuple[str, ...] = tuple(RunConfig.model_fields)
#: Fields that take a range (numbers); the others (names, switches) take fixed or choices.
NUMERIC = INT_FIELDS | FLOAT_FIELDS
MODES = ("fixed", "choices", "range", "log")
#: Rows mounted in one step of building the editor.
ROWS_PER_STEP = 4
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
        #: The contents last validated (data()), so that the same contents are not validated and announced again.
        self._validated: dict[str, Any] | None = None
        self._modes: dict[str, Select[str]] = {}
        self._values: dict[str, Input] = {}
        #: Set once every row is mounted (see _build_rows); a space loaded before waits in `_pending`.
        self.built = asyncio.Event()
        self._pending: SearchSpace | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="space-error")

    def _row(self, name: str) -> Horizontal:
        mode, text = DEFAULT_SEARCH.get(name, ("fixed", _show(getattr(self.base, name))))
        modes = MODES if name in NUMERIC else ("fixed", "choices")
        self._modes[name] = Dropdown([(m, m) for m in modes], value=mode, allow_blank=False, compact=True,
                                     id=f"mode-{name}", classes="space-mode")
        self._values[name] = Input(text, placeholder=HINTS[mode], compact=True, id=f"values-{name}",
                                   classes="space-values")
        return Horizontal(Label(name, classes="space-label"), self._modes[name], self._values[name],
                          classes="space-row", id=f"space-row-{name}")

    def on_mount(self) -> None:
        # In a task of its own: Textual holds the app's messages (keys included) until every widget of a screen
        # being mounted has run its on_mount, and the steps wait for pauses in those keys.
        self.run_worker(self._build_rows(), name="space-rows", group="space-rows")

    async def _build_rows(self) -> None:
        """The rows are mounted a few at a time (tui.steps): the editor is most of the sweep screen, and built in
        one go it held the app for a tenth of a second or more, keys included."""
        await mount_in_steps(self, (self._row(name) for name in EDITABLE), step=ROWS_PER_STEP, before="#space-error")
        self.built.set()
        if self._pending is not None:
            self.load(self._pending)
        else:
            self.validate()

    def load(self, space: SearchSpace) -> None:
        """Show a stored space (e.g. of a sweep being watched)."""
        if not self.built.is_set():
            self._pending = space  # shown once the rows are there
            return
        self._pending = None
        for name in EDITABLE:
            spec = space.space.get(name)
            if isinstance(spec, Choices):
                mode, text = "choices", ", ".join(_show(v) for v in spec.values)
            elif isinstance(spec, Range):
                mode = "log" if spec.log else "range"
                text = ", ".join(_show(v) for v in (spec.low, spec.high, *([spec.step] if spec.step else [])))
            else:
                mode, text = "fixed", _show(space.fixed.get(name, getattr(self.base, name)))
            self._modes[name].value = mode
            self._values[name].value = text
        self.validate()

    def data(self) -> dict[str, Any]:
        """The editor's contents as the TOML shape the core reads."""
        searched: dict[str, Any] = {}
        fixed: dict[str, Any] = {}
        for name in EDITABLE:
            mode = self._modes[name].value
            text = self._values[name].value
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
        """Validate the contents and post Changed, unless they are what was validated last: each row's control
        announces its first value as it mounts (some forty messages while the screen opens), and each validation
        and announcement would lay the screen out again."""
        if not self.built.is_set():
            return  # validated once every row is there
        data = self.data()
        if data == self._validated:
            return
        self._validated = data
        try:
            self.space, self.error = space_from_data(data), None
        except ConfigError as err:
            self.space, self.error = None, str(err)
        show_text(self.query_one("#space-error", Static), self.error or "")
        self.post_message(self.Changed(self, self.space, self.error))

    @on(Select.Changed, ".space-mode")
    def _mode(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("mode-")
        self._values[name].placeholder = HINTS.get(str(event.value), "")
        self.validate()

    @on(Input.Changed, ".space-values")
    def _values(self, event: Input.Changed) -> None:
        self.validate()
