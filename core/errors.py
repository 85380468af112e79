"""The one family of user-facing errors: every failure a person can cause or fix derives from `HptuneError`.

Each carries the message (already worded for a person), the exit code a command ends with, and where known the
field or file it is about. The library raises them; each entry point (the `hptune` command, a sweep worker process,
the TUI) turns them into a message and an exit code in exactly one place, so no user error prints a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INPUT = 2
EXIT_DATA = 3
EXIT_DIVERGED = 4
EXIT_INTERRUPTED = 130


class HptuneError(Exception):
    """A failure worded for a person. `code` is the exit code; `field` or `file` names what it is about."""

    code: int = EXIT_ERROR
    #: One word for the kind of failure, shown before the message ("invalid input", "dataset", "store", ...).
    kind: str = "error"

    def __init__(self, message: str, *, code: int | None = None, field: str | None = None,
                 file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.file = file

    def __str__(self) -> str:
        return self.message

    def line(self) -> str:
        """The one line a front end prints for this error: its kind, then its message (a message that already
        opens with its kind, such as a store's "store PATH: ...", is not prefixed twice)."""
        if self.kind == "error" or self.message.startswith(f"{self.kind} "):
            return self.message
        return f"{self.kind}: {self.message}"


class InputError(HptuneError, ValueError):
    """Bad user input: a flag, a form field, a TOML file or a search space. Exit 2."""

    code = EXIT_INPUT
    kind = "invalid input"


class DataError(HptuneError):
    """A dataset that cannot be had or is malformed; the message names the file and what was expected. Exit 3."""

    code = EXIT_DATA
    kind = "dataset"


class StoreFailure(HptuneError):
    """The store cannot be opened, read or written; the message names it and says what to do. Exit 1."""

    code = EXIT_ERROR
    kind = "store"


class DivergedError(HptuneError):
    """Training diverged (loss became NaN or exploded). Exit 4."""

    code = EXIT_DIVERGED
    kind = "diverged"
