"""`python -m hptune.core.cli`: the headless command line (no TUI), for scripts and the tests."""

import sys

from hptune.core.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
