"""Lessons: their plans, the report over runs (hand-made views for the arithmetic), and real short lessons in a real
store: stopped half-way, resumed without retraining what finished, and the CLI's --json rows."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from hptune.core.config import ConfigError
from hptune.core.data import load_dataset
from hptune.core.events import Diagnosis, EpochMetrics
from hptune.core.lessons import (
    LESSON_ATTR,
    STEP_ATTR,
    RunView,
    lesson_settings,
    plan,
    report,
    run_lesson,
)
from hptune.core.repeats import GROUP_ATTR, group_records
from hptune.core.store import Store
from hptune.core.trainer import train
from tests.unit.test_cli import hptune


def view(step: str, seed: int, train_acc: float, val_acc: float, test: float, epochs: int = 5,
         val_loss: list[float] | None = None, n_train: int | None = None) -> RunView:
    losses = val_loss or [1.0 - 0.1 * i for i in range(epochs)]
    curve = tuple(EpochMetrics(i + 1, 1.0 - 0.1 * i, train_acc, losses[i], val_acc, 0.1) for i in range(len(losses)))
    return RunView(step, seed, "completed", None, curve, test, Diagnosis("good fit", "x", None, train_acc, val_acc),
                   None, n_train)


def test_plans_hold_the_tutorial_networks_and_a_wider_and_deeper_one() -> None:
    capacity = plan("capacity")
    assert [s.key for s in capacity.steps] == ["2x10", "10x10", "2x100", "2x512", "6x100"]
    assert capacity.total_runs == 15 and {s.config.epochs for s in capacity.steps} == {15}
    assert {s.config.dataset for s in capacity.steps} == {"mnist-5k"}
    sizes = plan("data-size", repeats=2)
    assert [s.config.train_fraction for s in sizes.steps] == [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0]
    assert len({s.config.hidden_units for s in sizes.steps}) == 1
    overfit = plan("overfit", epochs=7)
    assert [(s.config.dropout, s.config.patience, s.config.epochs) for s in overfit.steps] == [
        (0.0, None, 7), (0.3, None, 7), (0.0, 5, 7)]
    scaling = plan("scaling")
    assert sorted((s.config.hidden_layers, s.config.hidden_units, s.config.normalize) for s in scaling.steps) == sorted(
        (layers, units, norm) for layers, units in ((2, 10), (2, 100), (10, 10)) for norm in (False, True))


def test_bad_lesson_names_and_repeats_are_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="lesson: unknown lesson 'depth'; expected one of: capacity"):
        plan("depth")
    with pytest.raises(ConfigError, match="repeats: expected 1 to 20, got 0"):
        plan("capacity", repeats=0)
    with pytest.raises(ConfigError, match="dataset: nope: not a dataset name"):
        plan("capacity", dataset="nope")


def test_capacity_report_labels_bias_and_variance_and_concludes_from_the_numbers() -> None:
    lesson = plan("capacity", repeats=2)
    figures = {"2x10": (0.80, 0.78), "10x10": (0.70, 0.69), "2x100": (0.97, 0.904), "2x512": (0.995, 0.905),
               "6x100": (0.99, 0.89)}
    views = [view(key, seed, tr + 0.002 * seed, va + 0.002 * seed, va) for key, (tr, va) in figures.items()
             for seed in (0, 1)]
    result = report(lesson, views)
    rows = {r["network"].split()[0]: r for r in result.rows}
    assert rows["2x100"]["params"] == 89_610 and rows["2x10"]["params"] == 8_070
    assert rows["2x100"]["train_accuracy"]["mean"] == pytest.approx(0.971)
    assert rows["2x100"]["gap"]["mean"] == pytest.approx(0.066)
    assert rows["2x10"]["bias"] == pytest.approx(0.996 - 0.801)
    assert rows["2x512"]["bias"] == pytest.approx(0.0)
    text = result.conclusion
    assert "10x10 fits its own training images worst" in text and "that distance is bias" in text
    assert "6x100 has the widest train-validation gap (0.100 ± 0.000)" in text and "variance" in text
    assert "validation accuracy peaks at 2x512" in text and "2x512 beats 2x100 by 0.001" in text
    assert "within the seed spread" in text and "the largest network is on top but within the seed spread" in text


def test_report_has_no_conclusion_until_every_step_has_runs() -> None:
    lesson = plan("capacity", repeats=1)
    result = report(lesson, [view("2x10", 0, 0.8, 0.78, 0.77)])
    assert result.conclusion is None and result.runs_done == 1 and not result.complete


def test_data_size_says_more_data_helps_while_the_gap_closes() -> None:
    lesson = plan("data-size", repeats=2)
    figures = [(0.999, 0.70), (0.999, 0.78), (0.998, 0.84), (0.996, 0.88), (0.995, 0.92)]
    views = [view(step.key, seed, tr, va + 0.002 * seed, va, n_train=100 * 2 ** i)
             for i, (step, (tr, va)) in enumerate(zip(lesson.steps, figures, strict=True)) for seed in (0, 1)]
    result = report(lesson, views)
    assert [r["fraction"] for r in result.rows] == [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0]
    assert result.rows[0]["train_error"]["mean"] == pytest.approx(0.001)
    assert result.rows[-1]["val_error"]["mean"] == pytest.approx(0.079)
    assert "more data would help" in result.conclusion


def test_data_size_says_a_bigger_model_is_needed_when_both_errors_stay_high() -> None:
    lesson = plan("data-size", repeats=2)
    views = [view(step.key, seed, 0.60 + 0.01 * seed, 0.58 + 0.01 * seed, 0.58) for step in lesson.steps
             for seed in (0, 1)]
    assert "a bigger model is needed" in report(lesson, views).conclusion


def test_overfit_marks_the_epoch_where_validation_loss_turns_up() -> None:
    lesson = plan("overfit", repeats=1, epochs=8)
    turning = [1.0, 0.7, 0.5, 0.45, 0.5, 0.6, 0.7, 0.8]
    views = [view("long", 0, 0.99, 0.90, 0.90, val_loss=turning), view("dropout", 0, 0.97, 0.93, 0.93),
             view("early-stop", 0, 0.96, 0.92, 0.92, val_loss=turning[:6])]
    result = report(lesson, views)
    assert result.marks == {"long": 4, "early-stop": 4}
    assert result.rows[0]["val_loss_turns_at"] == 4
    assert "lowest at epoch 4 (0.450) and climbs to 0.800 by epoch 8" in result.conclusion
    assert "early stopping trains 6 epochs instead of 8" in result.conclusion.lower()


def test_train_fraction_trains_on_the_first_share_and_keeps_validation() -> None:
    full, part = load_dataset("digits"), load_dataset("digits", train_fraction=0.25)
    assert part.info.n_train == round(full.info.n_train * 0.25) and len(part.x_train) == part.info.n_train
    assert part.info.n_val == full.info.n_val and (part.x_val == full.x_val).all()
    assert (part.x_train == full.x_train[: part.info.n_train]).all()


def test_a_stopped_lesson_keeps_its_runs_and_resumes_without_retraining_them(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "runs.journal"))
    lesson = plan("scaling", dataset="digits", repeats=1, epochs=2)
    trained: list[tuple] = []

    def counting_train(config, **kw):
        trained.append((config.hidden_layers, config.hidden_units, config.normalize, config.seed))
        return train(config, **kw)

    stop = threading.Event()
    heard = []

    def on_run(v, views) -> None:
        heard.append(v)
        if len(heard) == 2:
            stop.set()

    first = run_lesson(lesson, counting_train, store, "lesson-scaling-test", stop=stop, on_run=on_run)
    assert len(first) == 2 and len(trained) == 2
    assert report(lesson, first).conclusion is None
    assert lesson_settings(store, "lesson-scaling-test") == lesson.settings()
    kept = store.runs(study="lesson-scaling-test")
    assert [r.attrs[STEP_ATTR] for r in kept] == [s.key for s in lesson.steps[:2]]
    assert {r.attrs[LESSON_ATTR] for r in kept} == {"scaling"}

    views = run_lesson(lesson, counting_train, store, "lesson-scaling-test")
    assert len(trained) == 6 and len(set(trained)) == 6, "the two finished runs were trained again"
    assert len(views) == 6 and len(store.runs(study="lesson-scaling-test")) == 6
    result = report(lesson, views)
    assert result.complete and result.conclusion
    groups = group_records(store.runs(study="lesson-scaling-test"))
    assert sorted(groups) == sorted(f"lesson-scaling-test/{s.key}" for s in lesson.steps)
    assert all(r.attrs[GROUP_ATTR] for r in kept)


@pytest.mark.slow
def test_lesson_capacity_json_rows(store_path: Path) -> None:
    done = hptune("lesson", "capacity", "--dataset", "digits", "--repeats", "2", "--epochs", "3", "--json",
                  store=store_path, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(data["rows"]) == 5 and data["conclusion"] and data["runs_done"] == 10
    for row in data["rows"]:
        assert {"params", "train_accuracy", "val_accuracy", "gap", "diagnosis"} <= set(row)
        assert row["train_accuracy"]["n"] == 2 and "std" in row["val_accuracy"]
    studies = json.loads(hptune("studies", "--json", store=store_path).stdout)
    assert data["study"] in [s["name"] for s in studies]
    assert "Traceback" not in done.stderr and "retracing" not in done.stderr


@pytest.mark.slow
def test_lesson_data_size_json_rows_and_resume_of_a_finished_study(store_path: Path) -> None:
    done = hptune("lesson", "data-size", "--dataset", "digits", "--repeats", "1", "--epochs", "2", "--json",
                  store=store_path, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["fraction"] for r in data["rows"]] == [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0]
    assert all(set(r) >= {"fraction", "train_error", "val_error"} for r in data["rows"])
    again = hptune("lesson", "data-size", "--resume", data["study"], "--json", store=store_path)
    assert again.returncode == 0 and json.loads(again.stdout.strip().splitlines()[-1])["rows"] == data["rows"]
    assert "seed" not in again.stderr.split("study")[-1], "a finished lesson trained again on resume"
    wrong = hptune("lesson", "capacity", "--resume", data["study"], store=store_path)
    assert wrong.returncode == 2 and "is a data-size lesson" in wrong.stderr
    missing = hptune("lesson", "capacity", "--resume", "nope", store=store_path)
    assert missing.returncode == 2 and "no lesson study named 'nope'" in missing.stderr
