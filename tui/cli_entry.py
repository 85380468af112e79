"""`python -m tui.cli_entry`: the console script without an installed entry point (used by the tests)."""

from tui.cli import main

if __name__ == "__main__":
    main()
