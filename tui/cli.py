"""The `hptune` console script: the core's command line, with the TUI and the web server plugged in."""

from __future__ import annotations

import argparse
import sys

from core.cli import main as core_main


def open_tui(args: argparse.Namespace) -> int:
    from tui.app import run_tui

    return run_tui(args)


def serve(args: argparse.Namespace) -> int:
    from tui.serve import serve_app

    return serve_app(args)


def main() -> None:
    sys.exit(core_main(frontends={"tui": open_tui, "serve": serve}))
