"""`python -m hptune.tui.cli_entry`: the console script without an installed entry point (used by the tests)."""

from hptune.tui.cli import main

if __name__ == "__main__":
    main()
