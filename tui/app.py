"""The hptune App: styles, app-wide bindings, the screen stack, and the factory the CLI and the tests share."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from hptune.core.config import RunConfig
from hptune.tui.screens.main import MainScreen

__all__ = ["HptuneApp", "make_app", "run_tui"]

STYLES = Path(__file__).parent / "styles"
#: Below this the layout cannot fit: a notice replaces it.
MIN_WIDTH, MIN_HEIGHT = 60, 16
#: Seconds to wait for a run to stop and save when quitting before exiting regardless.
QUIT_GRACE = 20.0


class HptuneApp(App[int]):
    """Tune an MLP on MNIST-style digits: edit, train, watch, compare."""

    TITLE = "hptune"
    SUB_TITLE = "Keras MLP hyperparameter workbench"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "main.tcss", STYLES / "history.tcss", STYLES / "run_detail.tcss",
                STYLES / "dialogs.tcss", STYLES / "sweep.tcss", STYLES / "insight.tcss"]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit; a training run is stopped and saved first"),
        Binding("ctrl+e", "sweep", "Sweep", priority=True, show=False,
                tooltip="Search hyperparameters: grid, random or TPE (the sweep screen)"),
    ]

    def __init__(self, store: Any, config: RunConfig | None = None, *, export_dir: str | Path = ".") -> None:
        super().__init__()
        self.store = store
        self.start_config = config or RunConfig()
        self.export_dir = Path(export_dir)
        self.main_screen = MainScreen(self.start_config)
        self._training_host: Any = None

    @property
    def training_host(self) -> Any:
        """The child process that trains for this app (core.isolated): TensorFlow never loads in the UI's process,
        and its per-model memory goes with the child, which is replaced as it grows."""
        if self._training_host is None:
            from hptune.core.isolated import TrainingHost

            self._training_host = TrainingHost()
        return self._training_host

    @property
    def training_pid(self) -> int | None:
        """The process that trains: the child once a run has started it (None: none yet)."""
        return self._training_host.pid if self._training_host is not None else None

    def on_unmount(self) -> None:
        if self._training_host is not None:
            self._training_host.close()

    def get_default_screen(self) -> Screen:
        return self.main_screen

    def on_mount(self) -> None:
        self.sub_title = f"store {self.store.display}"
        self._apply_size_classes(self.size.width, self.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._apply_size_classes(event.size.width, event.size.height)

    def _apply_size_classes(self, width: int, height: int) -> None:
        """Layout adapts through CSS classes on the app: -narrow and -short shrink panes, -tiny shows a notice."""
        self.set_class(width < 100, "-narrow")
        self.set_class(height < 32, "-short")
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-tiny")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every key binding of the current screen, so each action is reachable by name too."""
        yield from super().get_system_commands(screen)
        seen: set[str] = {"Quit"}
        for active in screen.active_bindings.values():
            binding = active.binding
            ours = type(active.node).__module__.startswith("hptune.tui.")
            if not binding.description or binding.description in seen or binding.system or not (binding.show or ours):
                continue
            seen.add(binding.description)
            yield SystemCommand(
                binding.description,
                (binding.tooltip or binding.description) + f" ({binding.key_display or binding.key})",
                partial(active.node.run_action, binding.action),
            )

    def action_sweep(self) -> None:
        """The sweep screen, one per app so a running sweep keeps its state while the main screen is shown."""
        from hptune.tui.screens.sweep import SweepScreen

        if isinstance(self.screen, SweepScreen):
            return
        if not self.is_screen_installed("sweep"):
            self.install_screen(SweepScreen(self.main_screen.form.config or self.start_config), "sweep")
        self.push_screen("sweep")

    async def action_quit(self) -> None:
        """Quit; a run in progress is stopped and saved first, so no training thread outlives the app."""
        if self.main_screen.quit_when_done:  # asked twice: leave now; the run still ends at its next step
            self.exit()
            return
        if self.main_screen.stop_for_quit():
            self.notify("Stopping the run and saving it, then quitting…")
            self.set_timer(QUIT_GRACE, self.exit)
            return
        self.exit()


def make_app(store: Any = None, config: RunConfig | None = None, *, export_dir: str | Path = ".") -> HptuneApp:
    """The one factory: the CLI and the tests build the app here. `store` is a core.store.Store (default: the
    same store as the CLI's, from $HPTUNE_STORE or the user's data folder)."""
    if store is None:
        from hptune.core.store import Store

        store = Store()
    return HptuneApp(store, config, export_dir=export_dir)


def run_tui(args: argparse.Namespace) -> int:
    """`hptune` / `hptune tui`: open the app on the store and config given on the command line."""
    from hptune.core.cli import config_from_args
    from hptune.core.store import Store, StoreError

    config = config_from_args(args)
    try:
        store = Store(getattr(args, "store", None))
    except StoreError as err:
        sys.stderr.write(f"hptune: {err}\n")
        return 1
    with native_stderr_to_log():
        app = make_app(store, config)
        app.run()
    return app.return_code or 0


@contextlib.contextmanager
def native_stderr_to_log() -> Iterator[Path | None]:
    """TensorFlow's C++ runtime writes log lines straight to file descriptor 2, where Textual draws the screen.
    Give Textual its own handle on the terminal and point descriptor 2 at a log file while the app runs."""
    if not sys.__stderr__ or not sys.__stderr__.isatty():
        yield None
        return
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "hptune"
    try:
        state.mkdir(parents=True, exist_ok=True)
        log_file = open(state / "tui-stderr.log", "a", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        yield None
        return
    saved_fd = os.dup(2)
    terminal = os.fdopen(os.dup(2), "w", encoding=sys.__stderr__.encoding, errors="replace")
    saved_streams = sys.__stderr__, sys.stderr
    sys.__stderr__ = sys.stderr = terminal
    os.dup2(log_file.fileno(), 2)
    try:
        yield state / "tui-stderr.log"
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        sys.__stderr__, sys.stderr = saved_streams
        terminal.close()
        log_file.close()
