"""`main`: parse the command line, run the command, and turn any error into a message and an exit code, in this
one place, for the `hptune` command and for a sweep worker process alike.

Exit codes: 0 completed, early-stopped or stopped; 1 anything else (a store failure included); 2 invalid input;
3 dataset unavailable or corrupt; 4 diverged; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from hptune.core.cli.parser import build_parser, config_from_args
from hptune.core.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, HptuneError

__all__ = ["Frontend", "main"]

Frontend = Callable[[argparse.Namespace], int]
Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _command(name: str) -> Command:
    """The command's function, imported only when it runs (the sweep commands import Optuna)."""
    if name in ("sweep", "worker", "studies"):
        from hptune.core.cli import sweep_commands as module
    elif name == "lesson":
        from hptune.core.cli import lesson as module  # type: ignore[no-redef]
    elif name in ("importance", "parallel", "diff", "note", "tag"):
        from hptune.core.cli import insight as module  # type: ignore[no-redef]
    else:
        from hptune.core.cli import commands as module  # type: ignore[no-redef]
    return getattr(module, f"cmd_{name}")


def main(argv: Sequence[str] | None = None, frontends: dict[str, Frontend] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; `frontends` maps "tui" and "serve" to the functions that open them."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    command = args.command or "tui"
    try:
        if command in ("tui", "serve"):
            frontend = (frontends or {}).get(command)
            if frontend is None:
                parser.print_help(out)
                return EXIT_OK if args.command is None else EXIT_ERROR
            if command == "tui":
                config_from_args(args)  # refuse bad flags before the screen opens
            return frontend(args)
        return _command(command)(args, out, err)
    except HptuneError as e:
        err.write(f"hptune: {e.line()}\n")
        return e.code
    except KeyboardInterrupt:
        err.write("hptune: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
