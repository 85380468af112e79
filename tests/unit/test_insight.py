"""Importance and run comparison over real stores: the recorded 24-trial digits sweep and the recorded runs."""

from __future__ import annotations

import json
import math
import shutil
import warnings
from pathlib import Path

import pytest

from hptune.core.insight import EVALUATORS, InsightError, bars, diff_lines, diff_runs, param_importance
from hptune.core.store import Store
from tests.unit.test_cli import hptune

DATA = Path(__file__).resolve().parents[1] / "data"
SEARCHED = {"hidden_units", "learning_rate", "dropout"}


@pytest.fixture
def sweep_journal(tmp_path: Path) -> Path:
    path = tmp_path / "sweep.journal"
    shutil.copy(DATA / "sweep.journal", path)
    return path


@pytest.fixture
def runs_journal(tmp_path: Path) -> Path:
    path = tmp_path / "runs.journal"
    shutil.copy(DATA / "runs.journal", path)
    return path


@pytest.mark.parametrize("evaluator", list(EVALUATORS))
def test_importance_covers_every_searched_hyperparameter_and_sums_to_one(sweep_journal: Path, evaluator: str) -> None:
    result = param_importance(Store(str(sweep_journal)), "digits-search", evaluator)
    assert result.message is None and result.finished == 24
    assert set(result.importances) == SEARCHED
    assert math.isclose(sum(result.importances.values()), 1.0, abs_tol=1e-9)
    assert all(v >= 0 for v in result.importances.values())
    values = list(result.importances.values())
    assert values == sorted(values, reverse=True)
    assert result.objective == "val_accuracy" and result.evaluator == evaluator


def test_importance_is_the_same_twice_and_reading_leaves_the_store_as_it_was(sweep_journal: Path) -> None:
    before = sweep_journal.read_bytes()
    first = param_importance(Store(str(sweep_journal)), "digits-search")
    second = param_importance(Store(str(sweep_journal)), "digits-search")
    assert first.importances == second.importances
    assert sweep_journal.read_bytes() == before


def test_only_finished_trials_count_on_a_study_still_running(sweep_journal: Path) -> None:
    import optuna

    store = Store(str(sweep_journal))
    before = param_importance(store, "digits-search")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.load_study(study_name="digits-search", storage=store.storage)
        study.enqueue_trial({"hidden_units": 32, "learning_rate": 0.01, "dropout": 0.1})
        study.ask()  # now RUNNING, like a trial a worker is training
    assert [t.state.name for t in study.get_trials()].count("RUNNING") == 1
    after = param_importance(Store(str(sweep_journal)), "digits-search")
    assert after.finished == before.finished and after.importances == before.importances


