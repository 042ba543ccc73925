#!/usr/bin/env bash
# Runs the whole test suite (scripts/test.sh, integration required) several
# times under CPU load: one busy loop per core, each bounded by `timeout`
# and stopped by its PID at the end. A test that fails in any run is a
# flaky test to fix. Usage: scripts/stress.sh [runs] (default 5); the log
# of run N is in ${STRESS_LOGS:-/tmp/taskq-stress}/run-N.log.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
logs=${STRESS_LOGS:-/tmp/taskq-stress}
mkdir -p "$logs"
pids=()
for _ in $(seq "$(nproc)"); do
  timeout "$((runs * 40))m" sh -c 'while :; do :; done' &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
failed=0
for r in $(seq "$runs"); do
  start=$(date +%s)
  if TASKQ_REQUIRE_INTEGRATION=1 ./scripts/test.sh >"$logs/run-$r.log" 2>&1; then
    echo "run $r: ok ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    echo "run $r: FAILED ($(( $(date +%s) - start )) s); failing tests:"
    grep -E '^\s*--- FAIL' "$logs/run-$r.log" | sed 's/^/  /' | head -40 || true
  fi
done
echo "$failed of $runs runs failed"
[ "$failed" = 0 ]
