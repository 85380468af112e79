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
    """Each step says what went wrong. What made this test flaky on a busy machine: a worker met the outage when
    it finished a trial (or read the stop flag, or took the next trial) and died with a traceback instead of waiting
    for the database; a 3 s heartbeat grace let one live worker, starved of CPU, be taken for dead, and the worker
    then crashed telling its own trial's end; and the poll below opened a new store (a new connection pool) every
    half second."""
    url = os.environ.get("HPTUNE_TEST_PG_URL")
    if not url:
        pytest.skip("set HPTUNE_TEST_PG_URL to a PostgreSQL database (.ci/postgres.sh prints one)")
    restart = _restart_command()
    space = tmp_path / "space.toml"
    # On model.fit and TensorFlow each trial trains for several seconds, so the restart lands mid-training; the
    # compiled engine finishes 60 epochs of this set before a restart completes.
    space.write_text('[space]\nhidden_units = [8, 16, 24, 32]\n[fixed]\ndataset = "mnist-5k"\nhidden_layers = 1\n'
                     'epochs = 60\nengine = "keras"\nbackend = "tensorflow"\n')
    # Heartbeats each second, but a grace long enough that a worker starved of CPU for a few seconds (two busy
    # cores, TensorFlow's threads) is not taken for dead; no worker dies here, and a user's grace is 180 s.
    env = {**os.environ, "HPTUNE_STORE": url, "TF_CPP_MIN_LOG_LEVEL": "3", **FAST_HEARTBEAT,
           "HPTUNE_HEARTBEAT_GRACE": "30"}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "hptune.core.cli", "sweep", "--space", str(space), "--algorithm", "grid",
         "--workers", "2", "--study", study_name, "--json"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # 1. wait until both workers are training (their processes load TensorFlow first: slow on a busy machine)
        store = Store(url)
        deadline = time.monotonic() + 300
        training: list[object] = []
        while time.monotonic() < deadline and sweep.poll() is None:
            training = [r for r in store.runs(study=study_name) if r.status == "running" and r.epochs]
            if len(training) >= 2:
                break
            time.sleep(0.5)
        if len(training) < 2:
            out, err = sweep.communicate(timeout=60) if sweep.poll() is not None else ("", "")
            pytest.fail(f"step 1: the two workers were not both training mid-trial (sweep exit code {sweep.poll()};"
                        f" {len(training)} training)\n{err[-3000:]}")
        # 2. restart the database under them
        done = subprocess.run(restart, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"step 2: {' '.join(restart)} failed: {done.stderr}"
        # 3. the sweep rides the outage out and finishes
        try:
            out, err = sweep.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            pytest.fail("step 3: the sweep did not finish within 900 s of the restart")
    finally:
        sweep.kill()
        sweep.wait()
    assert sweep.returncode == 0, f"step 3: the sweep exited {sweep.returncode} after the restart:\n{err[-3000:]}"
    assert "Traceback" not in err, f"step 3: a process printed a traceback:\n{err[-3000:]}"
    result = json.loads(out.splitlines()[-1])
    # 4. every point completed exactly once; each trial the outage failed was run again exactly once
    completed = [t["params"]["hidden_units"] for t in result["trials"] if t["state"] == "COMPLETE"]
    assert sorted(completed) == [8, 16, 24, 32], f"step 4: completed points {sorted(completed)}, expected each once"
    failed = [t for t in result["trials"] if t["state"] == "FAIL"]
    retries = [t for t in result["trials"] if t["retry_of"] is not None]
    assert len(result["trials"]) == 4 + len(failed), (
        f"step 4: {len(result['trials'])} trials for 4 points and {len(failed)} failed:"
        f" {[(t['number'], t['state'], t['retry_of']) for t in result['trials']]}"
    )
    assert sorted(t["retry_of"] for t in retries) == sorted(t["number"] for t in failed), (
        f"step 4: retries {[t['retry_of'] for t in retries]} do not match the failed trials"
        f" {[t['number'] for t in failed]}"
    )
