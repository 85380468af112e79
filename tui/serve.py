"""`hptune serve`: the same TUI in a browser through textual-serve (for demos). Each browser tab gets its own
`hptune tui` process on the server, on the store given here."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

__all__ = ["serve_app", "tui_command"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: The page around the terminal: it fills the window and never scrolls (see the page's own comment).
TEMPLATES = Path(__file__).resolve().parent / "web"


def tui_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs for each session."""
    argv = [sys.executable, "-c", "from hptune.tui.cli import main; main()", "tui"]
    if getattr(args, "store", None):
        argv += ["--store", args.store]
    return shlex.join(argv)


def serve_app(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    host = args.host
    if host not in LOCAL_HOSTS:
        sys.stderr.write(
            f"hptune: warning: serving on {host}:{args.port}: anyone who can reach this address can train and delete"
            " runs in this store; there is no login. Use --host 127.0.0.1 to keep it to this machine.\n"
        )
    server = Server(tui_command(args), host=host, port=args.port, title="hptune", templates_path=TEMPLATES)
    server.serve()
    return 0