def test_too_few_trials_is_a_sentence_saying_how_many_more(tmp_path: Path) -> None:
    import optuna

    store = Store(str(tmp_path / "s.journal"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = store.study("young")
        for lr in (0.1, 0.01):
            trial = study.ask({"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1, log=True)})
            study.tell(trial, 1 - lr)
    result = param_importance(store, "young", "fanova")
    assert result.importances == {}
    assert result.message == "fANOVA needs at least 5 finished trials and young has 2: 3 more trials to go"
    ped = param_importance(store, "young", "ped-anova")
    assert "18 more trials" in (ped.message or "")


def test_unknown_study_and_a_study_without_searched_parameters_are_refused(runs_journal: Path) -> None:
    store = Store(str(runs_journal))
    with pytest.raises(InsightError, match="no study 'nope'"):
        param_importance(store, "nope")
    with pytest.raises(InsightError, match="not a sweep"):
        param_importance(store, "runs")
    with pytest.raises(InsightError, match="evaluator"):
        param_importance(store, "runs", "gini")


def test_importance_command_json_and_text_give_the_same_numbers(sweep_journal: Path) -> None:
    library = param_importance(Store(str(sweep_journal)), "digits-search")
    done = hptune("importance", "digits-search", "--json", store=sweep_journal)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["evaluator"] == "fanova" and data["importances"] == library.importances
    assert list(data["importances"]) == list(library.importances)
    text = hptune("importance", "digits-search", store=sweep_journal)
    assert "fANOVA over 24 finished trials" in text.stdout
    for line, (name, value) in zip(bars(library.importances), library.importances.items(), strict=True):
        assert line in text.stdout and line.startswith(name) and line.endswith(f"{value:.3f}")
    bad = hptune("importance", "nope", store=sweep_journal)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("hptune: invalid input: study: no study 'nope'")
    assert "Traceback" not in bad.stderr


def test_diff_lists_only_changed_fields_and_a_confusion_delta_that_adds_up(runs_journal: Path) -> None:
    store = Store(str(runs_journal))
    a, b = store.get(0), store.get(2)
    diff = diff_runs(store, 0, 2)
    config_a, config_b = a.config.model_dump(), b.config.model_dump()
    assert set(diff.config_changes) == {k for k in config_a if config_a[k] != config_b[k]}
    assert diff.config_changes["hidden_layers"] == {"a": a.config.hidden_layers, "b": b.config.hidden_layers}
    assert "optimizer" not in diff.config_changes  # the same in both
    assert diff.metrics["test_accuracy"]["a"] == a.test_accuracy
    assert diff.metrics["test_accuracy"]["b"] == b.test_accuracy
    delta = diff.confusion_delta
    assert delta is not None
    n_test = sum(map(sum, a.confusion))
    assert delta["total_correct"]["a"] / n_test == pytest.approx(a.test_accuracy)
    assert delta["total_correct"]["b"] / n_test == pytest.approx(b.test_accuracy)
    assert sum(c["delta"] for c in delta["correct"]) == delta["total_correct"]["b"] - delta["total_correct"]["a"]
    assert set(delta["better"]) | set(delta["worse"]) == {c["digit"] for c in delta["correct"] if c["delta"]}
    # each row's images are the same in both runs: what one digit lost on the diagonal went to its row's cells
    for c in delta["correct"]:
        row = [x["delta"] for x in delta["changed_cells"] if x["true"] == c["digit"]]
        assert sum(row) == -c["delta"]


def test_diff_with_a_diverged_run_has_no_confusion_delta_and_the_command_agrees(runs_journal: Path) -> None:
    before = runs_journal.read_bytes()
    done = hptune("diff", "0", "4", "--json", store=runs_journal)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {"config_changes", "metrics", "confusion_delta"}
    assert data["confusion_delta"] is None and data["metrics"]["test_accuracy"]["b"] is None
    assert data["config_changes"]["learning_rate"] == {"a": 0.001, "b": 10.0}
    text = hptune("diff", "0", "2", store=runs_journal).stdout
    assert text.splitlines() == diff_lines(diff_runs(Store(str(runs_journal)), 0, 2))
    missing = hptune("diff", "0", "99", store=runs_journal)
    assert missing.returncode == 2 and "no run with id 99" in missing.stderr
    assert runs_journal.read_bytes() == before


def test_parallel_coordinates_put_each_trial_on_log_linear_and_choice_axes(sweep_journal: Path) -> None:
    import optuna

    from hptune.core.insight import parallel_coordinates

    store = Store(str(sweep_journal))
    data = parallel_coordinates(store, "digits-search")
    assert [(a.name, a.kind) for a in data.axes] == [
        ("hidden_units", "choice"), ("learning_rate", "log"), ("dropout", "linear"), ("val_accuracy", "objective")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trials = optuna.load_study(study_name="digits-search", storage=store.storage).get_trials()
    done = {t.number: t for t in trials if t.state.name == "COMPLETE"}
    assert [n for n, _, _ in data.lines] == sorted(done)
    assert data.best == max(done.values(), key=lambda t: t.value).number
    low, high = math.log10(1e-4), math.log10(3e-1)
    for number, positions, score in data.lines:
        t = done[number]
        assert score == t.value and all(p is not None and 0 <= p <= 1 for p in positions)
        assert positions[0] == (0.0 if t.params["hidden_units"] == 8 else 1.0)
        assert positions[1] == pytest.approx((math.log10(t.params["learning_rate"]) - low) / (high - low))
        assert positions[2] == pytest.approx(t.params["dropout"] / 0.3)
    as_json = json.loads(hptune("parallel", "digits-search", "--json", store=sweep_journal).stdout)
    assert as_json["best"] == data.best and len(as_json["lines"]) == len(data.lines)
    assert as_json["lines"][0]["positions"] == list(data.lines[0][1])
