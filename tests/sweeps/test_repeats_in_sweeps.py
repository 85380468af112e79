"""A sweep whose trials repeat with several seeds: each trial's value is the mean over its seeds."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from hptune.core.repeats import GROUP_ATTR, group_records
from hptune.core.space import SweepSettings, space_from_data
from hptune.core.store import Store
from hptune.core.sweeps import SweepWorker, create_sweep, snapshot


def test_a_trial_with_repeats_is_worth_the_mean_over_its_seeds(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sweeps.journal"))
    space = space_from_data({"space": {"hidden_units": [8, 24]},
                             "fixed": {"dataset": "digits", "epochs": 2, "hidden_layers": 1, "repeats": 2}})
    assert create_sweep(store, "rep", space, SweepSettings(algorithm="grid")) == 2
    assert SweepWorker(store, "rep").run() == 2

    rows = snapshot(store, "rep").trials
    groups = group_records(store.runs())
    assert len(groups) == 2
    for row in rows:
        members = groups[f"rep/trial-{row.number}"]
        assert [m.config.seed for m in members] == [0, 1]
        assert members[0].study == "rep" and members[1].study == "runs"
        assert members[0].attrs[GROUP_ATTR] == members[1].attrs[GROUP_ATTR]
        assert row.value == pytest.approx(statistics.fmean(m.epochs[-1].val_accuracy for m in members))
