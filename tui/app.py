"""The hptune App: styles, app-wide bindings, the screen stack, and the factory the CLI and the tests share."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen

from hptune.core.collector import freeze_long_lived
from hptune.core.config import RunConfig
from hptune.tui.messages import OpenRun, UseConfig
from hptune.tui.screens.main import MainScreen

__all__ = ["HptuneApp", "make_app", "run_tui"]

STYLES = Path(__file__).parent / "styles"
#: Below this the layout cannot fit: a notice replaces it.
MIN_WIDTH, MIN_HEIGHT = 60, 16
#: Seconds to wait for a run to stop and save when quitting before exiting regardless.
QUIT_GRACE = 20.0


#: Modules of the screens after the first, imported in the background once the first frame is drawn.
#: Kept screens built ahead, after start-up (see HptuneApp.prebuild_screens): (name, module, class).
PREBUILT = (
    ("sweep", "hptune.tui.screens.sweep", "SweepScreen"),
    ("lessons", "hptune.tui.screens.lessons", "LessonsScreen"),
)
#: Seconds after the background imports end before the first is built, and between two; and the seconds without a
#: key each step of a build waits for (tui.steps: a step holds the app for a few hundredths of a second, so the
#: pauses of a person typing are enough, and a screen is whole by the time it is asked for).
PREBUILD_AFTER = 0.2
PREBUILD_PAUSE = 0.2
PREBUILD_QUIET = 0.2
#: Layout passes of a screen built ahead before it is drawn (HptuneApp._draw_ahead).
PREBUILD_LAYOUTS = 3
WARM_MODULES = (
    "optuna",
    "hptune.tui.screens.palette",
    "hptune.tui.screens.history",
    "hptune.tui.screens.run_detail",
    "hptune.tui.screens.sweep",
    "hptune.tui.screens.lessons",
)


class HptuneApp(App[int]):
    """Tune an MLP on MNIST-style digits: edit, train, watch, compare."""

    TITLE = "hptune"
    SUB_TITLE = "Keras MLP hyperparameter workbench"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "main.tcss", STYLES / "history.tcss", STYLES / "run_detail.tcss",
                STYLES / "dialogs.tcss", STYLES / "sweep.tcss", STYLES / "insight.tcss", STYLES / "lessons.tcss"]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit; a training run is stopped and saved first"),
        Binding("ctrl+e", "sweep", "Sweep", priority=True,
                tooltip="Search hyperparameters: grid, random or TPE (the sweep screen)"),
    ]

    def __init__(self, store: Any, config: RunConfig | None = None, *, export_dir: str | Path | None = None,
                 warm_training: bool = False) -> None:
        super().__init__()
        self.warm_training = warm_training
        #: When the last key arrived (time.monotonic()).
        self._last_key = 0.0
        #: Screens asked for (push_kept) while their build goes on: each step of it runs at once.
        self._wanted: set[Screen] = set()
        self.store = store
        self.start_config = config or RunConfig()
        self.export_dir = Path(export_dir) if export_dir is not None else default_export_dir()
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
        self.call_after_refresh(self._open_store)
        if self.warm_training:
            # The training process starts now, beside the first frame rather than after it: its imports take seconds
            # on a core of their own, while the UI's first frame needs only the UI's.
            self._warm_training_process()
            self.call_after_refresh(self._warm_imports)

    @work(thread=True, exclusive=True, exit_on_error=False, group="store-open")
    def _open_store(self) -> None:
        """After the first frame, catch the store's read index up with its journal, so the history opens at once;
        the screens that read the store before this is done read in the background and say so meanwhile."""
        from hptune.core.store import StoreError

        try:
            self.store.warm()
        except StoreError as err:
            self.call_from_thread(self.notify, str(err), severity="error", timeout=15)

    def _warm_training_process(self) -> None:
        """Start the training process and let it import Keras, load the data and compile the loop for the config the
        form opens with, and open the store it will record runs in, so pressing Train shows the first epoch within a
        second or two."""
        host = self.training_host
        config = self.start_config
        threading.Thread(target=host.warm_up, args=(config, self.store.location), name="hptune-warm",
                         daemon=True).start()

    def _warm_imports(self) -> None:
        """Once the first frame is drawn, import what the other screens need on a background thread, so the first
        ctrl+e, ctrl+o or ctrl+p pays only for drawing its screen. The imports run off the UI thread and the first
        frame does not wait for them."""

        def load() -> None:
            for module in WARM_MODULES:
                with contextlib.suppress(Exception):  # a failed import surfaces, worded, when its screen opens
                    importlib.import_module(module)
            with contextlib.suppress(RuntimeError):  # the app closed meanwhile
                self.call_from_thread(freeze_long_lived)  # the modules stay loaded: out of the collector's way
                self.call_from_thread(self.schedule_prebuild)

        threading.Thread(target=load, name="hptune-imports", daemon=True).start()

    def schedule_prebuild(self) -> None:
        """Build the kept screens ahead (prebuild_screens) from PREBUILD_AFTER seconds on, in a task of its own: a
        timer's callback runs in the app's message loop, where waiting for a pause in the keys would hold up the
        very keys it waits on."""
        self.set_timer(PREBUILD_AFTER, lambda: self.run_worker(self.prebuild_screens(), group="prebuild",
                                                                 exclusive=True, exit_on_error=False))

    async def prebuild_screens(self) -> None:
        """Build the kept screens that take longest to build (the sweep screen is some 200 widgets: 0.3-0.8 s on
        the first ctrl+e while training) before they are first asked for, one at a time once start-up is over, off
        screen and in steps (tui.steps), each in a pause between keys: they are composed and mounted as
        `push_screen` would, laid out and drawn once (_draw_ahead), and shown only when their key is pressed.
        Textual offers no public call for this; `_get_screen` and `_load_screen_css` are the first steps of its own
        `push_screen` (tested with textual 8.2.8)."""
        for name, module, cls in PREBUILT:
            while self.is_running and self._answering():
                await asyncio.sleep(0.1)
            if self.is_screen_installed(name) or not self.is_running:
                continue
            screen = getattr(importlib.import_module(module), cls)()
            self.install_screen(screen, name)
            _, mounted = self._get_screen(name)
            self._load_screen_css(screen)
            await mounted
            await _whole(screen)
            await self._draw_ahead(screen)
            await asyncio.sleep(PREBUILD_PAUSE)  # keys pressed meanwhile are answered between the screens
        freeze_long_lived()

    async def _draw_ahead(self, screen: Screen) -> None:
        """Lay a screen built ahead out and draw it once, off screen, each pass in a step of its own (build_step),
        so that its first showing costs what a later one does. A screen's first layout sizes every widget from
        nothing, and each widget whose size changed asks for another (PREBUILD_LAYOUTS passes settle the sweep
        screen); its first drawing renders every line of every widget into the widgets' caches (the sweep screen:
        about 0.2 s of layouts and 0.1 s of drawing on its first ctrl+e). Textual lays out and draws only the
        screen on top, so this calls the two steps of its own refresh (`_refresh_layout`, and the compositor's
        `render_full_update`, whose result is dropped: the screen is drawn whole again when shown); tested with
        textual 8.2.8."""
        for _ in range(PREBUILD_LAYOUTS):
            await self.build_step(screen)
            if not self.is_running or self._shown_or_wanted(screen):
                return  # shown meanwhile: Textual lays it out and draws it itself
            screen._refresh_layout(self.size)
        await self.build_step(screen)
        if self.is_running and not self._shown_or_wanted(screen):
            screen._compositor.render_full_update()

    async def build_step(self, screen: Screen) -> None:
        """Wait for the turn of the next step of building `screen` (tui.steps): at once when it is shown or asked
        for, else once the person is not answering (see `_answering`)."""
        await asyncio.sleep(0)  # keys that came meanwhile go first
        while self.is_running and not self._shown_or_wanted(screen) and self._answering():
            await asyncio.sleep(0.05)

    def _shown_or_wanted(self, screen: Screen) -> bool:
        """Whether `screen` is on the stack, or was asked for and is being finished (left again before it was
        whole, it is still finished at once: the app's drawing is held until then)."""
        return screen in self._wanted or screen in self.screen_stack

    def _answering(self) -> bool:
        """Whether the person is busy: a key pressed in the last PREBUILD_QUIET seconds, another screen than the main
        one on top (the history, the palette, a dialog: keys come there in bursts), or a run waiting for its first
        epoch. A key landing in a step of a build waits for the step to end."""
        main = self.main_screen
        if time.monotonic() - self._last_key < PREBUILD_QUIET or (main.running and not main.epochs):
            return True
        try:
            return self.screen is not main
        except ScreenStackError:  # closing
            return True

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):  # every key passes here first, before bindings and widgets
            self._last_key = time.monotonic()
        await super().on_event(event)

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
                partial(self._run_listed, screen, active.node, binding.action),
            )

    def on_use_config(self, message: UseConfig) -> None:
        """A screen's config (the best trial of a sweep) goes into the main form, unless a run is training."""
        main = self.main_screen
        if main.running:
            self.notify("A run is training on the main screen: stop it first.", severity="warning")
            return
        main.load_config(message.config.model_dump())
        while self.screen is not main and len(self.screen_stack) > 1:
            self.pop_screen()
        self.notify(f"{message.what} is in the form: ctrl+r trains it.")

    def on_open_run(self, message: OpenRun) -> None:
        """A stored run (from the history or its inspect screen) goes onto the main screen, unless a run is training."""
        main = self.main_screen
        if main.running:
            self.notify("A run is training: stop it before opening another config.", severity="warning")
            return
        while self.screen is not main and len(self.screen_stack) > 1:
            self.pop_screen()
        main.show_record(message.record)
        self.notify(f"Run {message.record.run_id}'s config is in the form: tweak it and press ctrl+r to rerun.")

    async def _run_listed(self, screen: Screen, node: Any, action: str) -> None:
        """A command chosen in the palette acts on the screen it was listed for, and only while that screen is the
        current one: keys that arrive between choosing and running it may have moved the user elsewhere."""
        if self.screen is screen:
            await node.run_action(action)

    # --- which screen may cover which -----------------------------------------------------------------------------
    # The command palette and the dialogs are modal: nothing is pushed over them. An app-wide key that opens a
    # screen closes the palette first and does nothing while a dialog waits for its answer. Without this, a screen
    # pushed over the palette let ctrl+p open a second one (Textual looks for an open palette on the top screen
    # only), and the app died of two widgets sharing the palette's id.

    def make_room(self) -> bool:
        """Before an app-wide key opens a screen: close the palette if it is on top; False while a dialog is open."""
        from hptune.tui.screens.palette import Palette

        if isinstance(self.screen, Palette):
            self.screen.close()
        return not isinstance(self.screen, ModalScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sweep":  # not offered on the sweep screen itself
            return self.screen.id != "sweep"
        return True

    def action_command_palette(self) -> None:
        """One palette in the whole stack, not only on the top screen; ours closes once (tui.screens.palette)."""
        from hptune.tui.screens.palette import Palette

        if self.use_command_palette and not any(isinstance(s, CommandPalette) for s in self.screen_stack):
            self.push_screen(Palette(id="--command-palette"))

    def search_themes(self) -> None:
        """The theme chooser (from the palette's "Change theme"), as a palette that closes once."""
        from textual.theme import ThemeProvider

        from hptune.tui.screens.palette import Palette

        if not any(isinstance(s, CommandPalette) for s in self.screen_stack):
            self.push_screen(Palette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def action_sweep(self) -> None:
        """The sweep screen, one per app so a running sweep keeps its state while the main screen is shown; it is
        never in the stack twice."""
        from hptune.tui.screens.sweep import SweepScreen

        if not self.make_room() or any(isinstance(screen, SweepScreen) for screen in self.screen_stack):
            return
        self.push_kept("sweep", SweepScreen)

    def push_kept(self, name: str, build: Callable[[], Screen]) -> None:
        """Show the screen kept for the whole session under `name`, building it the first time: it keeps its state
        (a running sweep or lesson) while hidden, and a later opening costs no building. Once built it is frozen out
        of the cycle collector's way, as the modules are (core.collector)."""
        if self.is_screen_installed(name):
            screen = self.get_screen(name)
            if _is_whole(screen):
                self.push_screen(name)
                return
            # Built ahead and not whole yet: its build goes on at once now (HptuneApp.build_step), held undrawn.
        else:
            screen = build()
            self.install_screen(screen, name)
        # Drawn once it is whole: a screen pushed before it is mounted is laid out and drawn again as each part
        # mounts (the sweep screen's first opening while training: 0.7 s, most of it drawing parts). Textual's
        # batch_update() is a context manager for synchronous code; its two halves (private, tested with textual
        # 8.2.8) hold the drawing across the mount's awaits.
        self._wanted.add(screen)
        self._begin_batch()
        mounted = self.push_screen(name)

        async def draw_when_whole() -> None:
            try:
                await mounted
                await _whole(screen)
            finally:
                self._wanted.discard(screen)
                self._end_batch()
                with contextlib.suppress(ScreenStackError):  # the app closed meanwhile
                    self.screen.refresh()  # drawn now: a layout the mount asked for is still pending
                    self.call_after_refresh(freeze_long_lived)

        self.run_worker(draw_when_whole(), group=f"build-{name}")

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


async def _whole(screen: Screen) -> None:
    """Wait until `screen` is built whole: a screen built in steps (tui.steps) says so with an awaitable `built`."""
    built = getattr(screen, "built", None)
    if built is not None:
        await built()


def _is_whole(screen: Screen) -> bool:
    is_built = getattr(screen, "is_built", None)
    return is_built is None or is_built()


def default_export_dir() -> Path:
    """Where the history's CSV exports go: hptune's folder in the user's data directory, beside the default store,
    never the folder the app happened to be started from."""
    from hptune.core.store import default_store_path

    return default_store_path().parent / "exports"


def make_app(store: Any = None, config: RunConfig | None = None, *, export_dir: str | Path | None = None,
             warm_training: bool = False) -> HptuneApp:
    """The one factory: the CLI and the tests build the app here. `store` is a core.store.Store (default: the
    same store as the CLI's, from $HPTUNE_STORE or the user's data folder); `export_dir` defaults to
    default_export_dir(). `warm_training` starts the training process as soon as the first frame is drawn (the CLI
    does; tests that never train need not pay for it)."""
    if store is None:
        from hptune.core.store import Store

        store = Store()
    return HptuneApp(store, config, export_dir=export_dir, warm_training=warm_training)


def run_tui(args: argparse.Namespace) -> int:
    """`hptune` / `hptune tui`: open the app on the store and config given on the command line."""
    from hptune.core.cli import config_from_args
    from hptune.core.store import Store

    config = config_from_args(args)
    store = Store(getattr(args, "store", None))  # a StoreError is worded by the command line's main
    with native_stderr_to_log():
        app = make_app(store, config, warm_training=True)
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
