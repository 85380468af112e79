"""`python -m hptune.core.cli.worker --study NAME [--store URL]`: the process a sweep starts for each worker.

Nothing imports this module: run as `__main__`, it is loaded once, so every class the worker raises or catches
is the one `main` knows (`python -m hptune.core.cli worker` would load the command line a second time).
"""

import sys

from hptune.core.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
