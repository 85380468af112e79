"""Repeats: real short runs with several seeds, grouped in a real store, and the arithmetic of their spread."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from hptune.core.config import make_config
from hptune.core.repeats import (
    GROUP_ATTR,
    Spread,
    band,
    compare,
    group_records,
    seeded,
    separated,
    train_repeats,
)
from hptune.core.store import Store
from hptune.core.trainer import train
from tests.unit.test_cli import hptune

TINY = {"dataset": "digits", "hidden_layers": 1, "hidden_units": 16, "epochs": 2, "batch_size": 64}


def test_seeded_configs_count_up_from_the_seed() -> None:
    configs = seeded(make_config(TINY | {"seed": 7, "repeats": 3}))
    assert [c.seed for c in configs] == [7, 8, 9] and {c.repeats for c in configs} == {1}
    assert {c.hidden_units for c in configs} == {16}


def test_spread_is_mean_sample_std_min_and_max() -> None:
    s = Spread.of([0.8, 0.9, 1.0, float("nan"), None])
    assert s.n == 3 and s.mean == pytest.approx(0.9) and s.std == pytest.approx(statistics.stdev([0.8, 0.9, 1.0]))
    assert (s.low, s.high) == (0.8, 1.0) and s.text() == "0.900 ± 0.100"
    assert Spread.of([0.5]).text() == "0.500" and Spread.of([]) is None


def test_compare_says_whether_a_difference_is_larger_than_the_spread() -> None:
    a, b, c = Spread.of([0.85, 0.86, 0.87]), Spread.of([0.40, 0.20, 0.60]), Spread.of([0.84, 0.88, 0.80])
    assert separated(a, b) and "larger than the seed spread" in compare(a, b, "2x100", "10x10")
    assert compare(a, b, "2x100", "10x10").startswith("2x100 beats 10x10 by 0.460")
    assert not separated(a, c) and "within the seed spread" in compare(c, a, "x", "y")
    assert "spread is unknown" in compare(Spread.of([0.9]), Spread.of([0.8]), "x", "y")


def test_band_is_the_mean_with_min_and_max_per_epoch() -> None:
    b = band([[0.1, 0.5, 0.9], [0.3, 0.7], [0.2, float("nan"), 0.6]])
    assert b.epochs == [1, 2, 3]
    assert b.mean == pytest.approx([0.2, 0.6, 0.75]) and b.low == [0.1, 0.5, 0.6] and b.high == [0.3, 0.7, 0.9]


def test_repeats_are_ordinary_runs_grouped_in_the_store(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "runs.journal"))
    heard = []
    outcome = train_repeats(make_config(TINY | {"repeats": 3, "seed": 4}), train, store,
                            on_result=lambda i, r: heard.append((i, r.run_id)))
    assert [r.config.seed for r in outcome.results] == [4, 5, 6]
    records = store.runs()
    assert len(records) == 3 and {r.study for r in records} == {"runs"}
    [(gid, members)] = group_records(records).items()
    assert gid == outcome.group and [m.run_id for m in members] == [rid for _, rid in heard]
    assert [m.config.seed for m in members] == [4, 5, 6]
    accuracies = [m.test_accuracy for m in members]
    spread = outcome.spread("test_accuracy")
    assert spread.mean == pytest.approx(statistics.fmean(accuracies)) and spread.n == 3
    assert outcome.spread("gap").mean == pytest.approx(
        statistics.fmean(m.diagnosis.train_accuracy - m.diagnosis.val_accuracy for m in members))


def test_a_stop_request_starts_no_more_repeats(tmp_path: Path) -> None:
    import threading

    stop = threading.Event()
    outcome = train_repeats(make_config(TINY | {"repeats": 3}), train, None, stop=stop,
                            on_result=lambda i, r: stop.set())
    assert len(outcome.results) == 1


def test_run_repeats_json_prints_the_runs_and_the_mean_and_std(store_path: Path) -> None:
    done = hptune("run", "--dataset", "digits", "--epochs", "2", "--hidden-units", "16", "--repeats", "3", "--json",
                  store=store_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(data["runs"]) == 3 and data["seeds"] == [0, 1, 2]
    accuracies = [r["test_accuracy"] for r in data["runs"]]
    assert data["test_accuracy"]["mean"] == pytest.approx(statistics.fmean(accuracies))
    assert data["test_accuracy"]["std"] == pytest.approx(statistics.stdev(accuracies))
    assert "test accuracy over 3 seeds:" in done.stderr
    listed = json.loads(hptune("runs", "--format", "json", store=store_path).stdout)
    assert sorted(r["run_id"] for r in listed) == sorted(r["run_id"] for r in data["runs"])
    assert len(group_records(Store(str(store_path)).runs())[data["group"]]) == 3
    assert GROUP_ATTR == "hptune_group"


def test_repeats_out_of_range_is_refused_naming_the_field(store_path: Path) -> None:
    done = hptune("run", "--dataset", "digits", "--repeats", "0", store=store_path)
    assert done.returncode == 2 and "repeats" in done.stderr and "Traceback" not in done.stderr
