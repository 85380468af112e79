"""The `hptune` command line: a front end over the core library, as the TUI is.

`parser` builds the arguments, `commands` and `sweep_commands` run them, `output` and `progress` say what
happened, and `main` turns any error into a message and an exit code. `python -m hptune.core.cli` runs it
headless; `python -m hptune.core.cli.worker` is a sweep's worker process. The console script (tui/cli.py)
plugs the TUI and the web server in.
"""

from hptune.core.cli.main import Frontend, main
from hptune.core.cli.parser import RUN_FLAGS, build_parser, config_from_args

__all__ = ["RUN_FLAGS", "Frontend", "build_parser", "config_from_args", "main"]
