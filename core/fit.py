"""How text fits a width, the one rule every table, log and label follows.

- A number (or any value a person reads as one: 0.9310, 3/8, 2.5s, 1e-05) is never cut: its column takes the room
  it needs, or its line wraps before it.
- A path or a name made of parts (a dataset folder, a study name) shortens in the middle with an ellipsis, so its
  start and its end (the part that tells two apart) stay readable.
- Other text shortens at its end with an ellipsis; a long line of separate parts wraps between parts, never inside one.

Plain Python: the CLI and the TUI both call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["ELLIPSIS", "Column", "fit_cell", "fit_widths", "is_number", "narrowest", "shorten_end",
           "shorten_middle", "text_table", "wrap_parts"]

ELLIPSIS = "…"
Kind = Literal["number", "path", "text"]

_NUMBER = re.compile(r"[-+]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?(%|s|x)?(/\d+)?|[-+]?(inf|nan)|-")


def is_number(text: str) -> bool:
    """A value read as a number: 0.9310, -1, 1e-05, 2.5s, 3/8, 12%, or "-" (no value)."""
    return bool(_NUMBER.fullmatch(text.strip()))


def shorten_end(text: str, width: int) -> str:
    """`text` if it fits, else its start and an ellipsis."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS if width > 0 else ""


def shorten_middle(text: str, width: int) -> str:
    """`text` if it fits, else its start, an ellipsis and its end. The end gets the larger share, and a path keeps
    its last part whole where the room allows: `/home/me/…/fashion-mnist`."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    tail = text.rstrip("/").rsplit("/", 1)[-1] if "/" in text.rstrip("/") else ""
    if tail and len(tail) + 1 < room:  # keep "/name" and as much of the start as fits
        keep_end = len(text) - text.rstrip("/").rfind("/")
        head = room - keep_end
        return text[:head] + ELLIPSIS + text[len(text) - keep_end:]
    keep_end = room - room // 2
    head = room - keep_end
    return text[:head] + ELLIPSIS + text[len(text) - keep_end:]


def fit_cell(text: str, width: int, kind: Kind = "text") -> str:
    """One value in `width` columns by the rule above; a number comes back whole, whatever `width` says."""
    if kind == "number" or is_number(text):
        return text
    if kind == "path":
        return shorten_middle(text, width)
    return shorten_end(text, width)


def wrap_parts(parts: Iterable[str], width: int, sep: str = "  ", indent: str = "  ") -> list[str]:
    """Join `parts` with `sep` into lines of at most `width` columns, breaking only between parts; lines after
    the first start with `indent`. A part wider than a line has a line of its own (the caller's container wraps or
    scrolls it; it is not cut here)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        if not part:
            continue
        if not line:
            line = (indent if lines else "") + part
        elif len(line) + len(sep) + len(part) <= width:
            line += sep + part
        else:
            lines.append(line)
            line = indent + part
    if line or not lines:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Column:
    """A table column as the fitting rule sees it: its widest value (heading included) and what it holds."""

    natural: int
    kind: Kind = "text"
    #: The narrowest a shortened text or path column gets (its heading's width is the floor anyway).
    minimum: int = 8


def narrowest(columns: Sequence[Column], gap: int = 2) -> int:
    """The least room `columns` can take (`gap` between each): numbers whole, text and paths at their minimum. A
    table whose columns need more than its room leaves out its optional columns, least needed first, until this
    fits (see tui.widgets.run_table), rather than scroll or cut."""
    return sum(c.natural if c.kind == "number" else min(c.natural, c.minimum) for c in columns) + gap * max(
        len(columns) - 1, 0)


def fit_widths(columns: Sequence[Column], available: int, gap: int = 2) -> list[int]:
    """Widths for `columns` within `available` columns (`gap` between each). Number columns keep their natural
    width; text and path columns give up room, the widest first, down to their minimum. If even that does not
    fit, the widths are the minimums and the table is wider than `available` (it scrolls; nothing is cut)."""
    widths = [c.natural for c in columns]
    over = sum(widths) + gap * max(len(columns) - 1, 0) - available
    while over > 0:
        shrinkable = [i for i, c in enumerate(columns) if c.kind != "number" and widths[i] > c.minimum]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        others = [widths[i] for i in shrinkable if i != widest]
        floor = max(columns[widest].minimum, max(others, default=0), widths[widest] - over)
        step = max(widths[widest] - floor, 1)
        widths[widest] -= step
        over -= step
    return widths


def text_table(headings: Sequence[str], rows: Iterable[Sequence[str]], last_free: bool = True) -> list[str]:
    """A plain-text table whose every column takes the room its values need: numbers right-aligned, text left;
    nothing is cut. With `last_free` the last column is not padded (a long config label runs on; the terminal
    wraps it)."""
    body = [list(map(str, row)) for row in rows]
    count = len(headings)
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headings)]
    numeric = [bool(body) and all(is_number(r[i]) for r in body) for i in range(count)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            if last_free and i == count - 1:
                out.append(cell)
            else:
                out.append(cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return [line(headings)] + [line(r) for r in body]
