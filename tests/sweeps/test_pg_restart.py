"""PostgreSQL restarted in the middle of a sweep: trials caught by it fail and are run again, none is lost or
completes twice, and `hptune sweep` itself rides the outage out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hptune.core.store import Store
from tests.sweeps.sweep_helpers import FAST_HEARTBEAT

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def _restart_command() -> list[str]:
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        pytest.skip("restarting PostgreSQL needs Debian's pg_ctlcluster (as .ci/postgres.sh sets up)")
    line = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split("\n")[0].split()
    if len(line) < 2 or os.geteuid() != 0:
        pytest.skip("no local cluster that this user may restart")
    return ["pg_ctlcluster", line[0], line[1], "restart"]


def test_a_database_restart_mid_sweep_loses_no_point(tmp_path: Path, study_name: str) -> None:
    url = os.environ.get("HPTUNE_TEST_PG_URL")
    if not url:
        pytest.skip("set HPTUNE_TEST_PG_URL to a PostgreSQL database (.ci/postgres.sh prints one)")
    restart = _restart_command()
    space = tmp_path / "space.toml"
    # On model.fit and TensorFlow each trial trains for several seconds, so the restart lands mid-training; the
    # compiled engine finishes 60 epochs of this set before a restart completes.
    space.write_text('[space]\nhidden_units = [8, 16, 24, 32]\n[fixed]\ndataset = "mnist-5k"\nhidden_layers = 1\n'
                     'epochs = 60\nengine = "keras"\nbackend = "tensorflow"\n')
    env = {**os.environ, "HPTUNE_STORE": url, "TF_CPP_MIN_LOG_LEVEL": "3", **FAST_HEARTBEAT}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "hptune.core.cli", "sweep", "--space", str(space), "--algorithm", "grid", "--workers", "2",
         "--study", study_name, "--json"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # restart once both workers are training
            runs = [r for r in Store(url).runs(study=study_name) if r.status == "running" and r.epochs]
            if len(runs) >= 2:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the workers did not start training")
        subprocess.run(restart, check=True, capture_output=True, timeout=60)
        out, err = sweep.communicate(timeout=300)
    finally:
        sweep.kill()
    assert sweep.returncode == 0, err
    assert "Traceback" not in err
    result = json.loads(out.splitlines()[-1])
    completed = [t["params"]["hidden_units"] for t in result["trials"] if t["state"] == "COMPLETE"]
    assert sorted(completed) == [8, 16, 24, 32]  # every point once, none twice
    failed = [t for t in result["trials"] if t["state"] == "FAIL"]
    assert len(result["trials"]) == 4 + len(failed)  # each failure was retried exactly once
