#!/usr/bin/env bash
# `npm test`: lint, typecheck, unit and integration tests of every project, against the real
# servers of the local stack (started here if needed, and stopped again if this run started it).
# Ends with one summary line, "tests: N passed, N failed", and exits non-zero exactly when N failed > 0.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

[ -x node_modules/.bin/nx ] || npm install --no-audit --no-fund || exit 1

# Every Debian package any suite needs (tools/deps/debian.sh): installed here as root; otherwise
# the run stops naming them — a suite never runs, or skips, without its tools.
# shellcheck source=tools/deps/debian.sh
source tools/deps/debian.sh
deps_ensure stack node test || { echo "[test] npm test needs the Debian packages above" >&2; exit 1; }

started_stack=false
[ -f .stack/env ] || started_stack=true
# The Redis Cluster beside it (README "Redis Cluster"): the redemption race, the issuance quota,
# job-worker's once-per-period and the Redis specs run on it too.
started_cluster=false
grep -q '^REDIS_CLUSTER_URL=' .stack/env 2>/dev/null || started_cluster=true
# The trap comes first: a start that fails half-way still stops what it started.
# shellcheck disable=SC2317 # run by the trap
cleanup() {
  if $started_stack; then bash tools/stack/stop.sh
  elif $started_cluster; then bash tools/stack/redis-cluster.sh stop; fi
}
trap cleanup EXIT
PHOENIX_REDIS_CLUSTER=1 bash tools/stack/start.sh || exit 1
# A suite's cluster variant never quietly drops out: without the cluster's URLs it fails.
export PHOENIX_REQUIRE_REDIS_CLUSTER=1

LOG=$(mktemp)
# Each step's output goes to the terminal and the log, then one line naming its exit status, which
# only the log gets (tools/test/summary.ts reads it).
run() { "$@" 2>&1 | tee -a "$LOG"; local s=${PIPESTATUS[0]}; echo "phoenix-test-step: exit $s: $*" >>"$LOG"; }

export NX_DAEMON=false NX_NO_CLOUD=true FORCE_COLOR=0
run npx nx run-many -t lint typecheck --parallel=2 --output-style=static
run npx nx run-many -t test --parallel=2 --output-style=static
# Integration suites share the stack's servers and fixed ports: one project at a time.
run npx nx run-many -t integration --parallel=1 --output-style=static

# The summary counts failed tests, suites that failed to run, failed tasks with no failed test
# (lint, typecheck, a throwing globalSetup) and failed steps, and exits 1 exactly when it names a
# failure (tools/test/summary.ts, proven on recorded logs by its spec).
node -r @swc-node/register tools/test/summary.ts "$LOG"
status=$?
rm -f "$LOG"
if [ "$status" -gt 1 ]; then echo "tests: no summary (tools/test/summary.ts exited $status)"; status=1; fi
exit "$status"
