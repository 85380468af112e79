"""The insight commands: `importance` and `parallel` over a sweep, `diff` of two runs, `note` and `tag`."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from hptune.core.cli.commands import open_store
from hptune.core.errors import InputError
from hptune.core.outcome import to_json

__all__ = ["cmd_diff", "cmd_importance", "cmd_note", "cmd_parallel", "cmd_tag"]


def cmd_importance(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.insight import bars, param_importance

    store = open_store(args.store)
    result = param_importance(store, args.study, args.evaluator)
    if args.json:
        out.write(to_json(result.to_dict()) + "\n")
        return 0
    objective = f" for {result.objective} ({result.direction})" if result.objective else ""
    out.write(f"{result.study}: importance{objective}, {result.evaluator_name} over {result.finished}"
              f" finished trial{'s' if result.finished != 1 else ''}\n")
    if result.message:
        out.write(result.message + "\n")
    out.writelines(line + "\n" for line in bars(result.importances))
    return 0


def cmd_parallel(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.insight import parallel_coordinates

    store = open_store(args.store)
    data = parallel_coordinates(store, args.study)
    if args.json:
        out.write(to_json(data.to_dict()) + "\n")
        return 0
    names = [a.name + (" (log)" if a.kind == "log" else "") for a in data.axes]
    width = max(12, *(len(n) for n in names))
    out.write(f"{data.study}: {len(data.lines)} finished trials (--json: each one's position on each axis,"
              " 0 bottom to 1 top)\n")
    out.write("axis".ljust(width) + "  bottom -> top\n")
    for axis, name in zip(data.axes, names, strict=True):
        span = " ".join(axis.labels) if axis.kind == "choice" else f"{axis.tick(0.0)} -> {axis.tick(1.0)}"
        out.write(f"{name:<{width}}  {span}\n")
    out.write("trial  " + " ".join(f"{a.name[:12]:>12}" for a in data.axes) + "\n")
    for number, positions, _score in data.lines:
        mark = "*" if number == data.best else " "
        out.write(f"{number:>4}{mark}  " + " ".join(
            f"{'-' if p is None else axis.tick(p):>12}" for axis, p in zip(data.axes, positions, strict=True)) + "\n")
    if data.best is not None:
        out.write(f"* best trial ({data.objective}, {'max' if data.maximize else 'min'})\n")
    return 0


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.insight import diff_lines, diff_runs

    store = open_store(args.store)
    try:
        diff = diff_runs(store, args.a, args.b)
    except KeyError as e:
        raise InputError(str(e.args[0])) from None
    if args.json:
        out.write(to_json(diff.to_dict()) + "\n")
    else:
        out.write("\n".join(diff_lines(diff)) + "\n")
    return 0


def _target(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The run (first item) or the study (--study) a note or tag is for, and the items after it."""
    items = list(args.items)
    if args.study is not None:
        return {"study": args.study}, items
    if not items:
        raise InputError(f"{args.command}: expected a run id or --study NAME")
    try:
        return {"run_id": int(items[0])}, items[1:]
    except ValueError:
        raise InputError(f"{args.command}: expected a run id (a whole number) or --study NAME, got {items[0]!r}"
                         ) from None


def _what(target: dict[str, Any]) -> str:
    return f"run {target['run_id']}" if "run_id" in target else f"study {target['study']}"


def cmd_note(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:

    target, rest = _target(args)
    if len(rest) > 1:
        raise InputError(f"note: expected one text (quote it), got {len(rest)} words")
    store = open_store(args.store)
    try:
        if not rest:
            return _print_notes(store, target, out)
        store.set_note(rest[0], **target)
    except KeyError as e:
        raise InputError(str(e.args[0])) from None
    err.write(f"{_what(target)}: note {'removed' if not rest[0].strip() else 'saved'}\n")
    return 0


def _print_notes(store: Any, target: dict[str, Any], out: TextIO) -> int:
    notes = store.annotations()
    if "run_id" in target:
        store.get(target["run_id"])  # KeyError for an unknown run
        note, tags = notes.run_notes.get(target["run_id"], ""), notes.run_tags.get(target["run_id"], [])
    elif target["study"] in notes.study_notes:
        note, tags = notes.study_notes[target["study"]], notes.study_tags.get(target["study"], [])
    else:
        raise KeyError(f"no study {target['study']!r} in {store.display}; `hptune studies` lists them")
    out.write(f"note: {note or '(none)'}\ntags: {', '.join(tags) if tags else '(none)'}\n")
    return 0


def cmd_tag(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:

    target, tags = _target(args)
    store = open_store(args.store)
    try:
        if args.add:
            notes = store.annotations()
            have = (notes.run_tags.get(target["run_id"], []) if "run_id" in target
                    else notes.study_tags.get(target["study"], []))
            tags = [*have, *tags]
        store.set_tags(tags, **target)
    except KeyError as e:
        raise InputError(str(e.args[0])) from None
    shown = sorted({t.strip() for t in tags if t.strip()})
    err.write(f"{_what(target)}: tags {', '.join(shown) if shown else '(none)'}\n")
    return 0
