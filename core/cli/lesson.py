"""`hptune lesson NAME`: one of the tutorial's experiments as a small study, with its conclusion.

`core.cli.parser` adds the command's arguments; `cmd_lesson(args, out, err)` runs it.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from typing import Any, TextIO

from hptune.core.errors import EXIT_OK, InputError


def _fmt(spread: dict[str, Any] | None) -> str:
    if not spread:
        return "-"
    return f"{spread['mean']:.3f}" + (f"±{spread['std']:.3f}" if spread["n"] > 1 else "")


def table(report: Any) -> str:
    """The lesson's rows as text columns (spreads as mean±std)."""
    rows = report.rows
    if not rows:
        return ""
    keys = [k for k in rows[0] if k not in ("diagnosis_line", "runs")]
    cells = [[k for k in keys]]
    for row in rows:
        line = []
        for k in keys:
            v = row.get(k)
            if isinstance(v, dict):
                line.append(_fmt(v))
            elif isinstance(v, float):
                line.append(f"{v:.3f}" if v < 1 or k != "fraction" else "1")
            elif isinstance(v, int) and not isinstance(v, bool):
                line.append(f"{v:,}")
            else:
                line.append("-" if v is None else str(v))
        cells.append(line)
    widths = [max(len(c[i]) for c in cells) for i in range(len(keys))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)


def cmd_lesson(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hptune.core.cli.commands import ctrl_c_stops, open_store
    from hptune.core.cli.progress import RunPrinter
    from hptune.core.lessons import lesson_settings, new_study_name, plan, report, run_lesson
    from hptune.core.outcome import to_json
    from hptune.core.trainer import train

    store = open_store(args.store)
    if args.resume:
        settings = lesson_settings(store, args.resume)
        if settings is None:
            raise InputError(f"--resume: no lesson study named {args.resume!r} in {store.display}"
                             " (see `hptune studies`)", field="resume")
        if settings["name"] != args.name:
            raise InputError(f"--resume: {args.resume} is a {settings['name']} lesson, not {args.name}",
                             field="resume")
        lesson = plan(settings["name"], settings["dataset"], settings["repeats"], settings["epochs"])
        study = args.resume
    else:
        lesson = plan(args.name, args.dataset, args.repeats, args.epochs)
        study = new_study_name(args.name)
    text = err if args.json else out
    text.write(f"{lesson.title}: {lesson.question}\n{lesson.total_runs} runs ({len(lesson.steps)} configs x"
               f" {lesson.repeats} seeds, {lesson.epochs} epochs) on {lesson.dataset}, study {study}\n")
    text.flush()
    stop = threading.Event()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing warnings: expected when models differ
    quiet = RunPrinter(err, err)  # progress bar only on a terminal; the per-run lines below say what finished

    def progress(event: Any) -> None:
        from hptune.core.events import BatchProgress

        if isinstance(event, BatchProgress):
            quiet(event)

    def finished(view: Any, views: list[Any]) -> None:
        done = sum(1 for v in views if v.done)
        d = view.diagnosis
        text.write(f"[{done}/{lesson.total_runs}] {view.step} seed {view.seed}: {view.status}"
                   + (f", test accuracy {view.test_accuracy:.4f}" if view.test_accuracy is not None else "")
                   + (f", {d.label}" if d else "") + (f" (run {view.run_id})" if view.run_id is not None else "")
                   + "\n")
        text.flush()

    started = time.perf_counter()
    with ctrl_c_stops(stop, err, "stopping after the current step; finished runs are kept"):
        views = run_lesson(lesson, train, store, study, on_event=progress, stop=stop, on_run=finished)
    seconds = time.perf_counter() - started
    result = report(lesson, views)
    text.write("\n" + table(result) + "\n")
    if result.conclusion:
        text.write(f"\nconclusion: {result.conclusion}\n")
    else:
        text.write(f"\nstopped with {result.runs_done} of {lesson.total_runs} runs done; continue with"
                   f" `hptune lesson {lesson.name} --resume {study}`\n")
    text.write(f"took {seconds:.0f}s; the runs are in study {study} of {store.display}\n")
    if args.json:
        data = result.to_dict() | {"study": study, "seconds": seconds}
        out.write(to_json(data) + "\n")
        out.flush()
    return EXIT_OK
