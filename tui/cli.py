"""The `hptune` console script: the core's command line, with the TUI and the web server plugged in."""

from __future__ import annotations

import argparse
import sys

from hptune.core.cli import main as core_main


def open_tui(args: argparse.Namespace) -> int:
    from hptune.tui.app import run_tui

    return run_tui(args)


def serve(args: argparse.Namespace) -> int:
    from hptune.tui.serve import serve_app

    return serve_app(args)


def tui_argv(argv: list[str]) -> list[str]:
    """`hptune [TUI OPTIONS]` is short for `hptune tui [TUI OPTIONS]`."""
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        return ["tui", *argv]
    return argv


def main() -> None:
    sys.exit(core_main(tui_argv(sys.argv[1:]), frontends={"tui": open_tui, "serve": serve}))
