#!/usr/bin/env bash
# `npm run platform:stop`: stops the five services started by run.sh (by their recorded pids, with
# SIGTERM so each shuts down gracefully), then the local stack. `--services-only` keeps the stack.
set -euo pipefail
source "$(dirname "$0")/common.sh"

for entry in "${SERVICES[@]}"; do
  app=${entry%%:*}
  pidfile=$RUN_DIR/$app.pid
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "$app did not stop in 10 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; }
    log "$app stopped"
  fi
  rm -f "$pidfile"
done
[ "${1:-}" = "--services-only" ] || bash "$ROOT/tools/stack/stop.sh"
