"""Selection on validation only: a sweep optimises a validation metric, and only the chosen run's test metrics
are reported; test_macro_f1 is refused for a new sweep but still read back from an old study."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from hptune.core.space import OBJECTIVES, SweepSettings
from hptune.core.store import Store
from tests.sweeps.sweep_helpers import hptune

SPACE = """
[space]
learning_rate = { low = 1e-3, high = 1e-1, log = true }

[fixed]
dataset = "digits"
hidden_units = 16
epochs = 2
"""


def test_only_validation_objectives_are_offered_and_test_macro_f1_is_refused() -> None:
    assert OBJECTIVES == ("val_accuracy", "val_loss", "val_macro_f1")
    with pytest.raises(ValidationError, match="would select models on the test set"):
        SweepSettings.model_validate({"objective": "test_macro_f1"})
    old = SweepSettings.model_validate({"objective": "test_macro_f1"}, context={"stored": True})
    assert old.direction == "maximize"
    assert SweepSettings(objective="val_macro_f1").direction == "maximize"


def test_a_val_macro_f1_sweep_reports_the_test_metrics_of_the_chosen_run_only(tmp_path: Path) -> None:
    space_file = tmp_path / "space.toml"
    space_file.write_text(SPACE)
    store = str(tmp_path / "store.journal")
    done = hptune("sweep", "--space", str(space_file), "--algorithm", "random", "--trials", "3",
                  "--objective", "val_macro_f1", "--study", "by-f1", "--tag", "f1", "--json", store=store)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["objective"] == "val_macro_f1" and result["direction"] == "maximize"
    records = {r.run_id: r for r in Store(store).runs(study="by-f1")}
    for trial in result["trials"]:
        record = records[trial["run_id"]]
        assert trial["state"] == "COMPLETE" and 0 < record.val_macro_f1 <= 1
        assert trial["value"] == record.val_macro_f1  # the objective is the stored validation macro-F1
    best = max(result["trials"], key=lambda t: t["value"])
    chosen = result["chosen"]
    assert chosen["run_id"] == best["run_id"] and chosen["value"] == best["value"]
    assert chosen["test_accuracy"] == records[best["run_id"]].test_accuracy
    assert chosen["test_macro_f1"] == records[best["run_id"]].test_macro_f1
    assert f"chosen run {best['run_id']} on val_macro_f1: test accuracy" in done.stderr
    assert Store(store).annotations().study_tags["by-f1"] == ["f1"]  # --tag tags the study

    refused = hptune("sweep", "--space", str(space_file), "--objective", "test_macro_f1", store=store)
    assert refused.returncode == 2 and "--objective" in refused.stderr
    space_file.write_text(SPACE + '\n[sweep]\nobjective = "test_macro_f1"\n')
    refused = hptune("sweep", "--space", str(space_file), store=store)
    assert refused.returncode == 2 and "would select models on the test set" in refused.stderr
    assert "Traceback" not in refused.stderr
