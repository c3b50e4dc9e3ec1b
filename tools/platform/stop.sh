#!/usr/bin/env bash
# `npm run platform:stop`: stops the five services and the web app's server started by run.sh (by their recorded pids, with
# SIGTERM so each shuts down gracefully), removes the local VPN node's namespaces (phx-node,
# phx-inet and the client's phx-client: the processes inside them — wireguard-go — are killed by
# pid from `ip netns pids`, then the namespaces are deleted, taking their veths), then stops the
# local stack. `--services-only` keeps the stack.
set -euo pipefail
source "$(dirname "$0")/common.sh"

for entry in "${SERVICES[@]}" web:0; do
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
if ip netns list 2>/dev/null | grep -qE '^phx-(node|inet|client)( |$)'; then
  node -r @swc-node/register "$ROOT/tools/platform/node-netns.ts" down && log "local VPN node namespaces removed"
fi
[ "${1:-}" = "--services-only" ] || bash "$ROOT/tools/stack/stop.sh"
