#!/usr/bin/env bash
# Run the tests that wait on time, processes or a server 5 times in a row while two busy loops load both cores;
# stop at the first failure. Arguments replace the default selection (any pytest arguments).
#   bash tests/stress.sh                      # sweeps, process faults, the training child process, the TUI
#   bash tests/stress.sh tests/sweeps -x      # only the sweep tests
# Set HPTUNE_TEST_PG_URL (bash .ci/postgres.sh | tail -n 1) to include the PostgreSQL tests; ROUNDS=N to change 5.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
ROUNDS=${ROUNDS:-5}
if [ $# -eq 0 ]; then
  set -- tests/sweeps tests/faults/test_process_faults.py tests/unit/test_isolated.py tests/tui
fi
export TF_CPP_MIN_LOG_LEVEL=3

"$PYTHON" -c "while True: pass" & busy1=$!
"$PYTHON" -c "while True: pass" & busy2=$!
trap 'kill "$busy1" "$busy2" 2>/dev/null || true' EXIT

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round of $ROUNDS, both cores busy: $*"
  "$PYTHON" -m pytest -q "$@"
done
echo "== $ROUNDS rounds passed under load"
