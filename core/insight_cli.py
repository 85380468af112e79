"""`hptune importance`, `hptune diff`, `hptune note` and `hptune tag`: the command-line face of core.insight.

The parsers are registered by `add_insight_parsers`; the library is imported only when one of these commands runs,
so `hptune --help` stays fast. Every `--json` carries the same numbers as the text.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TextIO

from hptune.core.errors import HptuneError

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _run_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a run id (a whole number), got {text!r}") from None


def add_insight_parsers(sub: Any) -> None:
    """Register the insight commands, and `--tag` on `run` and `--filter` on `runs` where those exist."""
    from hptune.core.insight import DEFAULT_EVALUATOR, EVALUATORS

    imp = sub.add_parser("importance", help="which searched hyperparameters mattered for a sweep's objective")
    imp.add_argument("study", metavar="STUDY", help="the sweep's study name (`hptune studies` lists them)")
    imp.add_argument("--evaluator", choices=list(EVALUATORS), default=DEFAULT_EVALUATOR,
                     help="Optuna importance evaluator (default fanova)")
    imp.add_argument("--store", metavar="URL")
    imp.add_argument("--json", action="store_true", help='print {"evaluator": ..., "importances": {param: value}}')

    par = sub.add_parser("parallel", help="a sweep's finished trials on parallel axes (positions 0-1 per axis)")
    par.add_argument("study", metavar="STUDY", help="the sweep's study name")
    par.add_argument("--store", metavar="URL")
    par.add_argument("--json", action="store_true", help="print the axes and every trial's positions and score")

    diff = sub.add_parser("diff", help="compare two runs: config changes, metrics, confusion-matrix delta")
    diff.add_argument("a", type=_run_id, metavar="A", help="the run to compare against")
    diff.add_argument("b", type=_run_id, metavar="B", help="the run compared")
    diff.add_argument("--store", metavar="URL")
    diff.add_argument("--json", action="store_true", help="print config_changes, metrics and confusion_delta")

    note = sub.add_parser("note", help="attach a note to a run (or a study with --study); no text prints it")
    note.add_argument("items", nargs="*", metavar="RUN TEXT", help='a run id, then the note ("" removes it)')
    note.add_argument("--study", metavar="NAME", help="note the study instead of a run: hptune note --study NAME TEXT")
    note.add_argument("--store", metavar="URL")

    tag = sub.add_parser("tag", help="set the tags of a run (or a study with --study)")
    tag.add_argument("items", nargs="*", metavar="RUN NAME", help="a run id, then its tags (none: remove every tag)")
    tag.add_argument("--study", metavar="NAME", help="tag the study instead of a run: hptune tag --study NAME TAG..")
    tag.add_argument("--add", action="store_true", help="add to the tags already there instead of replacing them")
    tag.add_argument("--store", metavar="URL")

    if "run" in sub.choices:
        sub.choices["run"].add_argument("--tag", action="append", default=[], metavar="NAME",
                                        help="tag the run (repeat for several)")
    if "sweep" in sub.choices:
        sub.choices["sweep"].add_argument("--tag", action="append", default=[], metavar="NAME",
                                          help="tag the sweep's study (repeat for several)")
    if "runs" in sub.choices:
        sub.choices["runs"].add_argument("--filter", metavar="EXPR",
                                         help="e.g. 'lr<0.01 and val_acc>0.9', 'tag:baseline', 'study:NAME'")


def _fail(err: HptuneError | KeyError) -> Any:
    from hptune.core.cli import CliError

    if isinstance(err, KeyError):
        return CliError(str(err.args[0]), 2)
    return CliError(err.message, err.code)


def cmd_importance(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.cli import _clean, open_store
    from hptune.core.insight import bars, param_importance

    store = open_store(args.store)
    try:
        result = param_importance(store, args.study, args.evaluator)
    except HptuneError as e:
        raise _fail(e) from None
    if args.json:
        out.write(json.dumps(_clean(result.to_dict())) + "\n")
        return 0
    objective = f" for {result.objective} ({result.direction})" if result.objective else ""
    out.write(f"{result.study}: importance{objective}, {result.evaluator_name} over {result.finished}"
              f" finished trial{'s' if result.finished != 1 else ''}\n")
    if result.message:
        out.write(result.message + "\n")
    out.writelines(line + "\n" for line in bars(result.importances))
    return 0


def cmd_parallel(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.cli import _clean, open_store
    from hptune.core.insight import parallel_coordinates

    store = open_store(args.store)
    try:
        data = parallel_coordinates(store, args.study)
    except HptuneError as e:
        raise _fail(e) from None
    if args.json:
        out.write(json.dumps(_clean(data.to_dict())) + "\n")
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
    from hptune.core.cli import _clean, open_store
    from hptune.core.insight import diff_lines, diff_runs

    store = open_store(args.store)
    try:
        diff = diff_runs(store, args.a, args.b)
    except HptuneError as e:
        raise _fail(e) from None
    if args.json:
        out.write(json.dumps(_clean(diff.to_dict())) + "\n")
    else:
        out.write("\n".join(diff_lines(diff)) + "\n")
    return 0


def _target(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The run (first item) or the study (--study) a note or tag is for, and the items after it."""
    from hptune.core.cli import CliError

    items = list(args.items)
    if args.study is not None:
        return {"study": args.study}, items
    if not items:
        raise CliError(f"{args.command}: expected a run id or --study NAME", 2)
    try:
        return {"run_id": int(items[0])}, items[1:]
    except ValueError:
        raise CliError(f"{args.command}: expected a run id (a whole number) or --study NAME, got {items[0]!r}",
                       2) from None


def _what(target: dict[str, Any]) -> str:
    return f"run {target['run_id']}" if "run_id" in target else f"study {target['study']}"


def cmd_note(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.cli import CliError, open_store

    target, rest = _target(args)
    if len(rest) > 1:
        raise CliError(f"note: expected one text (quote it), got {len(rest)} words", 2)
    store = open_store(args.store)
    try:
        if not rest:
            return _print_notes(store, target, out)
        store.set_note(rest[0], **target)
    except KeyError as e:
        raise _fail(e) from None
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
    from hptune.core.cli import open_store

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
        raise _fail(e) from None
    shown = sorted({t.strip() for t in tags if t.strip()})
    err.write(f"{_what(target)}: tags {', '.join(shown) if shown else '(none)'}\n")
    return 0


def filtered_runs(store: Any, records: list[Any], expression: str | None, err: TextIO) -> list[Any]:
    """`runs --filter`: the records the expression selects (a bad expression exits 2 naming the token)."""
    if not expression:
        return records
    from hptune.core.filters import filter_records

    try:
        chosen = filter_records(records, expression, store.annotations())
    except HptuneError as e:
        raise _fail(e) from None
    err.write(f"{len(chosen)} of {len(records)} runs match {expression!r}\n")
    return chosen


def tag_new_run(store: Any, run_id: int | None, tags: list[str]) -> None:
    """`run --tag`: tag the run just saved."""
    if tags and run_id is not None:
        store.set_tags(tags, run_id=run_id)


def tag_new_study(store: Any, study: str, tags: list[str]) -> None:
    """`sweep --tag`: tag the sweep's study (and so, in filters, every trial of it)."""
    if tags:
        store.set_tags(tags, study=study)


INSIGHT_COMMANDS: dict[str, Command] = {
    "importance": cmd_importance, "parallel": cmd_parallel, "diff": cmd_diff, "note": cmd_note, "tag": cmd_tag,
}
