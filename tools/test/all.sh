#!/usr/bin/env bash
# `npm test`: lint, typecheck, unit and integration tests of every project, against the real
# servers of the local stack (started here if needed, and stopped again if this run started it).
# Ends with one summary line: "tests: N passed, N failed".
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
# The trap comes first: a start that fails half-way still stops what it started.
cleanup() { $started_stack && bash tools/stack/stop.sh; }
trap cleanup EXIT
bash tools/stack/start.sh || exit 1

LOG=$(mktemp)
status=0
run() { "$@" 2>&1 | tee -a "$LOG"; local s=${PIPESTATUS[0]}; [ "$s" -eq 0 ] || status=$s; }

export NX_DAEMON=false NX_NO_CLOUD=true FORCE_COLOR=0
run npx nx run-many -t lint typecheck --parallel=2 --output-style=static
run npx nx run-many -t test --parallel=2 --output-style=static
# Integration suites share the stack's servers and fixed ports: one project at a time.
run npx nx run-many -t integration --parallel=1 --output-style=static

# Sum Jest's per-suite-run summaries ("Tests: 1 failed, 5 passed, 6 total"). Colour codes are
# stripped first: Nx replays a cached task's output as it was recorded, colours and all.
summaries=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -E '^Tests:')
passed=$(printf '%s\n' "$summaries" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(printf '%s\n' "$summaries" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
rm -f "$LOG"
[ "$passed" -gt 0 ] || { echo "no tests ran" >&2; status=1; }
echo "tests: $passed passed, $failed failed"
exit $status
